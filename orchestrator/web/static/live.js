// redledger workspace: draws the charts from JSON and keeps the live parts of a page fresh
// without a reload. Elements with data-live="URL" are re-fetched every poll period; when a
// new round closes, the charts and the heatmap are redrawn.
(function () {
  "use strict";
  const poll = parseInt(document.body.dataset.pollMs || "1500", 10);
  const layout = (title) => ({title: {text: title, font: {size: 13}}, margin: {l: 45, r: 10, t: 30, b: 30},
                              height: 190, xaxis: {title: {text: "round"}, dtick: 1}});
  const cfg = {displayModeBar: false, responsive: true};
  let rounds = null;

  async function json(url) {
    const r = await fetch(url, {credentials: "same-origin", cache: "no-store"});
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }

  async function drawSeries() {
    const charts = document.querySelectorAll(".chart[data-series]");
    if (!charts.length) return;
    const s = await json("/api/series");
    charts.forEach((el) => {
      Plotly.react(el, [{x: s.round, y: s[el.dataset.series], mode: "lines+markers", name: el.dataset.label}],
                   layout(el.dataset.label), cfg);
    });
  }

  function drawHeatmap(h) {
    const el = document.getElementById("heatmap");
    if (!el) return;
    Plotly.react(el, [{type: "heatmap", z: h.z, x: h.cols, y: h.rows, customdata: h.ids, text: h.text,
                       hovertemplate: "%{y} | %{x}<br>%{text}<br>evasion %{z}<extra></extra>",
                       colorscale: "YlOrRd", reversescale: true, zmin: 0, zmax: 1, colorbar: {title: {text: "evasion"}}}],
                 {margin: {l: 120, r: 10, t: 10, b: 120}, height: 260 + 22 * h.rows.length}, cfg);
    if (!el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_click", (ev) => {
        const id = ev.points[0].customdata;
        if (id) window.location.href = "/scenario/" + id;
      });
    }
  }

  function drawFlow(el) {
    const f = JSON.parse(document.getElementById(el.dataset.flow).textContent);
    const pos = Object.fromEntries(f.nodes.map((n) => [n.id, n]));
    const money = (x) => x === null ? "" : x.toLocaleString(undefined, {maximumFractionDigits: 0});
    const traces = [], notes = [];
    f.edges.forEach((e) => {
      const a = pos[e.src], b = pos[e.dst];
      const tip = `${e.id}: ${e.src} → ${e.dst}<br>${e.channel}, ${e.purpose}, ${e.spec}` +
        (e.rows ? `<br>${e.rows} payment(s), ${money(e.total)} ${f.currency} (${money(e.min)}–${money(e.max)})` +
                  `<br>${e.first} → ${e.last}` : "");
      traces.push({x: [a.x, (a.x + b.x) / 2, b.x], y: [a.y, (a.y + b.y) / 2, b.y], mode: "lines",
                   line: {width: 1 + Math.min(6, Math.log10(1 + (e.total || 0)) / 1.5),
                          color: e.purpose === "camouflage" ? "#bbb" : "#444"},
                   hoverinfo: "text", text: [tip, tip, tip], showlegend: false});
      notes.push({ax: a.x, ay: a.y, x: b.x, y: b.y, xref: "x", yref: "y", axref: "x", ayref: "y",
                  showarrow: true, arrowhead: 3, arrowsize: 1.2, standoff: 9, arrowcolor: "#666", text: ""});
    });
    const colour = (n) => n.proceeds ? "#d62728" : n.role === "camouflage" ? "#999" : n.recruit === "hijack" ? "#ff7f0e" : "#1f77b4";
    traces.push({x: f.nodes.map((n) => n.x), y: f.nodes.map((n) => n.y), mode: "markers+text", text: f.nodes.map((n) => n.id),
                 textposition: "top center", marker: {size: 14, color: f.nodes.map(colour)}, showlegend: false,
                 hovertext: f.nodes.map((n) => `${n.id}: ${n.kind}, ${n.role}, ${n.recruit}`), hoverinfo: "text"});
    Plotly.react(el, traces, {annotations: notes, height: 360, margin: {l: 5, r: 5, t: 25, b: 5},
                              title: {text: "red: holds the proceeds · orange: hijacked · blue: new · grey: camouflage", font: {size: 11}},
                              xaxis: {visible: false}, yaxis: {visible: false}, hovermode: "closest"}, cfg);
  }

  function drawTimeline(el) {
    const f = JSON.parse(document.getElementById(el.dataset.timeline).textContent);
    const t = f.timeline;
    Plotly.react(el, [{x: t.map((r) => r.t), y: t.map((r) => r.transfer), mode: "markers", type: "scatter",
                       marker: {size: t.map((r) => 5 + Math.min(18, Math.log10(1 + r.amount) * 2.5)), opacity: 0.7},
                       text: t.map((r) => `${r.src} → ${r.dst}, ${r.amount.toLocaleString()} ${f.currency}, ${r.channel}`),
                       hovertemplate: "%{x}<br>%{text}<extra></extra>"}],
                 {title: {text: "payments over time (marker size: amount)", font: {size: 11}}, height: 220,
                  margin: {l: 60, r: 10, t: 25, b: 40}}, cfg);
  }

  async function refresh() {
    for (const el of document.querySelectorAll("[data-live]")) {
      const r = await fetch(el.dataset.live, {credentials: "same-origin", cache: "no-store"});
      if (r.ok) {
        const html = await r.text();
        if (html !== el.dataset.last) { el.innerHTML = html; el.dataset.last = html; }
      }
    }
    const st = await json("/api/status");
    if (rounds !== null && st.rounds_closed !== rounds) {
      await drawSeries();
      if (document.getElementById("heatmap")) drawHeatmap(await json("/api/archive"));
    }
    rounds = st.rounds_closed;
  }

  async function loop() {
    try { await refresh(); } catch (e) { console.warn(e); }
    setTimeout(loop, poll);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const heat = document.getElementById("heat-data");
    if (heat) drawHeatmap(JSON.parse(heat.textContent));
    document.querySelectorAll("[data-flow]").forEach(drawFlow);
    document.querySelectorAll("[data-timeline]").forEach(drawTimeline);
    try { await drawSeries(); } catch (e) { console.warn(e); }
    loop();
  });
})();
