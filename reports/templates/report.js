"use strict";
// Enhancements only: the page is complete without this script. It never writes HTML;
// host data stays text (textContent), so nothing in a report can become markup or code.
(function () {
  document.documentElement.setAttribute("data-enhanced", "1");

  var table = document.getElementById("host-table");
  var filters = document.getElementById("filters");
  if (table && filters) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var text = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var input = document.getElementById("host-filter");
    var onlyBad = document.getElementById("noncompliant-only");
    var count = document.getElementById("filter-count");
    filters.hidden = false;
    var apply = function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row, i) {
        var bad = row.getAttribute("data-state") !== "pass" &&
          row.getAttribute("data-state") !== "not_applicable";
        var visible = (!needle || text[i].indexOf(needle) !== -1) && (!onlyBad.checked || bad);
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.textContent = shown + " / " + rows.length;
    };
    input.addEventListener("input", apply);
    onlyBad.addEventListener("change", apply);
    apply();

    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, col) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      th.tabIndex = 0;
      var sort = function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var key = function (row) {
          var cell = row.cells[col];
          if (kind === "number") {
            var raw = cell.getAttribute("data-value");
            var n = parseFloat(raw === null ? cell.textContent : raw);
            return isNaN(n) ? -1 : n;
          }
          return cell.textContent.trim().toLowerCase();
        };
        var sorted = rows.slice().sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = x < y ? -1 : (x > y ? 1 : 0);
          return ascending ? c : -c;
        });
        var body = table.tBodies[0];
        sorted.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }

  // Paper cannot be clicked: open every evidence block while printing, then restore.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(
      document.querySelectorAll("details"), function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
