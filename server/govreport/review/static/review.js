(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var outlines = {}, tableCells = {};
  function index(map, el) { var id = el.getAttribute("data-c"); (map[id] = map[id] || []).push(el); }
  document.querySelectorAll(".ol[data-c]").forEach(function (el) { index(outlines, el); });
  document.querySelectorAll(".tc[data-c]").forEach(function (el) { index(tableCells, el); });
  var inspector = document.getElementById("inspector");
  var hint = inspector.innerHTML;
  var selected = null;

  function both(ids) {
    var out = [];
    ids.forEach(function (id) { out = out.concat(outlines[id] || [], tableCells[id] || []); });
    return out;
  }
  function mark(cls, ids) {
    document.querySelectorAll("." + cls).forEach(function (el) { el.classList.remove(cls); });
    both(ids).forEach(function (el) { el.classList.add(cls); });
  }
  function reveal(el) { if (el) { el.scrollIntoView({block: "center", inline: "nearest"}); } }
  function add(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  function fact(dl, term, value) {
    if (value === "" || value === null || value === undefined) { return; }
    add(dl, "dt", term); add(dl, "dd", String(value));
  }
  function showCell(id) {
    var c = data.cells[id];
    if (!c) { return; }
    inspector.textContent = "";
    add(inspector, "h3", c.label);
    var dl = add(inspector, "dl");
    fact(dl, "值 value", c.value || "—");
    fact(dl, "原文 raw text", c.raw === "" ? "(空 empty)" : c.raw);
    fact(dl, "状态 state", c.state + (c.derived ? " · 推算 derived" : ""));
    fact(dl, "置信度 confidence", c.confidence.toFixed(2));
    fact(dl, "审阅 status", c.status);
    fact(dl, "规则 rules", c.rules.join(" "));
    fact(dl, "位置 where", c.where || "(无 none)");
    fact(dl, "备注 notes", c.notes.join("; "));
  }
  function showFinding(i) {
    var f = data.findings[i];
    inspector.textContent = "";
    add(inspector, "h3", f.rule + " · " + (f.severity === "error" ? "错误 error" : "警告 warning"));
    add(inspector, "p", f.message);
    var dl = add(inspector, "dl");
    fact(dl, "单元格 cells", f.cells.map(function (id) { return data.cells[id].label; }).join("; "));
    fact(dl, "可疑 suspect", f.suspects.map(function (id) { return data.cells[id].label; }).join("; "));
  }
  function restore() {
    if (!selected) { inspector.innerHTML = hint; }
    else if (selected.cell) { showCell(selected.cell); }
    else { showFinding(selected.finding); }
  }
  function activeFinding(i) {
    document.querySelectorAll(".finding.active").forEach(function (el) { el.classList.remove("active"); });
    if (i !== null) { document.getElementById("f-" + (i + 1)).classList.add("active"); }
  }
  function selectCell(id, from) {
    selected = {cell: id};
    mark("fhl", []); activeFinding(null); mark("sel", [id]); showCell(id);
    if (from !== "outline") { reveal((outlines[id] || [])[0]); }
    if (from !== "table") { reveal((tableCells[id] || [])[0]); }
  }
  function selectFinding(i) {
    var f = data.findings[i];
    if (!f) { return; }
    selected = {finding: i};
    mark("sel", f.suspects); mark("fhl", f.cells); activeFinding(i); showFinding(i);
    var first = f.suspects.concat(f.cells).filter(function (id) { return outlines[id]; })[0];
    if (first) { reveal(outlines[first][0]); }
  }
  function clear() { selected = null; mark("sel", []); mark("fhl", []); activeFinding(null); restore(); }

  function hover(e) {
    var t = e.target.closest ? e.target.closest("[data-c]") : null;
    if (!t) { return; }
    mark("hl", [t.getAttribute("data-c")]);
    showCell(t.getAttribute("data-c"));
  }
  function leave(e) {
    var t = e.target.closest ? e.target.closest("[data-c]") : null;
    if (!t) { return; }
    mark("hl", []);
    restore();
  }
  function activate(e) {
    var t = e.target.closest ? e.target.closest("[data-c], [data-f]") : null;
    if (!t) { return false; }
    if (t.hasAttribute("data-c")) {
      selectCell(t.getAttribute("data-c"), t.classList.contains("ol") ? "outline" : "table");
    } else {
      selectFinding(Number(t.getAttribute("data-f")));
    }
    return true;
  }
  document.addEventListener("mouseover", hover);
  document.addEventListener("mouseout", leave);
  document.addEventListener("focusin", hover);
  document.addEventListener("click", function (e) { if (activate(e)) { e.preventDefault(); } });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { clear(); return; }
    // Buttons click on Enter and Space by themselves; the outlines (spans) need the help.
    var onOutline = e.target.classList && e.target.classList.contains("ol");
    if (onOutline && (e.key === "Enter" || e.key === " ") && activate(e)) { e.preventDefault(); }
  });

  // A link to the page can name what to show: #f-2 (a finding) or #o-c17 / #t-c17 (a cell).
  var hash = decodeURIComponent(location.hash.slice(1));
  var m = /^f-(\d+)$/.exec(hash);
  if (m) { selectFinding(Number(m[1]) - 1); }
  m = /^[ot]-(c\d+)$/.exec(hash);
  if (m && data.cells[m[1]]) { selectCell(m[1], ""); }

  // Record what the browser actually laid out, for tests and for a glance in devtools.
  var drawn = 0;
  document.querySelectorAll("[data-view]").forEach(function (view) {
    var n = 0;
    view.querySelectorAll(".ol:not(.ol-cont)").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { n += 1; }
    });
    view.setAttribute("data-drawn", String(n));
    drawn += n;
  });
  document.body.setAttribute("data-drawn", String(drawn));
  document.body.setAttribute("data-cells", String(Object.keys(data.cells).length));
  document.body.setAttribute("data-ready", "1");
})();
