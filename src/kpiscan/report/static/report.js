/* kpiscan report: the two bits of behaviour a reviewer needs; pages read fine without them. */
(function () {
  "use strict";
  // document page: show only weak (flagged) rows and rows with findings
  var weak = document.getElementById("weak-only");
  if (weak) {
    weak.addEventListener("change", function () { document.body.classList.toggle("weak-only", weak.checked); });
  }
  // overview: click a column header of the documents table to sort by it
  var table = document.querySelector("table.sortable");
  if (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable-col");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var down = th.getAttribute("data-dir") !== "down";
        th.setAttribute("data-dir", down ? "down" : "up");
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh");
          return down ? -cmp : cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.body.setAttribute("data-js-ready", "1");
})();
