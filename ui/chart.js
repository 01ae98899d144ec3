// A Plotly figure from a shared spec (ui/chart.py: `draw`): the JSON arrives as bytes,
// exactly as the server cached it for everyone, and Plotly.js draws it here.
const G = (window.__bpCharts ??= { plotly: null });
const WAIT_MS = 20000;
const DEFAULT_WIDTH = 700; // Plotly's, for a "content" chart whose layout has no width

// Plotly.js from the app's static files, once per page (its global taken at once:
// Streamlit's own chart code may set window.Plotly to another copy later).
function loadPlotly(url) {
  G.plotly ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    const timer = setTimeout(() => fail(`no answer after ${WAIT_MS / 1000} s`), WAIT_MS);
    function fail(why) {
      clearTimeout(timer);
      G.plotly = null;
      reject(new Error(`${url}: ${why}`));
    }
    script.src = url;
    script.onload = () => (clearTimeout(timer), resolve(window.Plotly));
    script.onerror = () => fail("could not be loaded");
    document.head.appendChild(script);
  });
  return G.plotly;
}

export default function ({ data, parentElement }) {
  const root = parentElement.querySelector(".bp-chart");
  const plot = root.querySelector(".bp-chart-plot");
  const message = root.querySelector(".bp-chart-message");
  const text = new TextDecoder().decode(data);
  const end = text.indexOf("\n");
  const fit = JSON.parse(text.slice(0, end)).width; // "stretch" or "content"
  const figure = JSON.parse(text.slice(end + 1));
  // Plotly.js fits the plot's div: the container's width ("stretch"), or the layout's own
  // width, narrowed to the container's where that is less ("content").
  const { width, ...layout } = figure.layout ?? {};
  plot.style.width = fit === "content" ? `${width ?? DEFAULT_WIDTH}px` : "";
  plot.style.minHeight = layout.height ? `${layout.height}px` : ""; // no jump while loading
  let alive = true;
  let drawn = null;
  // A chart drawn while hidden (a closed tab, a collapsed expander) had no width to fit;
  // it fits its container again whenever the container's size changes.
  const resized = new ResizeObserver(() => {
    if (drawn && plot.offsetWidth) drawn.Plots.resize(plot);
  });
  resized.observe(root);
  loadPlotly(root.dataset.plotly)
    .then((Plotly) => {
      if (!alive) return;
      message.hidden = true;
      const config = { displaylogo: false, responsive: true, ...(figure.config ?? {}) };
      const { data: traces, frames } = figure;
      drawn = Plotly;
      return Plotly.react(plot, { data: traces, layout, frames: frames ?? [], config });
    })
    .catch((error) => {
      if (!alive) return;
      root.dataset.failed = "true"; // drawn as far as it can be: the message says why
      message.hidden = false;
      message.textContent =
        `This chart could not be drawn: ${error.message}. It needs Plotly.js from the ` +
        "app's static files (server.enableStaticServing = true). Reload the page to try again.";
    });
  return () => {
    alive = false;
    resized.disconnect();
  };
}
