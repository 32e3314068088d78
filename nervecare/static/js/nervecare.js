/* NerveCare: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* 1. Warn before losing input: forms marked data-warn-unsaved. */
  var dirty = new Set();
  document.addEventListener("input", function (e) {
    var form = e.target.form || (e.target.closest && e.target.closest("form"));
    if (form && form.hasAttribute("data-warn-unsaved")) dirty.add(form);
  });
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-warn-unsaved")) dirty.add(form);
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); return; }
    dirty.clear();
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty.size) { e.preventDefault(); e.returnValue = ""; }
  });

  /* 2. Inline validation: say what is wrong as soon as a field is left (the server still decides). */
  function fieldMessage(el) {
    var id = (el.id || el.name) + "-inline";
    var msg = document.getElementById(id);
    if (!msg) {
      msg = document.createElement("span");
      msg.id = id;
      msg.className = "error inline-error";
      msg.setAttribute("aria-live", "polite");
      el.insertAdjacentElement("afterend", msg);
      var described = el.getAttribute("aria-describedby");
      el.setAttribute("aria-describedby", described ? described + " " + id : id);
    }
    return msg;
  }
  document.addEventListener("focusout", function (e) {
    var el = e.target;
    if (!el.matches || !el.matches("input[type=number], input[type=email], input[type=date], input[type=text][required], input[type=time]")) return;
    if (el.value === "" && !el.required) { if (el.validity.badInput === false) { var m0 = document.getElementById((el.id || el.name) + "-inline"); if (m0) m0.textContent = ""; el.removeAttribute("aria-invalid"); } return; }
    var msg = fieldMessage(el);
    if (el.checkValidity()) { msg.textContent = ""; el.removeAttribute("aria-invalid"); }
    else { msg.textContent = el.validationMessage; el.setAttribute("aria-invalid", "true"); }
  });

  /* 3. The body map picture fills the marks table: one row per tapped region. */
  function addMarkRow(form) {
    var total = form.querySelector("input[name=marks-TOTAL_FORMS]");
    var rows = form.querySelectorAll("tr[data-mark-row]");
    if (!total || !rows.length) return null;
    var index = parseInt(total.value, 10);
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v.replace(/marks-\d+-/, "marks-" + index + "-"));
      });
      if (el.matches("select, input")) el.value = "";
    });
    clone.querySelectorAll(".errorlist, .inline-error").forEach(function (el) { el.remove(); });
    rows[rows.length - 1].after(clone);
    total.value = index + 1;
    return clone;
  }
  function pickRegion(shape) {
    var form = shape.closest("form");
    if (!form) return;
    var region = shape.getAttribute("data-region");
    var side = shape.getAttribute("data-side");
    var row = Array.prototype.find.call(form.querySelectorAll("tr[data-mark-row]"), function (tr) {
      var sel = tr.querySelector("select[name$=-region]");
      return sel && sel.value === "";
    }) || addMarkRow(form);
    if (!row) return;
    row.querySelector("select[name$=-region]").value = region;
    var sideSelect = row.querySelector("select[name$=-side]");
    if (sideSelect) sideSelect.value = side === "midline" ? "midline" : side;
    shape.classList.add("picked");
    dirty.add(form);
    var next = row.querySelector("select[name$=-sensation]");
    if (next) next.focus();
    var status = form.querySelector("[data-bodymap-status]");
    if (status) status.textContent = shape.getAttribute("aria-label") + " — " + (status.getAttribute("data-added") || "added");
  }
  document.addEventListener("click", function (e) {
    var shape = e.target.closest && e.target.closest(".bodymap-input .region");
    if (shape) pickRegion(shape);
    var toggle = e.target.closest && e.target.closest(".bodymap-toggle .region");
    if (toggle) toggleArea(toggle);
  });
  document.addEventListener("keydown", function (e) {
    var shape = e.target.closest && e.target.closest(".bodymap-input .region");
    if (shape && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); pickRegion(shape); }
    var toggle = e.target.closest && e.target.closest(".bodymap-toggle .region");
    if (toggle && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); toggleArea(toggle); }
  });

  /* 4. A session note's areas treated: a tap on the body map ticks or unticks the same area in the list. */
  function areaValue(shape) { return shape.getAttribute("data-region") + ":" + shape.getAttribute("data-side"); }
  function syncArea(form, value, on) {
    form.querySelectorAll(".bodymap-toggle .region").forEach(function (s) {
      if (areaValue(s) !== value) return;
      s.classList.toggle("picked", on);
      s.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function toggleArea(shape) {
    var form = shape.closest("form");
    if (!form) return;
    var box = form.querySelector('input[name=areas_treated][value="' + areaValue(shape) + '"]');
    if (!box) return;
    box.checked = !box.checked;
    syncArea(form, box.value, box.checked);
    dirty.add(form);
  }
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (box.matches && box.matches("input[name=areas_treated]") && box.form) syncArea(box.form, box.value, box.checked);
  });

  /* 5. Forms marked data-swap-errors show the server's 422/409 answer in place (htmx swaps only 2xx by default). */
  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail;
    if ((d.xhr.status === 422 || d.xhr.status === 409) && d.elt && d.elt.closest && d.elt.closest("[data-swap-errors]")) {
      d.shouldSwap = true;
      d.isError = false;
    }
  });
})();
