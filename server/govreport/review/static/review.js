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
  var side = document.getElementById("side");
  // A reviewer's corrections, by cell id: {state, field, value, raw, shown}.
  var fixes = {};
  // What each table cell showed as extracted, to strike through beside a correction.
  var original = {}, originalAria = {};
  Object.keys(tableCells).forEach(function (id) {
    var button = tableCells[id][0].querySelector("button");
    original[id] = button.textContent; originalAria[id] = button.getAttribute("aria-label");
  });
  // Until then, the side panel does not follow the source: the page itself just scrolled to
  // show something the reviewer asked for.
  var quietUntil = 0;

  function both(ids) {
    var out = [];
    ids.forEach(function (id) { out = out.concat(outlines[id] || [], tableCells[id] || []); });
    return out;
  }
  function mark(cls, ids) {
    document.querySelectorAll("." + cls).forEach(function (el) { el.classList.remove(cls); });
    both(ids).forEach(function (el) { el.classList.add(cls); });
  }
  function reveal(el) {
    if (el) { quietUntil = Date.now() + 800; el.scrollIntoView({block: "center", inline: "nearest"}); }
  }
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
    var fix = fixes[id];
    if (fix) { fact(dl, "更正 corrected", (fix.shown || "(空 blank)") + " ← " + (original[id] || "(空 blank)")); }
    if (tableCells[id]) {
      // Buttons, not only a double-click: the keyboard and a touch screen correct too.
      var edit = add(inspector, "button", "更正 Correct", "act");
      edit.type = "button"; edit.setAttribute("data-act", "edit"); edit.setAttribute("data-id", id);
      if (fix) {
        var undo = add(inspector, "button", "撤销更正 Undo correction", "act");
        undo.type = "button"; undo.setAttribute("data-act", "undo"); undo.setAttribute("data-id", id);
      }
    }
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
  document.addEventListener("click", function (e) {
    if (e.target.classList && e.target.classList.contains("fix-in")) { return; }  // typing, not selecting
    var act = e.target.closest ? e.target.closest("[data-act]") : null;
    if (act) {
      var id = act.getAttribute("data-id");
      if (act.getAttribute("data-act") === "edit") { startEdit(id); } else { setFix(id, null); selectCell(id, "table"); }
      return;
    }
    if (activate(e)) { e.preventDefault(); }
  });
  document.addEventListener("dblclick", function (e) {
    var t = e.target.closest ? e.target.closest(".tc[data-c]") : null;
    if (t) { e.preventDefault(); startEdit(t.getAttribute("data-c")); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.classList && e.target.classList.contains("fix-in")) { return; }  // the input's own keys
    if (e.key === "F2") {
      var t = e.target.closest ? e.target.closest(".tc[data-c]") : null;
      if (t) { e.preventDefault(); startEdit(t.getAttribute("data-c")); return; }
    }
    if (e.key === "Escape") { clear(); return; }
    // Buttons click on Enter and Space by themselves; the outlines (spans) need the help.
    var onOutline = e.target.classList && e.target.classList.contains("ol");
    if (onOutline && (e.key === "Enter" || e.key === " ") && activate(e)) { e.preventDefault(); }
  });

  // ---------------------------------------------------------------- corrections

  // What a reviewer may type, by the column's kind; "" is a blank cell, "/" one marked n/a.
  // Thousands separators and spaces are dropped, full-width digits and signs read as ASCII.
  var PATTERNS = {count: /^\d+$/, change: /^[+-]?\d+$/, amount: /^-?\d+(\.\d+)?$/};
  function parseFix(text, kind) {
    var t = String(text).replace(/[\uff01-\uff5e]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    }).replace(/[\s,]/g, "");
    if (t === "") { return {state: "CELL_STATE_BLANK", raw: "", shown: ""}; }
    if (t === "/") { return {state: "CELL_STATE_NOT_APPLICABLE", raw: "/", shown: "/"}; }
    if (!(PATTERNS[kind] || PATTERNS.count).test(t)) { return null; }
    var value = t, shown = t;
    if (kind === "amount") {
      // The canonical decimal the proto wants: no leading zeros, no trailing fraction zeros.
      value = t.replace(/^(-?)0+(?=\d)/, "$1").replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
      shown = value;
    } else {
      var n = parseInt(t, 10);
      value = String(n);
      shown = kind === "change" ? (n >= 0 ? "+" : "") + n : String(n);
    }
    return {state: "CELL_STATE_NUMBER", field: kind, value: value, raw: t, shown: shown};
  }
  function sameAsRead(id, fix) {
    var c = data.cells[id];
    return fix.state === c.state_name && (fix.field ? fix.shown === c.v : !c.v);
  }
  function showFix(id) {
    var fix = fixes[id];
    (tableCells[id] || []).forEach(function (td) {
      var button = td.querySelector("button");
      button.textContent = "";
      td.classList.toggle("corr", !!fix);
      if (!fix) { button.textContent = original[id]; button.setAttribute("aria-label", originalAria[id]); return; }
      add(button, "del", original[id] || "(空)");
      add(button, "ins", fix.shown || "(空)");
      button.setAttribute("aria-label", data.cells[id].label + ": " + (fix.shown || "空 blank") +
        "，原为 was " + (original[id] || "空 blank"));
    });
    (outlines[id] || []).forEach(function (el) {
      el.classList.toggle("corr", !!fix);
      if (fix) { el.setAttribute("data-fix", fix.shown || "(空)"); } else { el.removeAttribute("data-fix"); }
    });
    var n = Object.keys(fixes).length, count = document.getElementById("fix-count");
    count.textContent = n + " 处更正 correction" + (n === 1 ? "" : "s");
    count.classList.toggle("some", n > 0);
  }
  function setFix(id, fix) {
    if (fix && !sameAsRead(id, fix)) { fixes[id] = fix; } else { delete fixes[id]; }
    showFix(id);
  }
  function startEdit(id) {
    var td = (tableCells[id] || [])[0];
    if (!td || td.querySelector(".fix-in")) { return; }
    var c = data.cells[id];
    var input = document.createElement("input");
    input.type = "text"; input.className = "fix-in"; input.spellcheck = false;
    input.value = fixes[id] ? fixes[id].raw : (c.state_name === "CELL_STATE_NOT_APPLICABLE" ? "/" : c.v);
    input.setAttribute("aria-label", "更正 Correct " + c.label + " (Enter 确定 · Esc 取消)");
    td.classList.add("editing");
    td.appendChild(input);
    var done = false;
    function finish(commit) {
      if (done) { return true; }
      if (commit) {
        var fix = parseFix(input.value, c.kind);
        if (!fix) {
          input.setAttribute("aria-invalid", "true");
          input.title = "不是该栏可接受的值 not a value this column takes: " + c.kind + ", '' or '/'";
          return false;
        }
        setFix(id, fix);
      }
      done = true;
      input.remove(); td.classList.remove("editing");
      return true;
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        // The corrected cell shown on both sides: selected, its source box brought into view.
        if (finish(true)) { selectCell(id, "table"); td.querySelector("button").focus({preventScroll: true}); }
      } else if (e.key === "Escape") {
        e.preventDefault(); finish(false); td.querySelector("button").focus({preventScroll: true});
      }
    });
    // Leaving the field keeps a valid value, and drops one the column cannot take.
    input.addEventListener("blur", function () { if (!finish(true)) { finish(false); } });
    input.focus(); input.select();
  }

  // The extraction with the corrections applied, as `govreport validate` reads it: each
  // corrected cell gets its new state and value (the column's field of the value oneof), the
  // text typed as its raw text, confidence 1 (a person read it), and a note of what was read.
  function corrected() {
    var out = JSON.parse(JSON.stringify(data.extraction));
    out.report = out.report || {};
    Object.keys(fixes).forEach(function (id) {
      var c = data.cells[id], fix = fixes[id], node = out.report;
      c.path.split(".").forEach(function (name) { node = node[name] = node[name] || {}; });
      delete node.count; delete node.amount; delete node.change; delete node.derived;
      node.state = fix.state;
      if (fix.field) { node[fix.field] = fix.value; }
      node.raw_text = fix.raw;
      node.confidence = 1;
      node.notes = (node.notes || []).concat([
        "审阅更正 corrected by a reviewer: read as '" + (original[id] || "") + "' (raw '" + c.raw + "')"
      ]);
    });
    return out;
  }
  function download() {
    var text = JSON.stringify(corrected(), null, 2) + "\n";
    document.getElementById("corrected-json").textContent = text;
    var url = URL.createObjectURL(new Blob([text], {type: "application/json"}));
    var a = document.createElement("a");
    a.href = url; a.download = data.download; a.hidden = true;
    document.body.appendChild(a); a.click(); a.remove();
    // The browser reads the Blob after the click returns: released only later.
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    document.body.setAttribute("data-downloaded", data.download);
  }
  document.getElementById("download").addEventListener("click", download);

  // ---------------------------------------------------------------- following the source

  // The side panel stays beside the source; as the source scrolls, it brings up the table
  // cells of what is in view (the first outline below the top fifth of the source pane),
  // unless the reviewer is busy in the panel or the cell is already in sight there.
  var doc = document.getElementById("doc");
  function beside() { return side.getBoundingClientRect().left >= doc.getBoundingClientRect().right - 1; }
  var following = false;
  function follow() {
    following = false;
    if (!beside()) { return; }  // stacked under the source: nothing to follow
    if (Date.now() < quietUntil || side.matches(":hover") || side.contains(document.activeElement)) { return; }
    var pane = doc.getBoundingClientRect(), line = pane.top + pane.height / 5, best = null;
    var all = doc.querySelectorAll(".ol:not(.ol-cont)");
    for (var i = 0; i < all.length; i++) {
      var r = all[i].getBoundingClientRect();
      if (r.height > 0 && r.bottom >= line && r.top < pane.bottom) { best = all[i]; break; }
    }
    if (!best) { return; }
    var id = best.getAttribute("data-c"), td = (tableCells[id] || [])[0];
    side.setAttribute("data-follow", id);
    if (!td) { return; }
    var top = document.querySelector(".side-top").getBoundingClientRect().bottom;
    var box = td.getBoundingClientRect(), panel = side.getBoundingClientRect();
    if (box.top >= top && box.bottom <= panel.bottom) { return; }
    side.scrollTop += box.top - top - 40;
  }
  doc.addEventListener("scroll", function () {
    if (!following) { following = true; window.requestAnimationFrame(follow); }
  }, {passive: true});

  // A link to the page can name what to show: #f-2 (a finding) or #o-c17 / #t-c17 (a cell),
  // and replay corrections: #fix-c17=5&fix-c20=/ types each value into its table cell as a
  // reviewer does (double-click, type, Enter); "&download" then presses the download button.
  location.hash.slice(1).split("&").forEach(function (part) {
    var hash = decodeURIComponent(part);
    var m = /^f-(\d+)$/.exec(hash);
    if (m) { selectFinding(Number(m[1]) - 1); }
    m = /^[ot]-(c\d+)$/.exec(hash);
    if (m && data.cells[m[1]]) { selectCell(m[1], ""); }
    m = /^fix-(c\d+)=(.*)$/.exec(hash);
    if (m && tableCells[m[1]]) {
      var button = tableCells[m[1]][0].querySelector("button");
      button.dispatchEvent(new MouseEvent("dblclick", {bubbles: true, cancelable: true}));
      var input = tableCells[m[1]][0].querySelector(".fix-in");
      input.value = m[2];
      input.dispatchEvent(new Event("input", {bubbles: true}));
      input.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}));
    }
    if (hash === "download") { document.getElementById("download").click(); }
  });

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
  document.body.setAttribute("data-fixes", Object.keys(fixes).join(" "));
  document.body.setAttribute("data-side", beside() ? "beside" : "stacked");
  document.body.setAttribute("data-ready", "1");
})();
