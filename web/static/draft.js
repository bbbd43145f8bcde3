// The draft page's "Copy the text" button: copies the text box as edited. Without
// script the button stays hidden; the text can be selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (!box) { return; }
    button.hidden = false;
    function say(text) { if (status) { status.textContent = text; } }
    function byHand() {
      box.focus();
      box.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      say(button.getAttribute(done ? "data-copied" : "data-copy-failed"));
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(function () {
          say(button.getAttribute("data-copied"));
        }, byHand);
      } else {
        byHand();
      }
    });
  });
}());
