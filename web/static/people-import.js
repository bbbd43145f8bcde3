// The people import's preview: the roles she changed go back as one field, "row:role,…"
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
