/* kpiscan report: the behaviour a reviewer needs; pages read fine without it. */
(function () {
  "use strict";
  var body = document.body;

  // document page: search box and filters over the indicator rows. Only tbody rows hide: table
  // headers, halves and the tables stay, and hidden category labels (一级/二级 printed once per
  // group) show on every row while a filter is on.
  var q = document.getElementById("q");
  if (q) {
    var label = document.getElementById("f-label"), level2 = document.getElementById("f-level2"),
        code = document.getElementById("f-code"), weak = document.getElementById("weak-only"),
        shown = document.getElementById("shown");
    var rows = Array.prototype.slice.call(document.querySelectorAll("table.indicators tbody tr.ind"));
    var words = function (s) { return " " + (s || "") + " "; };
    var apply = function () {
      var text = q.value.trim().toLowerCase(), l = label.value, l2 = level2.value, c = code.value, w = weak.checked;
      var active = !!(text || l || l2 || c || w), n = 0;
      body.classList.toggle("filtering", active);
      body.classList.toggle("weak-only", w);
      rows.forEach(function (tr) {
        var ok = (!w || tr.classList.contains("weak") || tr.classList.contains("noted")) &&
          (!l || words(tr.getAttribute("data-labels")).indexOf(" " + l + " ") >= 0) &&
          (!l2 || tr.getAttribute("data-level2") === l2) &&
          (!c || words(tr.getAttribute("data-codes")).indexOf(" " + c + " ") >= 0) &&
          (!text || tr.textContent.toLowerCase().indexOf(text) >= 0);
        tr.classList.toggle("hidden", !ok);
        if (ok) { n += 1; }
      });
      Array.prototype.forEach.call(document.querySelectorAll("section.kpi-table"), function (sec) {
        var any = sec.querySelector("table.indicators tbody tr.ind:not(.hidden)");
        var none = sec.querySelector("p.none");
        if (none) { none.hidden = !!any; }
        if (active && any) { sec.querySelector("details.fold").open = true; }
      });
      shown.textContent = active ? "显示 " + n + " / " + rows.length + " 行" : rows.length + " 行";
    };
    [q, label, level2, code, weak].forEach(function (el) {
      el.addEventListener(el === q ? "input" : "change", apply);
    });
    var fold = function (open) {
      Array.prototype.forEach.call(document.querySelectorAll("details.fold"), function (d) { d.open = open; });
    };
    document.getElementById("expand-all").addEventListener("click", function () { fold(true); });
    document.getElementById("collapse-all").addEventListener("click", function () { fold(false); });
    // a link to a row (#t2-L62, from the workbook or a finding) opens its table first
    var reveal = function () {
      var id = decodeURIComponent(location.hash.slice(1)), el = id && document.getElementById(id);
      if (el) {
        var d = el.closest("details.fold");
        if (d && !d.open) { d.open = true; el.scrollIntoView(); }
      }
    };
    window.addEventListener("hashchange", reveal);
    reveal();
    // a filtered view can be linked: page.html?weak=1&q=满意度&label=vague&level2=时效指标&code=…
    var params = new URLSearchParams(location.search);
    q.value = params.get("q") || "";
    [[label, "label"], [level2, "level2"], [code, "code"]].forEach(function (p) {
      var v = params.get(p[1]);
      if (v && Array.prototype.some.call(p[0].options, function (o) { return o.value === v; })) { p[0].value = v; }
    });
    weak.checked = params.get("weak") === "1";
    apply();
  }

  // overview: click a column header of the documents table to sort by it
  var table = document.querySelector("table.sortable");
  if (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable-col");
      th.addEventListener("click", function () {
        var tbody = table.tBodies[0];
        var trs = Array.prototype.slice.call(tbody.rows);
        var down = th.getAttribute("data-dir") !== "down";
        th.setAttribute("data-dir", down ? "down" : "up");
        trs.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh");
          return down ? -cmp : cmp;
        });
        trs.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  }
  body.setAttribute("data-js-ready", "1");
})();
