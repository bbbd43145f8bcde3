// The people import's preview: the roles and logins she changed go back as one field each, "row:role,…"
// (only the rows whose select no longer shows the role it was shown with), so a list of any
// length confirms within the fields a form may carry. The selects send nothing themselves
// then. Without this script a short list sends each row's select (role_N); a long one's
// selects are shown disabled, and enabled here.
(function () {
  "use strict";
  var form = document.querySelector("form[data-testid='people-import-confirm-form']");
  var field = form && form.querySelector("input[data-roles]");
  if (!field) { return; }
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-row]"));
  selects.forEach(function (select) { select.disabled = false; });
  // the logins likewise: the rows whose login she changed, "row:login" a line, in one field
  var loginsField = form.querySelector("input[data-logins]");
  var logins = Array.prototype.slice.call(form.querySelectorAll("input[data-login-row]"));
  logins.forEach(function (input) { input.disabled = false; });
  form.addEventListener("submit", function () {
    var typed = [];
    logins.forEach(function (input) {
      if (input.value !== input.getAttribute("data-login")) {
        typed.push(input.getAttribute("data-login-row") + ":" + input.value.trim());
      }
      input.removeAttribute("name");
    });
    if (loginsField) { loginsField.value = typed.join("\n"); }
  });
  form.addEventListener("submit", function () {
    var changed = [];
    selects.forEach(function (select) {
      if (select.value !== select.getAttribute("data-role")) {
        changed.push(select.getAttribute("data-row") + ":" + select.value);
      }
      select.removeAttribute("name");
    });
    field.value = changed.join(",");
  });
}());
