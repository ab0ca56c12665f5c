// Report charts (Chart.js 4, self-hosted) and the print button. No inline script (CSP):
// each <canvas data-chart="ID"> reads its figures from <script type="application/json" id="ID">,
// which the server renders with json_script, labels already translated.
(function () {
  "use strict";

  // Colour-blind-safe palette (Okabe–Ito), readable in print too.
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

  function fontFamily() {
    // The page's own font stack: system-ui falls back to the CJK fonts the reader has.
    return getComputedStyle(document.body).fontFamily;
  }

  function config(spec) {
    const lang = document.documentElement.lang || undefined;
    const percentAxis = spec.datasets.some((d) => d.yAxisID === "percent");
    const countAxis = spec.datasets.some((d) => d.yAxisID === "count") || !percentAxis;
    const datasets = spec.datasets.map((d, i) => {
      const colour = PALETTE[i % PALETTE.length];
      const line = d.type === "line";
      return {
        label: d.label,
        data: d.data,
        type: d.type || spec.type || "bar",
        yAxisID: d.yAxisID || "count",
        backgroundColor: line ? colour : colour + "cc",
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        tension: 0.2,
        spanGaps: true,
        order: line ? 0 : 1,
      };
    });
    const scales = {
      x: { stacked: !!spec.stacked },
    };
    if (countAxis) {
      scales.count = {
        type: "linear",
        position: "left",
        beginAtZero: true,
        stacked: !!spec.stacked,
        ticks: { precision: 0 },
        title: { display: !!(spec.axes && spec.axes.count), text: spec.axes && spec.axes.count },
      };
    }
    if (percentAxis) {
      scales.percent = {
        type: "linear",
        position: countAxis ? "right" : "left",
        min: 0,
        max: 100,
        grid: { drawOnChartArea: !countAxis },
        title: { display: !!(spec.axes && spec.axes.percent), text: spec.axes && spec.axes.percent },
      };
    }
    return {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets },
      options: {
        locale: lang,
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales,
      },
    };
  }

  function draw() {
    if (typeof window.Chart === "undefined") return;
    window.Chart.defaults.font.family = fontFamily();
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      const spec = JSON.parse(source.textContent);
      if (!spec || !spec.labels || !spec.labels.length) return;
      canvas.dataset.drawn = "1";
      canvas.chart = new window.Chart(canvas, config(spec));
    });
  }

  // Charts re-fit the printed page width, then return to the screen size.
  function resizeAll() {
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (canvas.chart) canvas.chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
