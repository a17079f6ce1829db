// ferry ui: the GitOps graph, live. Plain JavaScript, no dependencies: the page is served
// from the ferry binary and must work without a network.
"use strict";

const token = document.querySelector('meta[name="ferry-token"]').content;
const STATUSES = ["Ready", "Reconciling", "Stalled", "Failed", "Suspended"];
// A namespace group holding more nodes than this starts collapsed.
const COLLAPSE_OVER = 40;
// Inventories are shown at first when all of them hold no more objects than this.
const SHOW_INVENTORY_UNDER = 300;
// Edges are drawn when there are at most this many on screen.
const MAX_EDGES = 3000;

const state = {
  nodes: new Map(),       // id -> node
  warnings: [],
  readOnly: false,
  collapsed: new Set(),   // group keys: layer|namespace
  known: new Set(),       // group keys seen, so that a new group gets its default once
  showInv: new Set(),     // ids of deliveries whose inventory is shown
  health: new Map(),      // id of delivery -> {objects, for: node object}
  events: new Map(),      // id -> {list, for}
  selected: null,
  actionLog: "",
  busy: false,
  first: true,
};

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

function api(path, opts) {
  opts = opts || {};
  opts.headers = Object.assign({ "X-Ferry-Token": token }, opts.headers || {});
  return fetch(path, opts).then((r) => {
    if (!r.ok) return r.text().then((t) => { throw new Error(t.trim() || r.statusText); });
    return r.json();
  });
}

// ---- live stream -------------------------------------------------------------------

function connect() {
  const es = new EventSource("/api/stream");
  es.addEventListener("snapshot", (e) => {
    const snap = JSON.parse(e.data);
    state.nodes = new Map(snap.nodes.map((n) => [n.id, n]));
    state.warnings = snap.warnings || [];
    state.readOnly = snap.readOnly;
    if (state.first) initialView();
    setConn(true);
    schedule();
  });
  es.addEventListener("change", (e) => {
    const c = JSON.parse(e.data);
    if (c.type === "upsert") state.nodes.set(c.node.id, c.node);
    else state.nodes.delete(c.id);
    schedule();
  });
  es.onerror = () => setConn(false);
}

function setConn(live) {
  const el = $("#conn");
  el.textContent = live ? "live" : "reconnecting…";
  el.className = "conn " + (live ? "live" : "down");
}

