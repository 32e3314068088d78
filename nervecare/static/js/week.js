/* Week calendar: drag a booked appointment to another time. A dialog asks to confirm, the move goes to the
   reschedule API (the same service as the appointment page) and a refused move shows the reason. Without
   JavaScript, and from the keyboard, the appointment page's "move" form does the same. */
(function () {
  "use strict";

  /* The therapist and room choosers show the chosen calendar at once. */
  document.querySelectorAll("[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      var clear = select.getAttribute("data-clear");
      if (clear && select.form.elements[clear]) select.form.elements[clear].value = "";
      select.form.submit();
    });
  });

  var grid = document.querySelector("[data-week]");
  var dialog = document.querySelector("[data-week-dialog]");
  if (!grid || !dialog) return;
  var question = dialog.querySelector("[data-week-question]");
  var errorBox = dialog.querySelector("[data-week-error]");
  var moveButton = dialog.querySelector("[data-week-move]");
  var statusBox = document.querySelector("[data-week-status]");
  var rowMinutes = parseInt(grid.getAttribute("data-row-minutes"), 10) || 15;
  var marker = document.createElement("div");
  marker.className = "week-drop";
  marker.hidden = true;
  marker.setAttribute("aria-hidden", "true");
  grid.appendChild(marker);
  var dragging = null;
  var pending = null;
  var markerClasses = [];

  var remembered = window.sessionStorage && sessionStorage.getItem("nervecare-week-status");
  if (remembered && statusBox) {
    statusBox.textContent = remembered;
    statusBox.hidden = false;
    sessionStorage.removeItem("nervecare-week-status");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* The day column and the 15-minute row where the top of the dragged block would land. */
  function target(x, y) {
    var day = null;
    var col = 0;
    grid.querySelectorAll(".week-day").forEach(function (d, i) {
      var r = d.getBoundingClientRect();
      if (x >= r.left && x < r.right) { day = d; col = i + 2; }
    });
    var hours = grid.querySelectorAll(".week-hour");
    if (!day || !hours.length) return null;
    var first = hours[0].getBoundingClientRect();
    var rowHeight = first.height / (60 / rowMinutes);
    var row = Math.round((y - dragging.grabY - first.top) / rowHeight);
    var lastRow = hours.length * (60 / rowMinutes) - dragging.rows;
    if (row < 0 || row > lastRow) return null;
    var minutes = parseInt(hours[0].getAttribute("data-hour"), 10) * 60 + row * rowMinutes;
    return {
      day: day,
      col: col,
      row: row + 2,
      time: pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60),
    };
  }

  function showMarker(t) {
    marker.classList.remove.apply(marker.classList, markerClasses);
    markerClasses = ["wc-" + t.col, "wr-" + t.row, "we-" + (t.row + dragging.rows)];
    marker.classList.add.apply(marker.classList, markerClasses);
    marker.hidden = false;
  }

  function endDrag() {
    marker.hidden = true;
    grid.classList.remove("dragging");
    if (dragging) dragging.el.classList.remove("drag-source");
    dragging = null;
  }

  grid.addEventListener("dragstart", function (e) {
    var el = e.target.closest && e.target.closest("[data-appointment]");
    if (!el) return;
    var rect = el.getBoundingClientRect();
    dragging = {
      el: el,
      grabY: e.clientY - rect.top,
      rows: parseInt(el.getAttribute("data-row-end"), 10) - parseInt(el.getAttribute("data-row-start"), 10),
    };
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", el.getAttribute("data-appointment"));
    grid.classList.add("dragging");
    el.classList.add("drag-source");
  });

  grid.addEventListener("dragover", function (e) {
    if (!dragging) return;
    var t = target(e.clientX, e.clientY);
    if (!t) { marker.hidden = true; return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    showMarker(t);
  });

  grid.addEventListener("drop", function (e) {
    if (!dragging) return;
    e.preventDefault();
    var t = target(e.clientX, e.clientY);
    var el = dragging.el;
    endDrag();
    if (!t) return;
    pending = {
      url: el.getAttribute("data-reschedule-url"),
      startsAt: t.day.getAttribute("data-date") + "T" + t.time,
    };
    question.textContent = grid.getAttribute("data-msg-confirm")
      .replace("%(who)s", el.getAttribute("data-label"))
      .replace("%(when)s", t.day.getAttribute("data-label") + ", " + t.time);
    errorBox.textContent = "";
    moveButton.disabled = false;
    moveButton.hidden = false;
    dialog.showModal();
    moveButton.focus();
  });

  grid.addEventListener("dragend", endDrag);

  moveButton.addEventListener("click", function (e) {
    e.preventDefault();
    if (!pending) return;
    moveButton.disabled = true;
    errorBox.textContent = "";
    fetch(pending.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": grid.getAttribute("data-csrf") },
      body: JSON.stringify({ starts_at: pending.startsAt }),
    })
      .then(function (response) {
        return response.json()
          .catch(function () { return { detail: response.status + " " + response.statusText }; })
          .then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (result.ok) {
          if (window.sessionStorage) sessionStorage.setItem("nervecare-week-status", grid.getAttribute("data-msg-moved"));
          window.location.reload();
          return;
        }
        var body = result.body || {};
        var reasons = (body.errors || []).map(function (err) { return err.message; });
        errorBox.textContent = grid.getAttribute("data-msg-failed") + ": " + (reasons.length ? reasons.join("; ") : body.detail);
        moveButton.hidden = true; // the same move would be refused again: drag to another time instead
        dialog.querySelector("button[value=cancel]").focus();
      })
      .catch(function () {
        errorBox.textContent = grid.getAttribute("data-msg-network");
        moveButton.disabled = false;
      });
  });

  dialog.addEventListener("close", function () { pending = null; });
})();
