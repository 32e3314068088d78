/* The calendars' drag to move (week.js, day.js): drag a booked appointment, a marker shows where it would
   land, a dialog asks to confirm, the move goes to the reschedule API (the same service as the appointment
   page) and a refused move shows the reason; after a move the page reloads and says so once. Each page says
   where a drop lands and what the move sends; without JavaScript, and from the keyboard, the appointment
   page's "move" form does the same. */
window.NerveCareCalendar = (function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* The line a move left for the reloaded page, shown once. */
  function showRemembered(key, statusBox) {
    var remembered = window.sessionStorage && sessionStorage.getItem(key);
    if (remembered && statusBox) {
      statusBox.textContent = remembered;
      statusBox.hidden = false;
      sessionStorage.removeItem(key);
    }
  }

  /* Where a drop would land: a block placed on the grid by its classes. */
  function marker(grid) {
    var el = document.createElement("div");
    el.className = "week-drop";
    el.hidden = true;
    el.setAttribute("aria-hidden", "true");
    grid.appendChild(el);
    var classes = [];
    return {
      show: function (next) {
        el.classList.remove.apply(el.classList, classes);
        classes = next;
        el.classList.add.apply(el.classList, classes);
        el.hidden = false;
      },
      hide: function () { el.hidden = true; },
    };
  }

  /* Drag to move. o: grid, dialog, question, errorBox, moveButton (the dialog's parts), marker, statusKey;
     target(x, y, dragging): where the block would land, or null; markerClasses(t, dragging): the marker's
     classes there; move(t, el): {url, body, question} for the reschedule API and the dialog. */
  function appointmentDrag(o) {
    var grid = o.grid;
    var dragging = null;
    var pending = null;

    function endDrag() {
      o.marker.hide();
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
      var t = o.target(e.clientX, e.clientY, dragging);
      if (!t) { o.marker.hide(); return; }
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      o.marker.show(o.markerClasses(t, dragging));
    });

    grid.addEventListener("drop", function (e) {
      if (!dragging) return;
      e.preventDefault();
      var t = o.target(e.clientX, e.clientY, dragging);
      var el = dragging.el;
      endDrag();
      if (!t) return;
      pending = o.move(t, el);
      o.question.textContent = pending.question;
      o.errorBox.textContent = "";
      o.moveButton.disabled = false;
      o.moveButton.hidden = false;
      o.dialog.showModal();
      o.moveButton.focus();
    });

    grid.addEventListener("dragend", endDrag);

    o.moveButton.addEventListener("click", function (e) {
      e.preventDefault();
      if (!pending) return;
      o.moveButton.disabled = true;
      o.errorBox.textContent = "";
      fetch(pending.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": grid.getAttribute("data-csrf") },
        body: JSON.stringify(pending.body),
      })
        .then(function (response) {
          return response.json()
            .catch(function () { return { detail: response.status + " " + response.statusText }; })
            .then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (result.ok) {
            if (window.sessionStorage) sessionStorage.setItem(o.statusKey, grid.getAttribute("data-msg-moved"));
            window.location.reload();
            return;
          }
          var body = result.body || {};
          var reasons = (body.errors || []).map(function (err) { return err.message; });
          o.errorBox.textContent = grid.getAttribute("data-msg-failed") + ": " + (reasons.length ? reasons.join("; ") : body.detail);
          o.moveButton.hidden = true; // the same move would be refused again: drag elsewhere instead
          o.dialog.querySelector("button[value=cancel]").focus();
        })
        .catch(function () {
          o.errorBox.textContent = grid.getAttribute("data-msg-network");
          o.moveButton.disabled = false;
        });
    });

    o.dialog.addEventListener("close", function () { pending = null; });
  }

  return { pad: pad, showRemembered: showRemembered, marker: marker, appointmentDrag: appointmentDrag };
})();
