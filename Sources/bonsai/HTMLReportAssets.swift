/// The HTML report's stylesheet and script, inlined into every page: the page fetches
/// nothing (no fonts, no scripts, no images).
enum HTMLReportAssets {
  /// The stylesheet: system fonts, a column no wider than a laptop screen, rows that wrap
  /// long names rather than scroll sideways.
  static let style = """
    :root{--ink:#1f2933;--muted:#5f6b7a;--line:#dde2e8;--panel:#f6f8fa;--accent:#4e79a7}
    *{box-sizing:border-box}
    body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;\
    color:var(--ink);background:#fff}
    main{max-width:1200px;margin:0 auto;padding:18px 24px 40px}
    header h1{font-size:21px;margin:0}
    header p{margin:2px 0 0;color:var(--muted);overflow-wrap:anywhere}
    h2{font-size:15px;margin:22px 0 6px}
    h3{font-size:13px;margin:16px 0 2px;color:var(--muted);font-weight:600;overflow-wrap:anywhere}
    .top{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px;margin-top:14px}
    .cards{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px;align-content:start}
    .card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:9px 12px}
    .card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}
    .card span{color:var(--muted);font-size:12px}
    .config h2{margin-top:0}
    dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 14px;margin:0;font-size:13px}
    dt{color:var(--muted);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
    dd{margin:0;overflow-wrap:anywhere}
    svg{display:block;font-family:inherit}
    svg.chart{width:100%;height:auto}
    svg text{fill:var(--muted)}
    svg .grid{stroke:#e8ebef}
    svg .base{stroke:#9aa5b1}
    svg rect[fill]:hover,svg circle:hover{opacity:.7}
    .legend{display:flex;flex-wrap:wrap;gap:3px 14px;font-size:12px;margin:2px 0 4px}
    .legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
    .row{display:grid;grid-template-columns:minmax(0,1fr) 130px 44px 150px 180px 90px minmax(0,180px);\
    gap:10px;align-items:center;padding:4px 8px;border-bottom:1px solid #eef1f4;\
    font-variant-numeric:tabular-nums;font-size:13px}
    .row.head{color:var(--muted);font-size:12px;border-bottom:1px solid var(--line)}
    .row.plain{color:var(--muted)}
    .row .note{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
    .name{overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
    summary{list-style:none;cursor:pointer}
    summary::-webkit-details-marker{display:none}
    summary:hover{background:var(--panel)}
    summary .name::before{content:"\\25B8";display:inline-block;width:14px;color:var(--accent)}
    details[open]>summary .name::before{content:"\\25BE"}
    .plain .name{padding-left:14px}
    .sparsity{display:flex;align-items:center;gap:8px}
    .meter{flex:0 0 70px;height:8px;background:#e6eaef;border-radius:4px;overflow:hidden}
    .meter i{display:block;height:100%;background:var(--accent)}
    .facts{display:flex;flex-wrap:wrap;gap:2px 18px;padding:6px 8px 0 22px;font-size:12px}
    .facts em{font-style:normal;color:var(--muted)}
    .pictures{display:flex;flex-wrap:wrap;gap:14px 26px;padding:8px 8px 18px 22px;\
    border-bottom:1px solid var(--line)}
    figure{margin:0}
    figcaption{font-size:12px;color:var(--muted);margin-bottom:4px;max-width:480px}
    figure p{font-size:12px;color:var(--muted);margin:4px 0 0;max-width:480px}
    .scale{display:flex;align-items:center;gap:6px;font-size:11px;color:var(--muted);margin-top:4px}
    .scale i{width:120px;height:8px;border-radius:2px;background:linear-gradient(90deg,#f3f6fb,#174080)}
    footer{margin-top:26px;color:var(--muted);font-size:12px}
    @media (max-width:1000px){.top{grid-template-columns:minmax(0,1fr)}
    .row{grid-template-columns:minmax(0,1fr) 150px 130px}.row .shape,.row .dtype,.row .error,.row .note{display:none}}
    """

