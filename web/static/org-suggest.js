// An organisation filter (web/templates/_rows.html `org_filter`): a text field for the
// organisation's code whose <datalist> holds the first organisations of the reader's subtree;
// as she types, the list is replaced by what GET /orgs/suggest?q= finds (by code or name, in
// any language; web/static/suggest.js). Without script the field and its first choices work
// the same: the form sends the code typed or chosen.
(function () {
  "use strict";
  document.querySelectorAll("input[data-org-suggest]").forEach(function (input) {
    window.merzimSuggest(input, function (q) {
      return input.getAttribute("data-org-suggest") + "?q=" + encodeURIComponent(q);
    }, function (o, option) {
      option.value = o.code;
      option.label = o.name;
    });
  });
}());
