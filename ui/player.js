// The step player (ui/player.py documents the payload): every step arrives once; stepping,
// drawing, the URL and the keys are handled here, without a Streamlit rerun.
const G = (window.__stepPlayer ??= { loads: {}, latest: {}, memory: {}, active: null });
const WAIT_MS = 20000; // a script that neither loads nor fails by then is reported
const KEYS = { ArrowRight: 1, PageDown: 1, " ": 1, ArrowLeft: -1, PageUp: -1 };
// Keys stay with these while they have focus (outside the player): text fields, menus,
// sliders; and Space presses a focused button, link or checkbox.
const TYPING =
  "textarea, select, [contenteditable=''], [contenteditable='true'], [role=slider]," +
  " [role=combobox], [role=spinbutton], [role=textbox], [role=listbox], [role=menu]," +
  " input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit])";
const PRESSABLE =
  "button, a, summary, label, [role=button], [role=switch], [role=checkbox], input";

// A script (its global, taken at once: Streamlit's own Plotly chart code also sets
// window.Plotly, to its copy) or a stylesheet, once per page.
function load(url, css, global) {
  G.loads[url] ??= new Promise((resolve, reject) => {
    const el = document.createElement(css ? "link" : "script");
    if (css) Object.assign(el, { rel: "stylesheet", href: url });
    else el.src = url;
    const timer = setTimeout(() => fail(`no answer after ${WAIT_MS / 1000} s`), WAIT_MS);
    function fail(why) {
      clearTimeout(timer);
      delete G.loads[url];
      reject(new Error(`${url}: ${why}`));
    }
    el.onload = () => (clearTimeout(timer), resolve(global ? window[global] : null));
    el.onerror = () => fail("could not be loaded");
    document.head.appendChild(el);
  });
  return G.loads[url];
}

function make(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

// A Plotly typed array ({dtype, bdata, shape}) or nested arrays → rows of numbers.
const TYPES = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u1: Uint8Array };
function rows(z) {
  if (Array.isArray(z)) return z.map((r) => (r && r.length !== undefined ? Array.from(r) : [r]));
  if (z && z.bdata !== undefined) {
    const bytes = Uint8Array.from(atob(z.bdata), (c) => c.charCodeAt(0));
    const flat = Array.from(new TYPES[z.dtype](bytes.buffer));
    const cols = z.shape ? Number(String(z.shape).split(",")[1]) : flat.length;
    const row = (_, r) => flat.slice(r * cols, (r + 1) * cols);
    return Array.from({ length: flat.length / cols }, row);
  }
  if (z && z.length !== undefined) return [Array.from(z)];
  return [];
}