// initialView decides what starts expanded, from the first snapshot.
function initialView() {
  let total = 0;
  for (const n of state.nodes.values()) total += (n.inventory || []).length;
  if (total <= SHOW_INVENTORY_UNDER) {
    for (const n of state.nodes.values()) if (n.layer === "delivery") state.showInv.add(n.id);
  }
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

// ---- filters -----------------------------------------------------------------------

function matches(n) {
  const ns = $("#ns-filter").value, st = $("#status-filter").value;
  const q = $("#search").value.trim().toLowerCase();
  if (ns && n.namespace !== ns) return false;
  if (st && n.status !== st) return false;
  if (!q) return true;
  return [n.id, n.revision, n.message, n.reason].some((s) => s && s.toLowerCase().includes(q));
}

function filtering() {
  return $("#ns-filter").value || $("#status-filter").value || $("#search").value.trim();
}

// ---- rendering ---------------------------------------------------------------------

function render() {
  const t0 = performance.now();
  const columns = { source: new Map(), delivery: new Map(), inventory: new Map(), side: new Map() };
  const counts = {};
  const namespaces = new Set();
  for (const n of state.nodes.values()) {
    namespaces.add(n.namespace);
    counts[n.status] = (counts[n.status] || 0) + 1;
    if (!matches(n)) continue;
    const layer = n.layer === "automation" || n.layer === "notification" ? "side" : n.layer;
    addTo(columns[layer], n.namespace, { node: n });
    if (n.layer === "delivery" && state.showInv.has(n.id)) {
      const health = healthOf(n);
      for (const e of n.inventory || []) {
        addTo(columns.inventory, e.namespace || "(cluster)", { entry: e, owner: n, health: health.get(e.id) });
      }
    }
  }
  for (const [layer, groups] of Object.entries(columns)) {
    const el = document.querySelector(`.column[data-layer="${layer}"] .groups`);
    setHTML(el, [...groups.keys()].sort().map((ns) => groupHTML(layer, ns, groups.get(ns))).join("")
      || `<p class="empty">nothing here</p>`);
  }
  renderSummary(counts);
  renderNamespaces(namespaces);
  renderWarnings();
  renderDetail();
  drawEdges();
  if (state.first) {
    state.first = false;
    window.ferryFirstRender = { at: performance.now(), took: performance.now() - t0, nodes: state.nodes.size };
    document.body.dataset.ready = "true";
  }
}

// setHTML replaces the content of el only when it changed, so that a click is not lost
// between its press and its release to a redraw of the same thing.
const drawn = new WeakMap();
function setHTML(el, html) {
  if (drawn.get(el) === html) return;
  drawn.set(el, html);
  el.innerHTML = html;
}

function addTo(groups, ns, item) {
  if (!groups.has(ns)) groups.set(ns, []);
  groups.get(ns).push(item);
}

function groupHTML(layer, ns, items) {
  const key = layer + "|" + ns;
  if (!state.known.has(key)) {
    state.known.add(key);
    if (items.length > COLLAPSE_OVER) state.collapsed.add(key);
  }
  const collapsed = state.collapsed.has(key) && !(filtering() && items.length <= 200);
  const dots = statusDots(items.map((i) => i.node ? i.node.status : healthStatus(i.health)));
  let body = "";
  if (!collapsed) {
    body = items.map((i) => i.node ? cardHTML(i.node) : entryHTML(i)).join("");
  }
  return `<div class="group${collapsed ? " collapsed" : ""}" data-group="${esc(key)}">
    <button class="group-head" data-toggle="${esc(key)}">${collapsed ? "▸" : "▾"} ${esc(ns)}
      <span class="count">${items.length}</span>${dots}</button>
    <div class="cards">${body}</div></div>`;
}

function statusDots(statuses) {
  const c = {};
  for (const s of statuses) c[s] = (c[s] || 0) + 1;
  return Object.keys(c).sort().map((s) => `<span class="dot s-${esc(s)}" title="${esc(s)}">${c[s]}</span>`).join("");
}

function cardHTML(n) {
  const inv = (n.inventory || []).length;
  const selected = state.selected === n.id ? " selected" : "";
  let extra = "";
  if (n.layer === "delivery") {
    extra = `<button class="inv-toggle" data-inv="${esc(n.id)}">${state.showInv.has(n.id) ? "▾" : "▸"} ${inv} object${inv === 1 ? "" : "s"}</button>`;
  }
  const deps = (n.dependsOn || []).map((d) => `<span class="chip">after ${esc(shortID(d))}</span>`).join("");
  return `<div class="card s-${esc(n.status)}${selected}" data-id="${esc(n.id)}" data-status="${esc(n.status)}">
    <div class="title"><span class="kind">${esc(n.kind)}</span> <span class="name">${esc(n.name)}</span>
      <span class="badge s-${esc(n.status)}">${esc(n.status)}</span></div>
    ${n.revision ? `<div class="rev" title="${esc(n.updated)}">${esc(n.revision)}</div>` : ""}
    ${(n.details || []).map((d) => `<div class="rev">${esc(d)}</div>`).join("")}
    ${n.status !== "Ready" && n.message ? `<div class="msg">${esc(n.message)}</div>` : ""}
    ${deps}${extra}</div>`;
}

function entryHTML(i) {
  const h = i.health ? i.health.health : "…";
  return `<div class="card entry h-${esc(h)}" data-entry="${esc(i.entry.id)}" data-owner="${esc(i.owner.id)}" data-health="${esc(h)}"
    title="${esc(i.health ? i.health.message : "")}">
    <div class="title"><span class="kind">${esc(i.entry.kind)}</span> <span class="name">${esc(i.entry.name)}</span>
      <span class="badge h-${esc(h)}">${esc(h)}</span></div></div>`;
}

function shortID(id) {
  const [kind, , name] = id.split("/");
  return kind + "/" + name;
}

function healthStatus(h) {
  if (!h) return "Reconciling";
  return { Current: "Ready", InProgress: "Reconciling", Failed: "Failed", NotFound: "Failed" }[h.health] || "Reconciling";
}

function renderSummary(counts) {
  setHTML($("#summary"), `${state.nodes.size} objects ` + STATUSES.filter((s) => counts[s])
    .map((s) => `<button class="dot s-${s}" data-status-filter="${s}">${counts[s]} ${s}</button>`).join(""));
}

function renderNamespaces(namespaces) {
  const sel = $("#ns-filter");
  const want = ["", ...[...namespaces].sort()];
  const have = [...sel.options].map((o) => o.value);
  if (want.join("\n") === have.join("\n")) return;
  const cur = sel.value;
  sel.innerHTML = want.map((ns) => `<option value="${esc(ns)}">${ns ? esc(ns) : "all namespaces"}</option>`).join("");
  sel.value = want.includes(cur) ? cur : "";
}

function renderWarnings() {
  const el = $("#warnings");
  el.hidden = state.warnings.length === 0;
  setHTML(el, state.warnings.map((w) => `<div>⚠ ${esc(w)}</div>`).join(""));
}

// ---- inventory health and events, read on demand -------------------------------------

const inflight = new Set();

// healthOf returns the health of a shown inventory, asking the server again when the
// delivery has changed since the last answer.
function healthOf(n) {
  const h = state.health.get(n.id);
  if ((!h || h.for !== n) && !inflight.has("inv:" + n.id)) {
    inflight.add("inv:" + n.id);
    api("/api/inventory?id=" + encodeURIComponent(n.id))
      .then((objs) => state.health.set(n.id, { for: n, objects: new Map(objs.map((o) => [o.id, o])) }))
      .catch(() => state.health.set(n.id, { for: n, objects: new Map() }))
      .finally(() => { inflight.delete("inv:" + n.id); schedule(); });
  }
  return h ? h.objects : new Map();
}

function eventsOf(n) {
  const ev = state.events.get(n.id);
  if ((!ev || ev.for !== n) && !inflight.has("ev:" + n.id)) {
    inflight.add("ev:" + n.id);
    api("/api/events?id=" + encodeURIComponent(n.id))
      .then((list) => state.events.set(n.id, { for: n, list }))
      .catch((e) => state.events.set(n.id, { for: n, list: [], error: e.message }))
      .finally(() => { inflight.delete("ev:" + n.id); schedule(); });
  }
  return ev;
}

// ---- detail panel and actions ---------------------------------------------------------

function renderDetail() {
  const el = $("#detail");
  const n = state.selected && state.nodes.get(state.selected);
  if (!n) { el.hidden = true; return; }
  el.hidden = false;
  const ev = eventsOf(n);
  const src = n.source && state.nodes.get(n.source);
  const why = state.readOnly ? "ferry ui runs read-only"
    : !n.canPatch ? `you may not patch ${n.kind} objects in ${n.namespace}` : "";
  const button = (id, label, disabled, reason) =>
    `<button id="${id}" data-action="${id.slice(4)}" ${disabled || state.busy ? "disabled" : ""} title="${esc(reason || why)}">${label}</button>`;
  const reconcileOff = !!why || !n.reconcilable || n.suspended;
  const sourceOff = reconcileOff || !src || !src.canPatch;
  setHTML(el, `<button class="close" data-close="1">×</button>
    <h3><span class="kind">${esc(n.kind)}</span> ${esc(n.namespace)}/${esc(n.name)}</h3>
    <p><span class="badge s-${esc(n.status)}" id="detail-status">${esc(n.status)}</span> ${esc(n.reason)}</p>
    <p class="${n.status === "Ready" ? "note" : "msg"}" id="detail-message">${esc(n.message)}</p>
    <dl>${n.revision ? `<dt>Revision</dt><dd>${esc(n.revision)}</dd>` : ""}
      ${n.updated ? `<dt>Updated</dt><dd>${esc(n.updated)}</dd>` : ""}
      ${(n.details || []).map((d) => { const i = d.indexOf(": "); return `<dt>${esc(d.slice(0, i))}</dt><dd>${esc(d.slice(i + 2))}</dd>`; }).join("")}
      ${n.source ? `<dt>Source</dt><dd><a href="#" data-select="${esc(n.source)}">${esc(n.source)}</a></dd>` : ""}
      ${(n.dependsOn || []).map((d) => `<dt>Depends on</dt><dd><a href="#" data-select="${esc(d)}">${esc(d)}</a></dd>`).join("")}
      ${(n.refs || []).map((d) => `<dt>Refers to</dt><dd><a href="#" data-select="${esc(d)}">${esc(d)}</a></dd>`).join("")}
    </dl>
    <div class="actions">
      ${button("btn-reconcile", "Reconcile", reconcileOff, n.suspended ? "the object is suspended" : "")}
      ${button("btn-reconcile-with-source", "Reconcile with source", sourceOff, !src ? "no source" : "")}
      ${button("btn-suspend", "Suspend", !!why || n.suspended)}
      ${button("btn-resume", "Resume", !!why || !n.suspended)}
    </div>
    <pre id="action-log">${esc(state.actionLog)}</pre>
    <h4>Conditions</h4>
    <table>${(n.conditions || []).map((c) => `<tr><td>${esc(c.type)}</td><td>${esc(c.status)}</td><td>${esc(c.reason)}</td><td>${esc(c.message)}</td></tr>`).join("")}</table>
    <h4>Recent events</h4>
    <ul id="events">${ev ? (ev.error ? `<li>${esc(ev.error)}</li>` : ev.list.map((e) =>
      `<li class="ev-${esc(e.type)}"><b>${esc(e.reason)}</b> ${esc(e.message)} <small>${esc(e.lastSeen)}${e.count > 1 ? " ×" + e.count : ""}</small></li>`).join("") || "<li>none</li>") : "<li>…</li>"}</ul>`);
}

function runAction(action) {
  const id = state.selected;
  state.busy = true;
  state.actionLog = `${action} ${id}…`;
  schedule();
  api("/api/actions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ action, id }) })
    .then((r) => { state.actionLog = r.log + (r.ok ? "" : "✗ " + r.error); })
    .catch((e) => { state.actionLog = "✗ " + e.message; })
    .finally(() => { state.busy = false; schedule(); });
}

// ---- edges --------------------------------------------------------------------------

function drawEdges() {
  const svg = $("#edges"), board = $("#board");
  const box = board.getBoundingClientRect();
  svg.setAttribute("width", board.scrollWidth);
  svg.setAttribute("height", board.scrollHeight);
  const cards = new Map();
  for (const el of board.querySelectorAll(".card[data-id]")) cards.set(el.dataset.id, el);
  const edges = [];
  for (const [id, el] of cards) {
    const n = state.nodes.get(id);
    if (!n) continue;
    if (n.source && cards.has(n.source)) edges.push([cards.get(n.source), el, "src"]);
    for (const d of n.dependsOn || []) if (cards.has(d)) edges.push([cards.get(d), el, "dep"]);
    for (const r of n.refs || []) if (cards.has(r)) edges.push([cards.get(r), el, "ref"]);
  }
  for (const el of board.querySelectorAll(".card[data-entry]")) {
    const owner = cards.get(el.dataset.owner);
    if (owner) edges.push([owner, el, "inv"]);
  }
  if (edges.length > MAX_EDGES) { setHTML(svg, ""); return; }
  setHTML(svg, edges.map(([a, b, cls]) => {
    const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
    const forward = ra.left < rb.left;
    const x1 = (forward ? ra.right : ra.left) - box.left, y1 = ra.top + ra.height / 2 - box.top;
    const x2 = (forward ? rb.left : rb.right) - box.left, y2 = rb.top + rb.height / 2 - box.top;
    const dx = Math.max(30, Math.abs(x2 - x1) / 2) * (forward ? 1 : -1);
    const same = Math.abs(ra.left - rb.left) < 5;
    const d = same
      ? `M${ra.left - box.left},${y1} C${ra.left - box.left - 30},${y1} ${rb.left - box.left - 30},${y2} ${rb.left - box.left},${y2}`
      : `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
    return `<path class="edge ${cls}" d="${d}"/>`;
  }).join(""));
}

// ---- events of the page -------------------------------------------------------------

document.addEventListener("click", (e) => {
  const t = e.target.closest("[data-toggle],[data-inv],[data-action],[data-select],[data-close],[data-status-filter],.card[data-id]");
  if (!t) return;
  if (t.dataset.toggle) {
    const k = t.dataset.toggle;
    if (state.collapsed.has(k)) state.collapsed.delete(k); else state.collapsed.add(k);
  } else if (t.dataset.inv) {
    const id = t.dataset.inv;
    if (state.showInv.has(id)) state.showInv.delete(id); else state.showInv.add(id);
  } else if (t.dataset.action) {
    runAction(t.dataset.action);
    return;
  } else if (t.dataset.select) {
    e.preventDefault();
    state.selected = t.dataset.select;
    state.actionLog = "";
  } else if (t.dataset.close) {
    state.selected = null;
  } else if (t.dataset.statusFilter) {
    const sel = $("#status-filter");
    sel.value = sel.value === t.dataset.statusFilter ? "" : t.dataset.statusFilter;
  } else if (t.dataset.id) {
    if (state.selected !== t.dataset.id) state.actionLog = "";
    state.selected = t.dataset.id;
  }
  schedule();
});
for (const id of ["#search", "#ns-filter", "#status-filter"]) $(id).addEventListener("input", schedule);
window.addEventListener("resize", schedule);
connect();
