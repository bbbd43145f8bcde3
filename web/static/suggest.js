// What a field that suggests as she types shares (web/static/org-suggest.js, bulk.js): 150 ms
// after the last key, GET `address(q)` for the text typed (trimmed; not again for the same
// text, nor for one `skip` refuses), and `fill` the field's <datalist> with the answer's items
// as <option>s, each `option(item, <option>)` sets. An answer that is late (she has typed on)
// or failed leaves the list as it was.
window.merzimSuggest = function (input, address, option, skip) {
  "use strict";
  var list = document.getElementById(input.getAttribute("list"));
  if (!list) { return; }
  var timer = null, asked = null;
  function fill(items) {
    var options = items.map(function (item) {
      var o = document.createElement("option");
      option(item, o);
      return o;
    });
    list.replaceChildren.apply(list, options);
  }
  function ask() {
    var q = input.value.trim();
    if (q === asked || (skip && skip(q))) { return; }
    asked = q;
    fetch(address(q), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (items) { if (items && asked === q) { fill(items); } })
      .catch(function () { /* the list stays as it was */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
};