function csvCell(v) {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

// A table: title, column labels, row labels, values; a CSV link built on click.
function table(title, columns, index, values, csv) {
  const box = make("div", "bp-table");
  const head = make("div", "bp-table-head");
  head.append(make("b", "", title));
  const link = make("a", "bp-csv", `Download ${title} as CSV`);
  link.href = "#";
  link.download = csv;
  link.addEventListener("click", () => {
    const lines = [["", ...columns], ...values.map((r, i) => [index[i], ...r])];
    const text = lines.map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
    URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  });
  head.append(link);
  const t = make("table");
  const tr = t.createTHead().insertRow();
  tr.append(make("th"), ...columns.map((c) => make("th", "", c)));
  const body = t.createTBody();
  values.forEach((r, i) => {
    const row = body.insertRow();
    row.append(make("th", "", index[i]), ...r.map((v) => make("td", "", Number(v).toPrecision(5))));
  });
  box.append(head, t);
  return box;
}

function heatmapTable(block) {
  const trace = block.figure.data[0];
  const lay = block.figure.layout;
  const xt = lay.xaxis?.title?.text ?? "";
  const yt = lay.yaxis?.title?.text ?? "";
  const columns = trace.x.map((c) => `${xt} ${c}`.trim());
  const index = trace.y.map((r) => `${yt} ${r}`.trim());
  return table(block.table.title, columns, index, rows(trace.z), block.table.csv);
}

// The component's bytes (ui/player.py: `player`): a JSON header line (id, name, step,
// url_param, assets), then the payload's JSON (steps, toggles), shared by every session.
function unpack(bytes) {
  const text = new TextDecoder().decode(bytes);
  const end = text.indexOf("\n");
  return { ...JSON.parse(text.slice(0, end)), ...JSON.parse(text.slice(end + 1)) };
}

export default function (component) {
  const { parentElement } = component;
  const data = unpack(component.data);
  const root = parentElement.querySelector(".bp-player");
  const steps = data.steps ?? [];
  const n = steps.length;
  const name = data.name;
  const param = data.url_param ?? "step";
  const toggles = Object.fromEntries((data.toggles ?? []).map((t) => [t.name, !!t.default]));
  const onOff = ([k, on]) => [k, on ? "on" : "off"];
  const defaults = Object.fromEntries(Object.entries(toggles).map(onOff));
  const message = make("div", "bp-message");
  const clamp = (i) => Math.min(Math.max(Math.round(Number(i)) || 1, 1), n);
  let current = clamp(G.memory[data.id] ?? data.step ?? 1);
  let alive = true;
  let Plotly = null; // the copy of the plotly package, loaded below
  let katex = null;

  // Controls.
  const bar = make("div", "bp-bar");
  const buttons = {};
  for (const [go, label, path, keys] of [
    ["first", "First", "M6 6h2v12H6zm3.5 6 8.5 6V6z", "Home"],
    ["prev", "Prev", "M15.4 7.4 14 6l-6 6 6 6 1.4-1.4-4.6-4.6z", "← or PageUp"],
    ["next", "Next", "M10 6 8.6 7.4l4.6 4.6-4.6 4.6L10 18l6-6z", "→, PageDown or Space"],
    ["last", "Last", "M6 18l8.5-6L6 6zm10-12v12h2V6z", "End"],
  ]) {
    const b = make("button", `bp-btn bp-${go}`);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.title = `${label} (${keys})`;
    b.innerHTML = `<svg class="bp-icon" viewBox="0 0 24 24"><path d="${path}"/></svg>`;
    b.append(make("span", "bp-label", label));
    const to = { first: () => 1, prev: () => current - 1, next: () => current + 1, last: () => n };
    b.addEventListener("click", () => show(to[go]()));
    buttons[go] = b;
  }
  const slider = make("input", "bp-slider");
  Object.assign(slider, { type: "range", min: 1, max: Math.max(n, 1), step: 1, value: current });
  slider.setAttribute("aria-label", "Step");
  slider.addEventListener("input", () => show(slider.value));
  const position = make("div", "bp-position");
  const options = make("div", "bp-options");
  for (const t of data.toggles ?? []) {
    const label = make("label", "bp-toggle");
    label.title = t.help ?? "";
    const box = make("input");
    Object.assign(box, { type: "checkbox", checked: toggles[t.name] });
    box.addEventListener("change", () => {
      toggles[t.name] = box.checked;
      if (sections.has(current)) refresh(sections.get(current));
    });
    label.append(box, make("span", "", t.label));
    options.append(label);
  }
  const nav = make("div", "bp-nav");
  nav.append(buttons.first, buttons.prev, buttons.next, buttons.last);
  bar.append(nav, slider, make("div", "bp-break"), position, options);
  const stage = make("div", "bp-stage");
  root.replaceChildren(bar, message, stage);
  message.hidden = true;
  if (!n) {
    say("There are no steps to show.");
    return () => {};
  }

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  // Steps: a section each, built on first need, drawn block by block. A section not shown
  // stays laid out at the stage's width (off-screen), so it is drawn at its real size.
  const sections = new Map();
  let queue = []; // steps to draw ahead, nearest first
  // No mode bar: on small heatmaps it covers the title, and hover gives the values.
  const config = { displayModeBar: false, responsive: false };

  function build(i) {
    if (sections.has(i)) return sections.get(i);
    const sec = make("section", "bp-step bp-away");
    sec.jobs = [];
    sec.plots = [];
    sec.latex = [];
    sec.tables = [];
    for (const [area, blocks] of Object.entries(steps[i - 1].areas ?? {})) {
      const box = make("div", `bp-area bp-area-${area}`);
      for (const block of blocks) box.append(blockEl(block, sec));
      sec.append(box);
    }
    stage.append(sec);
    sections.set(i, sec);
    return sec;
  }

  function blockEl(block, sec) {
    const kind = block.kind;
    let el;
    if (kind === "row") {
      el = make("div", "bp-row");
      for (const b of block.blocks ?? []) el.append(blockEl(b, sec));
    } else if (kind === "plotly") {
      el = make("div", "bp-plotly");
      const plot = make("div", "bp-plot");
      el.append(plot);
      if (block.figure.layout?.width) plot.style.width = `${block.figure.layout.width}px`;
      if (block.figure.layout?.height) plot.style.height = `${block.figure.layout.height}px`;
      sec.plots.push({ plot, block });
      sec.jobs.push(() => {
        const layout = { ...block.figure.layout };
        if (!layout.width) layout.autosize = true;
        else if (layout.width > stage.clientWidth && stage.clientWidth > 0) {
          layout.width = stage.clientWidth; // a phone: full width, narrower cells
          plot.style.width = `${layout.width}px`;
        }
        Plotly.newPlot(plot, block.figure.data, layout, config);
        plot.drawn = true;
        restyle(plot, block);
      });
      if (block.table) {
        const t = make("div", "bp-when");
        t.dataset.when = block.table.when ?? "";
        sec.tables.push({ holder: t, build: () => heatmapTable(block) });
        el = wrap(el, t);
      }
    } else if (kind === "latex") {
      el = make("div", "bp-latex");
      sec.latex.push({ el, block });
      sec.jobs.push(() => typeset(el, block));
    } else if (kind === "html") {
      el = make("div", "bp-html");
      el.innerHTML = block.html;
    } else if (kind === "code") {
      el = make("pre", "bp-code");
      el.append(make("code", "", block.code));
    } else if (kind === "table") {
      el = make("div", "bp-tablebox");
      sec.tables.push({
        holder: el,
        build: () => table(block.title, block.columns, block.index, rows(block.values), block.csv),
      });
    } else {
      el = make("div", "bp-html", `(unknown block kind ${kind})`);
    }
    if (block.when) {
      el.classList.add("bp-when");
      el.dataset.when = block.when;
    }
    return el;
  }

  function wrap(a, b) {
    const box = make("div", "bp-stack");
    box.append(a, b);
    return box;
  }

  // LaTeX: the wide form if it fits, else the narrow one, else scaled down to fit.
  function typeset(el, block) {
    const render = (tex) =>
      katex.render(tex, el, { displayMode: true, throwOnError: false, output: "html" });
    el.style.fontSize = "";
    render(block.tex);
    if (block.narrow && el.scrollWidth > el.clientWidth + 1) render(block.narrow);
    const over = el.scrollWidth / Math.max(el.clientWidth, 1);
    if (over > 1.01) el.style.fontSize = `${Math.max(100 / over, 45).toFixed(1)}%`;
  }

  // A figure arrives drawn for the toggles' defaults; a toggle restyles it (zmin/zmax…).
  function restyle(plot, block) {
    plot.state ??= { ...defaults };
    for (const [toggle, ways] of Object.entries(block.restyle ?? {})) {
      const want = toggles[toggle] ? "on" : "off";
      if (plot.state[toggle] === want) continue;
      Plotly.restyle(plot, ways[want]);
      plot.state[toggle] = want;
    }
  }

  function refresh(sec) {
    for (const { plot, block } of sec.plots) if (plot.drawn) restyle(plot, block);
    for (const t of sec.tables)
      if (!t.built && toggles[t.holder.dataset.when]) {
        t.holder.append(t.build());
        t.built = true;
      }
    for (const el of sec.querySelectorAll("[data-when]")) el.hidden = !toggles[el.dataset.when];
    if (sec.resized) {
      for (const { el, block } of sec.latex) if (el.firstChild) typeset(el, block);
      for (const { plot, block } of sec.plots)
        if (plot.drawn && !block.figure.layout?.width) Plotly.Plots.resize(plot);
      sec.resized = false;
    }
  }

  function draw(sec) {
    while (sec.jobs.length) sec.jobs.shift()();
  }

  function show(i) {
    i = clamp(i);
    const sec = build(i);
    draw(sec);
    refresh(sec);
    const before = sections.get(current);
    if (before && before !== sec) before.classList.add("bp-away");
    sec.classList.remove("bp-away");
    current = i;
    slider.value = i;
    const header = steps[i - 1].header ?? "";
    position.innerHTML = `<span class="bp-count">Step <b>${i}</b> of ${n}</span> · ${header}`;
    buttons.first.disabled = buttons.prev.disabled = i === 1;
    buttons.next.disabled = buttons.last.disabled = i === n;
    root.dataset.step = i;
    root.dataset.payload = data.id;
    G.memory[data.id] = i;
    G.latest[name] = { id: data.id, step: i };
    const detail = { name, id: data.id, step: i };
    window.dispatchEvent(new CustomEvent("step-player", { detail }));
    try {
      const url = new URL(window.location.href);
      if (url.searchParams.get(param) !== String(i)) {
        url.searchParams.set(param, String(i));
        window.history.replaceState(window.history.state, "", url);
      }
    } catch (e) {
      /* a sandboxed page may refuse: the step still shows */
    }
    plan();
  }

  // Idle time: draw the other steps, nearest first, one block at a time.
  let idle = null;
  const later =
    window.requestIdleCallback ?? ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 30));
  const cancel = window.cancelIdleCallback ?? clearTimeout;
  function plan() {
    queue = [];
    for (let d = 1; d < n; d++)
      for (const i of [current + d, current - d]) if (i >= 1 && i <= n) queue.push(i);
    if (idle === null) idle = later(work);
  }
  function work(deadline) {
    idle = null;
    if (!alive) return;
    do {
      while (queue.length && !sections.get(queue[0])?.jobs.length && sections.has(queue[0]))
        queue.shift();
      if (!queue.length) {
        root.dataset.drawn = "all";
        return;
      }
      const sec = build(queue[0]);
      if (sec.jobs.length) sec.jobs.shift()();
    } while (deadline.timeRemaining() > 4);
    idle = later(work);
  }

  // Keys, anywhere on the page but in a text field (the latest player mounted has them).
  function onKey(e) {
    if (G.active !== api || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target instanceof Element ? e.target : null;
    const mine = t && root.contains(t);
    if (t && !mine && t.closest(TYPING)) return;
    if (e.key === " " && t && t.closest(PRESSABLE) && !(mine && t.matches("button"))) return;
    let to = null;
    if (e.key in KEYS) to = current + KEYS[e.key];
    else if (e.key === "Home") to = 1;
    else if (e.key === "End") to = n;
    if (to === null) return;
    e.preventDefault();
    show(to);
  }
  function onKeyUp(e) {
    const t = e.target;
    if (e.key === " " && t instanceof Element && root.contains(t) && t.matches("button"))
      e.preventDefault(); // Space was "next", not a press of the focused button
  }
  const api = { show };
  G.active = api;
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", onKeyUp);

  let resizeTimer = null;
  let width = null;
  const watcher = new ResizeObserver(() => {
    if (width !== null && Math.abs(stage.clientWidth - width) < 2) return;
    const first = width === null;
    width = stage.clientWidth;
    if (first) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (!alive || !stage.isConnected) return; // replaced by a newer payload meanwhile
      for (const sec of sections.values()) sec.resized = true;
      if (sections.has(current)) refresh(sections.get(current));
    }, 150);
  });

  const assets = data.assets ?? {};
  say("");
  root.classList.add("bp-loading");
  position.textContent = `Step ${current} of ${n} · loading…`;
  Promise.all([
    load(assets.plotly, false, "Plotly"),
    load(assets.katex_js, false, "katex"),
    load(assets.katex_css, true),
  ])
    .then(([plotly, tex]) => {
      if (!alive) return;
      Plotly = plotly;
      katex = tex;
      root.classList.remove("bp-loading");
      show(current);
      watcher.observe(stage);
    })
    .catch((error) => {
      if (!alive) return;
      say(
        `The step player could not start: ${error.message}. ` +
          "Its figures need Plotly.js and KaTeX from the app's static files " +
          "(server.enableStaticServing = true in .streamlit/config.toml). " +
          "Reload the page to try again."
      );
      root.classList.add("bp-failed");
    });

  return () => {
    alive = false;
    if (idle !== null) cancel(idle);
    clearTimeout(resizeTimer);
    watcher.disconnect();
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("keyup", onKeyUp);
    if (G.active === api) G.active = null;
    // The drawn steps go with the DOM the next payload replaces; purging each plot first
    // would only cost time.
  };
}
