// The day list's Print button (no inline script: strict CSP). Printing works from the browser's menu too.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
