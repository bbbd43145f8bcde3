// An organisation filter (web/templates/_rows.html `org_filter`): a text field for the
// organisation's code whose <datalist> holds the first organisations of the reader's subtree;
// as she types, the list is replaced by what GET /orgs/suggest?q= finds (by code or name, in
// any language). Without script the field and its first choices work the same: the form sends
// the code typed or chosen.
(function () {
  "use strict";
  document.querySelectorAll("input[data-org-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null, asked = null;
    function fill(items) {
      var options = items.map(function (o) {
        var option = document.createElement("option");
        option.value = o.code;
        option.label = o.name;
        return option;
      });
      list.replaceChildren.apply(list, options);
    }
    function ask() {
      var q = input.value.trim();
      if (q === asked) { return; }
      asked = q;
      fetch(input.getAttribute("data-org-suggest") + "?q=" + encodeURIComponent(q),
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (items) { if (items && asked === q) { fill(items); } })
        .catch(function () { /* the list stays as it was */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  });
}());
