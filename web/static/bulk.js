// The bulk bar's selection count: how many rows of the list are ticked, in the
// reader's language (the plural forms are the bar's data-one/-few/-many/-other, "{n}" in each).
// Without script the count stays hidden; the selection works the same.
(function () {
  "use strict";
  var bar = document.getElementById("bulk");
  if (!bar) { return; }
  var out = bar.querySelector("[data-bulk-count]");
  if (!out) { return; }
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "en") : null;
  function boxes() { return document.querySelectorAll("input[type=checkbox][name=item][form=bulk]"); }
  function update() {
    var n = 0;
    boxes().forEach(function (box) { if (box.checked) { n += 1; } });
    var form = rules ? rules.select(n) : "other";
    var text = out.getAttribute("data-" + form) || out.getAttribute("data-other") || "{n}";
    out.textContent = text.replace("{n}", String(n));
    bar.classList.toggle("has-selection", n > 0);
  }
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t && t.name === "item" && t.getAttribute("form") === "bulk") { update(); }
  });
  out.hidden = false;
  update();
}());

// The hand-over's person, typed by name: as she types, the field's <datalist> is filled with
// those GET /bulk/assignees?q= finds among the list's officers ("Name (@login)", her
// organisation as the label). Without script she types the name and the server finds her
// (several of that name: offered to choose). The asking is web/static/suggest.js's.
(function () {
  "use strict";
  var input = document.querySelector("input[data-assignee-suggest]");
  if (!input) { return; }
  var org = input.form ? input.form.querySelector("input[type=hidden][name=org]") : null;
  window.merzimSuggest(input, function (q) {
    return input.getAttribute("data-assignee-suggest") + "?q=" + encodeURIComponent(q) +
      (org && org.value ? "&org=" + encodeURIComponent(org.value) : "");
  }, function (p, option) {
    option.value = p.name + " (@" + p.login + ")";
    option.label = p.org;
  }, function (q) { return /\(@[^()\s]+\)$/.test(q); });  // a suggestion chosen: nothing to ask
}());
