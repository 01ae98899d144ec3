// A Plotly figure from a shared spec (ui/chart.py: `draw`): the JSON arrives as bytes,
// exactly as the server cached it for everyone, and Plotly.js draws it here.
const G = (window.__bpCharts ??= { plotly: null });
const WAIT_MS = 20000;

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
  const figure = JSON.parse(new TextDecoder().decode(data));
  const height = figure.layout?.height;
  if (height) plot.style.minHeight = `${height}px`; // no jump while Plotly.js loads
  let alive = true;
  loadPlotly(root.dataset.plotly)
    .then((Plotly) => {
      if (!alive) return;
      message.hidden = true;
      const config = { displaylogo: false, responsive: true, ...(figure.config ?? {}) };
      const { data: traces, layout, frames } = figure;
      return Plotly.react(plot, { data: traces, layout, frames: frames ?? [], config });
    })
    .catch((error) => {
      if (!alive) return;
      message.hidden = false;
      message.textContent =
        `This chart could not be drawn: ${error.message}. It needs Plotly.js from the ` +
        "app's static files (server.enableStaticServing = true). Reload the page to try again.";
    });
  return () => {
    alive = false;
  };
}
