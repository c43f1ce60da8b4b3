// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">
// (Django's json_script), with the vendored Chart.js. The page always shows the same figures in
// a table too, so nothing is lost without JavaScript or to a screen reader.
//
// The JSON is {"type": "line"|"bar", "labels": [...], "datasets": [{"label", "data", ...}],
//              "stacked": bool, "percent": bool, "y2": bool}
// where a dataset may carry "axis": "y2" to use a second, right-hand axis, "colour" and "dashed".
// Optional: "yTitle" / "y2Title" name the axes; "x": {"type": "linear", "title": "..."} puts
// numbers on the x axis, with each dataset's data as [{"x": 1.5, "y": 10}, ...] and no labels
// (curves measured at uneven times, e.g. hours since publication).
(function () {
  "use strict";
  var palette = ["#1d4f91", "#d9822b", "#2e8540", "#9b2c2c", "#6b46c1", "#0f766e", "#b7791f", "#4a5568"];

  function build(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var labels = spec.labels || [];
    var points = labels.length;
    spec.datasets.forEach(function (ds) { points = Math.max(points, ds.data.length); });
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = ds.colour || palette[i % palette.length];
      return {
        label: ds.label,
        data: ds.data,
        borderColor: colour,
        backgroundColor: spec.type === "line" ? colour : colour + "cc",
        borderDash: ds.dashed ? [6, 4] : undefined,
        yAxisID: ds.axis === "y2" ? "y2" : "y",
        tension: 0.2,
        pointRadius: points > 60 ? 0 : 2,
        spanGaps: true,
      };
    });
    function title(text) {
      return text ? { display: true, text: text } : undefined;
    }
    var x = spec.x || {};
    var scales = {
      x: { stacked: !!spec.stacked, ticks: { maxTicksLimit: 12 }, title: title(x.title) },
      y: {
        stacked: !!spec.stacked,
        beginAtZero: true,
        ticks: spec.percent ? { callback: function (v) { return v + "%"; } } : {},
        title: title(spec.yTitle),
      },
    };
    if (x.type === "linear") {
      scales.x.type = "linear";
      scales.x.beginAtZero = true;
    }
    if (spec.y2) {
      scales.y2 = {
        position: "right",
        beginAtZero: true,
        grid: { drawOnChartArea: false },
        title: title(spec.y2Title),
      };
    }
    new Chart(canvas, {
      type: spec.type || "line",
      data: spec.labels ? { labels: labels, datasets: datasets } : { datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: scales,
      },
    });
    canvas.setAttribute("data-chart-drawn", "1");
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
