/* Week calendar: drag a booked appointment to another time (calendar-drag.js: the dialog, the reschedule API,
   a refused move's reason). Without JavaScript, and from the keyboard, the appointment page's "move" form does
   the same. The therapist and room choosers submit on change (autosubmit.js). */
(function () {
  "use strict";

  var cal = window.NerveCareCalendar;
  var grid = document.querySelector("[data-week]");
  var dialog = document.querySelector("[data-week-dialog]");
  if (!grid || !dialog || !cal) return;
  var rowMinutes = parseInt(grid.getAttribute("data-row-minutes"), 10) || 15;
  cal.showRemembered("nervecare-week-status", document.querySelector("[data-week-status]"));

  /* The day column and the 15-minute row where the top of the dragged block would land. */
  function target(x, y, dragging) {
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
      time: cal.pad(Math.floor(minutes / 60)) + ":" + cal.pad(minutes % 60),
    };
  }

  cal.appointmentDrag({
    grid: grid,
    dialog: dialog,
    question: dialog.querySelector("[data-week-question]"),
    errorBox: dialog.querySelector("[data-week-error]"),
    moveButton: dialog.querySelector("[data-week-move]"),
    marker: cal.marker(grid),
    statusKey: "nervecare-week-status",
    target: target,
    markerClasses: function (t, dragging) {
      return ["wc-" + t.col, "wr-" + t.row, "we-" + (t.row + dragging.rows)];
    },
    move: function (t, el) {
      return {
        url: el.getAttribute("data-reschedule-url"),
        body: { starts_at: t.day.getAttribute("data-date") + "T" + t.time },
        question: grid.getAttribute("data-msg-confirm")
          .replace("%(who)s", el.getAttribute("data-label"))
          .replace("%(when)s", t.day.getAttribute("data-label") + ", " + t.time),
      };
    },
  });
})();
