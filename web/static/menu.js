// The menu on a phone: folded behind its button, all but the links marked "keep" (My work and
// Overdue); the button opens and closes it,
// Escape closes it and gives the focus back to the button. The page's CSS folds it only once
// this script has marked the header (.menu-folds): without script the whole menu is shown.
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) { return; }
  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }
  button.hidden = false;
  header.classList.add("menu-folds");
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      show(false);
      button.focus();
    }
  });
}());
