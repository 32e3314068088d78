/* The front desk's day view: the calendars' drag to move (calendar-drag.js), across therapists.
   - Drag a booked appointment to another therapist's column and/or time: a dialog asks to confirm, the move goes
     to the reschedule API (the same service as the appointment page, therapist included) and a refused move
     shows the reason.
   - Drag across free time (press, move down, release) to book from the time where the drag started: the booking
     form opens prefilled with the therapist (or room), the day and that time. A plain click or tap on free time
     books from its start, as without JavaScript.
   From the keyboard and on touch screens, the links and buttons on the page do the same. */
(function () {
  "use strict";

  var cal = window.NerveCareCalendar;
  var grid = document.querySelector("[data-day]");
  if (!grid || !cal) return;
  var dialog = document.querySelector("[data-day-dialog]");
  var rowMinutes = parseInt(grid.getAttribute("data-row-minutes"), 10) || 15;
  var firstHour = parseInt(grid.getAttribute("data-first-hour"), 10) || 7;
  var marker = cal.marker(grid);
  cal.showRemembered("nervecare-day-status", document.querySelector("[data-day-status]"));

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
    return cal.pad(Math.floor(minutes / 60)) + ":" + cal.pad(minutes % 60);
  }

  function columnAt(x) {
    var found = null;
    grid.querySelectorAll("[data-column]").forEach(function (head) {
      var r = head.getBoundingClientRect();
      if (x >= r.left && x < r.right) found = head;
    });
    return found;
  }

  function markerClasses(col, startRow, endRow) {
    return ["dc-" + col, "wr-" + (startRow + 2), "we-" + (endRow + 2)];
  }

  /* --- drag an appointment to another therapist or time ------------------------------------------------ */
  if (dialog) {
    cal.appointmentDrag({
      grid: grid,
      dialog: dialog,
      question: dialog.querySelector("[data-day-question]"),
      errorBox: dialog.querySelector("[data-day-error]"),
      moveButton: dialog.querySelector("[data-day-move]"),
      marker: marker,
      statusKey: "nervecare-day-status",
      target: function (x, y, dragging) {
        var head = columnAt(x);
        var index = rowIndex(y - dragging.grabY);
        var lastRow = grid.querySelectorAll(".week-hour").length * (60 / rowMinutes) - dragging.rows;
        if (!head || index === null || index < 0 || index > lastRow) return null;
        return { head: head, index: index };
      },
      markerClasses: function (t, dragging) {
        return markerClasses(t.head.getAttribute("data-col"), t.index, t.index + dragging.rows);
      },
      move: function (t, el) {
        var time = timeOf(t.index);
        return {
          url: el.getAttribute("data-reschedule-url"),
          body: { starts_at: grid.getAttribute("data-date") + "T" + time, therapist_id: parseInt(t.head.getAttribute("data-column"), 10) },
          question: grid.getAttribute("data-msg-confirm")
            .replace("%(who)s", el.getAttribute("data-label"))
            .replace("%(whom)s", t.head.getAttribute("data-name"))
            .replace("%(when)s", time),
        };
      },
    });
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
      marker.show(markerClasses(choosing.col, Math.max(a, choosing.first), b + 1));
    }
  });

  document.addEventListener("pointerup", function (e) {
    if (!choosing) return;
    var c = choosing;
    choosing = null;
    marker.hide();
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
