/* NerveCare: choosing from a select marked data-submit-on-change submits its form at once (the calendar's
   therapist and room pickers). data-clear="name" first empties another field of the form (picking a
   therapist clears the room). Replaces inline onchange handlers, which the Content-Security-Policy forbids;
   without JavaScript the form's own Show button does the same. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!el.matches || !el.matches("select[data-submit-on-change]") || !el.form) return;
    var clear = el.getAttribute("data-clear");
    if (clear && el.form.elements[clear]) el.form.elements[clear].value = "";
    if (typeof el.form.requestSubmit === "function") el.form.requestSubmit(); else el.form.submit();
  });
})();