  /// The script: draws a tensor's pictures from its JSON block when the tensor is opened, and
  /// records on the root element that it ran (`data-script="ready"`), the first error
  /// (`data-script-error`) and the page's width (`data-scroll-width`), for tests in a
  /// headless browser. `#open-all` opens every tensor.
  static let script = """
    (() => {
    "use strict";
    const root = document.documentElement;
    const fail = (message) => { if (!root.dataset.scriptError) root.dataset.scriptError = String(message); };
    window.addEventListener("error", (event) => fail(event.message));
    const svgNS = "http://www.w3.org/2000/svg";
    const percent = (x) => (100 * x).toFixed(1) + "%";
    const count = (n) => n.toLocaleString("en-US");
    const bound = (cell, length, cells) => Math.floor(cell * length / cells);
    const shade = (x) => "rgb(" + [[243, 23], [246, 64], [251, 128]]
      .map(([a, b]) => Math.round(a + (b - a) * x)).join(",") + ")";

    function node(parent, name, attributes, tooltip) {
      const element = document.createElementNS(svgNS, name);
      for (const key in attributes) element.setAttribute(key, attributes[key]);
      if (tooltip) node(element, "title", {}).textContent = tooltip;
      parent.append(element);
      return element;
    }
    function text(svg, words, x, y, anchor) {
      node(svg, "text", {x, y, "text-anchor": anchor || "start", "font-size": 11}).textContent = words;
    }
    function figure(box, caption, width, height, note) {
      const element = document.createElement("figure");
      element.append(Object.assign(document.createElement("figcaption"), {textContent: caption}));
      const svg = node(element, "svg", {viewBox: `0 0 ${width} ${height}`, width, height});
      if (note) element.append(Object.assign(document.createElement("p"), {textContent: note}));
      box.append(element);
      return svg;
    }

    function heatmap(box, grid) {
      if (grid.cellRows === 0 || grid.cellColumns === 0) return;
      const density = atob(grid.density);
      const aspect = Math.min(1, Math.max(0.35, grid.rows / grid.columns));
      const width = 320, height = Math.round(width * aspect);
      const svg = figure(box, `Where the nonzeros are: ${grid.cellRows} × ${grid.cellColumns} cells ` +
        `over ${count(grid.rows)} rows × ${count(grid.columns)} columns`, width, height);
      svg.setAttribute("shape-rendering", "crispEdges");
      const cellWidth = width / grid.cellColumns, cellHeight = height / grid.cellRows;
      for (let r = 0; r < grid.cellRows; r++) {
        const rows = [bound(r, grid.rows, grid.cellRows), bound(r + 1, grid.rows, grid.cellRows) - 1];
        for (let c = 0; c < grid.cellColumns; c++) {
          const columns = [bound(c, grid.columns, grid.cellColumns), bound(c + 1, grid.columns, grid.cellColumns) - 1];
          const q = density.charCodeAt(r * grid.cellColumns + c);
          const kept = q === 0 ? "none" : q === 255 ? "all" : "≈ " + percent(q / 255);
          node(svg, "rect", {x: c * cellWidth, y: r * cellHeight, width: cellWidth + 0.01,
            height: cellHeight + 0.01, fill: shade(q / 255)},
            `rows ${rows[0]}–${rows[1]}, columns ${columns[0]}–${columns[1]}: ${kept} nonzero`);
        }
      }
      const scale = document.createElement("div");
      scale.className = "scale";
      scale.innerHTML = "<span>none kept</span><i></i><span>all kept</span>";
      svg.parentNode.append(scale);
    }

    function patch(box, patch) {
      if (patch.rows === 0 || patch.columns === 0) return;
      const size = Math.max(3, Math.min(10, Math.floor(320 / patch.columns)));
      const svg = figure(box, `The exact mask of the top-left ${patch.rows} × ${patch.columns} weights ` +
        "(dark: kept)", patch.columns * size, patch.rows * size);
      svg.setAttribute("shape-rendering", "crispEdges");
      patch.words.forEach((hex, r) => {
        const halves = [parseInt(hex.slice(8), 16), parseInt(hex.slice(0, 8), 16)];
        for (let c = 0; c < patch.columns; c++) {
          const kept = (halves[c >> 5] >>> (c & 31)) & 1;
          node(svg, "rect", {x: c * size, y: r * size, width: size - (c % 4 === 3 ? 1 : 0.3),
            height: size - (r % 4 === 3 ? 1 : 0.3), fill: kept ? "#174080" : "#e9edf3"},
            `row ${r}, column ${c}: ${kept ? "kept" : "pruned"}`);
        }
      });
    }

    function profile(box, lines, noun) {
      const bins = [["none", lines.empty]].concat(
        lines.partial.map((n, i) => [`${i * 10}–${i * 10 + 10}%`, n]), [["all", lines.full]]);
      const total = bins.reduce((sum, bin) => sum + bin[1], 0);
      const top = Math.max(1, ...bins.map((bin) => bin[1]));
      const width = 300, height = 120, plot = 92, step = width / bins.length;
      const svg = figure(box, `${noun[0].toUpperCase() + noun.slice(1)} by share of weights kept`, width, height);
      bins.forEach(([label, n], i) => {
        const h = n === 0 ? 0 : Math.max(1, plot * n / top);
        node(svg, "rect", {x: i * step + 2, y: plot - h + 4, width: step - 4, height: h,
          fill: i === 0 ? "#e15759" : i === bins.length - 1 ? "#59a14f" : "#4e79a7"},
          `${count(n)} of ${count(total)} ${noun} keep ${label === "none" || label === "all" ? label : label + " of"} their weights`);
        const tick = i === 0 || i === bins.length - 1 ? label : i % 2 === 0 ? `${(i - 1) * 10}%` : "";
        text(svg, tick, i * step + step / 2, height - 6, "middle");
      });
    }

    const bits = new DataView(new ArrayBuffer(4));
    function edge(bin) { bits.setUint32(0, bin * 2097152); return bits.getFloat32(0); }
    function position(value) {
      const octave = Math.floor(Math.log2(value));
      return (octave + 127) * 4 + (value / Math.pow(2, octave) - 1) * 4;
    }
    function histogram(box, after, before) {
      const sets = before ? [before, after] : [after];
      const filled = sets.filter((set) => set.counts.length > 0);
      const zeros = before ? `zeros: ${count(before.zeros)} before, ${count(after.zeros)} after`
        : `zeros: ${count(after.zeros)}`;
      const nonFinite = after.nonFinite ? `; NaN or ±Inf: ${count(after.nonFinite)}` : "";
      if (filled.length === 0) {
        box.append(Object.assign(document.createElement("p"), {textContent: "No nonzero weights. " + zeros}));
        return;
      }
      const first = Math.min(...filled.map((set) => set.firstBin));
      const last = Math.max(...filled.map((set) => set.firstBin + set.counts.length - 1));
      const at = (set, bin) => set.counts[bin - set.firstBin] || 0;
      // The long tail of tiny |w| (under 0.1 % of the weights) is one bar, so that the bulk
      // of the distribution gets the width.
      const total = Math.max(...filled.map((set) => set.counts.reduce((sum, n) => sum + n, 0)));
      const tail = sets.map(() => 0);
      let low = first;
      while (low < last && Math.max(...sets.map((set, i) => tail[i] + at(set, low))) <= total / 1000) {
        sets.forEach((set, i) => { tail[i] += at(set, low); });
        low++;
      }
      const bars = [];
      if (low > first) {
        bars.push({counts: tail, range: `|w| below ${edge(low).toPrecision(3)}`});
      }
      for (let bin = low; bin <= last; bin++) {
        bars.push({counts: sets.map((set) => at(set, bin)),
          range: `|w| in [${edge(bin).toPrecision(3)}, ${edge(bin + 1).toPrecision(3)})`});
      }
      const top = Math.max(...bars.map((bar) => Math.max(...bar.counts)));
      const width = 480, plot = 130, left = 4, step = (width - 2 * left) / bars.length;
      const svg = figure(box, before ? "|w| before (grey) and after pruning (blue), log scale"
        : "|w|, log scale", width, plot + 22, zeros + nonFinite + "; tallest bar: " + count(top));
      node(svg, "line", {class: "base", x1: 0, y1: plot + 0.5, x2: width, y2: plot + 0.5});
      const origin = low - (low > first ? 1 : 0);
      bars.forEach((bar, i) => {
        const x = left + i * step;
        const tip = before ? `${bar.range}: ${count(bar.counts[0])} before, ${count(bar.counts[1])} after`
          : `${bar.range}: ${count(bar.counts[0])}`;
        node(svg, "rect", {x, y: 0, width: step, height: plot, fill: "transparent"}, tip);
        bar.counts.forEach((n, set) => {
          if (n === 0) return;
          const h = Math.max(1, plot * n / top);
          const shown = set === sets.length - 1 ? {x: x + step * 0.2, width: Math.max(step * 0.6, 0.5), fill: "#4e79a7"}
            : {x, width: Math.max(step - 0.5, 0.5), fill: "#c5ccd6"};
          node(svg, "rect", Object.assign(shown, {y: plot - h, height: h}), tip);
        });
      });
      if (low > first) text(svg, "less", 0, plot + 16);
      for (let power = Math.ceil(Math.log10(edge(low))); Math.pow(10, power) < edge(last + 1); power++) {
        const x = left + (position(Math.pow(10, power)) - origin) * step;
        node(svg, "line", {class: "base", x1: x, y1: plot, x2: x, y2: plot + 4});
        text(svg, power >= -3 && power <= 3 ? String(Math.pow(10, power)) : `1e${power}`, x, plot + 16, "middle");
      }
    }

    function draw(details) {
      if (details.dataset.drawn) return;
      details.dataset.drawn = "yes";
      const data = JSON.parse(document.getElementById(details.dataset.picture).textContent);
      const box = details.querySelector(".pictures");
      heatmap(box, data.grid);
      patch(box, data.patch);
      profile(box, data.rows, "rows");
      profile(box, data.columns, "columns");
      histogram(box, data.after, data.before);
    }
    function drawSafely(details) {
      try { draw(details); } catch (error) { fail(error && error.message || error); }
    }
    document.addEventListener("toggle", (event) => {
      if (event.target.open && event.target.dataset && event.target.dataset.picture) drawSafely(event.target);
    }, true);
    const pictured = document.querySelectorAll("details[data-picture]");
    if (location.hash === "#open-all") pictured.forEach((details) => { details.open = true; });
    pictured.forEach((details) => { if (details.open) drawSafely(details); });
    root.dataset.scrollWidth = String(root.scrollWidth);
    root.dataset.script = "ready";
    })();
    """
}
