// Reports a step player's current step to Python, debounced, from a fragment of its own:
// the report reruns only that fragment, and stepping never waits for it.
const DELAY_MS = 300;

export default function ({ data, setStateValue }) {
  const G = (window.__stepPlayer ??= { loads: {}, latest: {}, memory: {}, active: null });
  let known = { id: data.id, step: data.step }; // what Python has
  let timer = null;
  const send = () => {
    const now = G.latest[data.player];
    if (!now || (now.id === known.id && now.step === known.step)) return;
    known = now;
    setStateValue("step", { id: now.id, step: now.step });
  };
  const onStep = (e) => {
    if (e.detail.name !== data.player) return;
    clearTimeout(timer);
    timer = setTimeout(send, DELAY_MS);
  };
  window.addEventListener("step-player", onStep);
  timer = setTimeout(send, DELAY_MS); // a step taken before this listened
  return () => {
    window.removeEventListener("step-player", onStep);
    clearTimeout(timer);
  };
}
