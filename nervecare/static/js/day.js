/* The front desk's day view: the week calendar's drag (week.js), across therapists.
   - Drag a booked appointment to another therapist's column and/or time: a dialog asks to confirm, the move goes
     to the reschedule API (the same service as the appointment page, therapist included) and a refused move
     shows the reason.
   - Drag across free time (press, move down, release) to book from the time where the drag started: the booking
     form opens prefilled with the therapist (or room), the day and that time. A plain click or tap on free time
     books from its start, as without JavaScript.
   From the keyboard and on touch screens, the links and buttons on the page do the same. */
(function () {
  "use strict";

  var grid = document.querySelector("[data-day]");
  if (!grid) return;
  var dialog = document.querySelector("[data-day-dialog]");
  var statusBox = document.querySelector("[data-day-status]");
  var rowMinutes = parseInt(grid.getAttribute("data-row-minutes"), 10) || 15;
  var firstHour = parseInt(grid.getAttribute("data-first-hour"), 10) || 7;
  var marker = document.createElement("div");
  marker.className = "week-drop";
  marker.hidden = true;
  marker.setAttribute("aria-hidden", "true");
  grid.appendChild(marker);
  var markerClasses = [];

  var remembered = window.sessionStorage && sessionStorage.getItem("nervecare-day-status");
  if (remembered && statusBox) {
    statusBox.textContent = remembered;
    statusBox.hidden = false;
    sessionStorage.removeItem("nervecare-day-status");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function rowHeight() {
    var hours = grid.querySelectorAll(".week-hour");
    if (hours.length < 2) return 0;
    return (hours[1].getBoundingClientRect().top - hours[0].getBoundingClientRect().top) / (60 / rowMinutes);
  }

  /* The 15-minute row index (0 = the first hour of the grid) at a screen height. */
  function rowIndex(y) {
    var first = grid.querySelector(".week-hour");
    var h = rowHeight();
    if (!first || !h) return null;
    return Math.floor((y - first.getBoundingClientRect().top) / h);
  }

  function timeOf(index) {
    var minutes = firstHour * 60 + index * rowMinutes;
    return pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  function columnAt(x) {
    var found = null;
    grid.querySelectorAll("[data-column]").forEach(function (head) {
      var r = head.getBoundingClientRect();
      if (x >= r.left && x < r.right) found = head;
    });
    return found;
  }

  function showMarker(col, startRow, endRow) {
    marker.classList.remove.apply(marker.classList, markerClasses);
    markerClasses = ["dc-" + col, "wr-" + (startRow + 2), "we-" + (endRow + 2)];
    marker.classList.add.apply(marker.classList, markerClasses);
    marker.hidden = false;
  }

  /* --- drag an appointment to another therapist or time ------------------------------------------------ */
  var dragging = null;
  var pending = null;

  function endDrag() {
    marker.hidden = true;
    grid.classList.remove("dragging");
    if (dragging) dragging.el.classList.remove("drag-source");
    dragging = null;
  }

  function dropTarget(x, y) {
    var head = columnAt(x);
    var index = rowIndex(y - dragging.grabY);
    var lastRow = grid.querySelectorAll(".week-hour").length * (60 / rowMinutes) - dragging.rows;
    if (!head || index === null || index < 0 || index > lastRow) return null;
    return { head: head, index: index };
  }

  if (dialog) {
    var question = dialog.querySelector("[data-day-question]");
    var errorBox = dialog.querySelector("[data-day-error]");
    var moveButton = dialog.querySelector("[data-day-move]");

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
      var t = dropTarget(e.clientX, e.clientY);
      if (!t) { marker.hidden = true; return; }
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      showMarker(t.head.getAttribute("data-col"), t.index, t.index + dragging.rows);
    });

    grid.addEventListener("drop", function (e) {
      if (!dragging) return;
      e.preventDefault();
      var t = dropTarget(e.clientX, e.clientY);
      var el = dragging.el;
      endDrag();
      if (!t) return;
      var time = timeOf(t.index);
      pending = {
        url: el.getAttribute("data-reschedule-url"),
        body: { starts_at: grid.getAttribute("data-date") + "T" + time, therapist_id: parseInt(t.head.getAttribute("data-column"), 10) },
      };
      question.textContent = grid.getAttribute("data-msg-confirm")
        .replace("%(who)s", el.getAttribute("data-label"))
        .replace("%(whom)s", t.head.getAttribute("data-name"))
        .replace("%(when)s", time);
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
        body: JSON.stringify(pending.body),
      })
        .then(function (response) {
          return response.json()
            .catch(function () { return { detail: response.status + " " + response.statusText }; })
            .then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (result.ok) {
            if (window.sessionStorage) sessionStorage.setItem("nervecare-day-status", grid.getAttribute("data-msg-moved"));
            window.location.reload();
            return;
          }
          var body = result.body || {};
          var reasons = (body.errors || []).map(function (err) { return err.message; });
          errorBox.textContent = grid.getAttribute("data-msg-failed") + ": " + (reasons.length ? reasons.join("; ") : body.detail);
          moveButton.hidden = true; // the same move would be refused again: drag elsewhere instead
          dialog.querySelector("button[value=cancel]").focus();
        })
        .catch(function () {
          errorBox.textContent = grid.getAttribute("data-msg-network");
          moveButton.disabled = false;
        });
    });

    dialog.addEventListener("close", function () { pending = null; });
  }

  /* --- drag across free time to book from where the drag started ----------------------------------------- */
  var choosing = null;
  var suppressClick = false;

  grid.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || e.pointerType === "touch") return; // a tap follows the link
    var free = e.target.closest && e.target.closest("[data-free]");
    if (!free) return;
    e.preventDefault(); // no text selection, no native link drag
    choosing = {
      el: free,
      start: rowIndex(e.clientY),
      end: rowIndex(e.clientY),
      y: e.clientY,
      first: parseInt(free.getAttribute("data-row-start"), 10) - 2,
      last: parseInt(free.getAttribute("data-row-end"), 10) - 3,
      col: free.getAttribute("data-col"),
    };
  });

  grid.addEventListener("pointermove", function (e) {
    if (!choosing) return;
    var index = rowIndex(e.clientY);
    if (index === null) return;
    choosing.end = Math.max(choosing.first, Math.min(choosing.last, index));
    if (Math.abs(e.clientY - choosing.y) > 4) {
      var a = Math.min(choosing.start, choosing.end);
      var b = Math.max(choosing.start, choosing.end);
      showMarker(choosing.col, Math.max(a, choosing.first), b + 1);
    }
  });

  document.addEventListener("pointerup", function (e) {
    if (!choosing) return;
    var c = choosing;
    choosing = null;
    marker.hidden = true;
    if (Math.abs(e.clientY - c.y) <= 4) return; // a click: the link books from the free time's start
    suppressClick = true;
    var start = Math.max(c.first, Math.min(c.last, Math.min(c.start, c.end)));
    var url = new URL(c.el.href, window.location.href);
    url.searchParams.set("at", timeOf(start));
    window.location.assign(url.toString());
  });

  grid.addEventListener("click", function (e) {
    if (suppressClick && e.target.closest && e.target.closest("[data-free]")) {
      e.preventDefault();
    }
    suppressClick = false;
  }, true);
})();
