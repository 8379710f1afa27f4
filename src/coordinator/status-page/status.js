// The status page's script: polls /api/config every second and draws the servers, the spaces and
// the regions of the chosen subspace; the search box asks /api/plan which regions a search would
// contact and lights them. Plain browser JavaScript, no framework, no build step.
'use strict';

const POLL_MS = 1000;
/** A request the page gives up on (the next poll tries again). */
const REQUEST_TIMEOUT_MS = 5000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const PLOT = 480;
const MARGIN = 28;
const STRIP_HEIGHT = 60;

let config = null;
let configText = '';
/** The subspace drawn: [space name, subspace index]. */
let selected = null;
/** The last plan: { space, subspace, regions: Set of ids, ... }, or null. */
let plan = null;
let polling = false;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

async function fetchJson(url) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(url, { cache: 'no-store', signal: ctl.signal });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: `the server answered ${res.status} with something that is not JSON` };
    }
    return { ok: res.ok, status: res.status, body, text };
  } finally {
    clearTimeout(timer);
  }
}

// ---- colours ----------------------------------------------------------------------------------

function colorOf(serverId) {
  if (serverId === undefined) return '#b8bec8';
  const i = config.servers.findIndex((s) => s.id === serverId);
  const n = i < 0 ? serverId : i;
  return `hsl(${(n * 137.5) % 360}, 62%, 55%)`;
}

// ---- servers and spaces -----------------------------------------------------------------------

function renderServers() {
  const body = $('servers').tBodies[0];
  body.replaceChildren();
  if (config.servers.length === 0) {
    const tr = el('tr');
    tr.append(el('td', { colspan: 5 }, 'no server has registered'));
    body.append(tr);
  }
  for (const s of config.servers) {
    const tr = el('tr', { 'data-server-id': s.id, 'data-state': s.state });
    const sw = el('td');
    sw.append(el('span', { class: 'swatch', style: `background:${colorOf(s.id)}` }));
    const state = el('td');
    state.append(el('span', { class: `state state-${s.state}` }, s.state));
    tr.append(sw, el('td', {}, String(s.id)), el('td', {}, s.address), state, el('td', {}, String(s.heads)));
    body.append(tr);
  }
  $('note').textContent = config.note;
}

function renderSpaces() {
  const box = $('spaces');
  box.replaceChildren();
  if (config.spaces.length === 0) box.append(el('p', { class: 'note' }, 'no spaces yet'));
  for (const space of config.spaces) {
    const div = el('div', { class: 'space', 'data-space': space.name });
    const attrs = space.attributes.map((a) => `${a.name} (${a.type})`).join(', ') || 'none';
    div.append(el('h3', {}, `${space.name}`), el('div', { class: 'note' }, `key ${space.key.name} (${space.key.type}); attributes ${attrs}; ${space.regions} regions`));
    const ul = el('ul');
    for (const ss of space.subspaces) {
      const li = el('li');
      const link = el('span', { class: 'subspace-link', 'data-subspace': ss.index }, ss.index === 0 ? `key subspace (${ss.attributes.join(', ')})` : `subspace ${ss.index} (${ss.attributes.join(', ')})`);
      link.addEventListener('click', () => select(space.name, ss.index));
      li.append(link, document.createTextNode(`: ${ss.regions} regions, ${ss.replicas} replica(s) asked for`));
      ul.append(li);
    }
    div.append(ul);
    box.append(div);
  }
}

function renderSelect() {
  const sel = $('subspace-select');
  sel.replaceChildren();
  for (const space of config.spaces)
    for (const ss of space.subspaces) {
      const value = JSON.stringify([space.name, ss.index]);
      const label = `${space.name}: ${ss.index === 0 ? 'key subspace' : `subspace ${ss.index}`} (${ss.attributes.join(', ')})`;
      const opt = el('option', { value }, label);
      if (selected && selected[0] === space.name && selected[1] === ss.index) opt.selected = true;
      sel.append(opt);
    }
}

// ---- the picture of a subspace's regions ------------------------------------------------------

/** A coordinate (hex, 0..2^64-1) as a fraction of its axis. */
function fraction(hex) {
  return Number(BigInt(hex) >> 11n) / 2 ** 53;
}

/** The fraction of its axis a bound pair spans (bounds inclusive). */
function span(lower, upper) {
  return Number((BigInt(upper) - BigInt(lower) + 1n) >> 11n) / 2 ** 53;
}

function regionClasses(r) {
  const c = ['region'];
  if (plan && plan.regions.has(r.id)) c.push('lit');
  if (r.moving !== undefined) c.push('moving');
  if (r.unavailable && r.chain.length > 0) c.push('unavailable');
  return c.join(' ');
}

function regionTitle(r) {
  const box = r.bounds.map((b) => `${b.attribute} ${b.lower}..${b.upper}`).join('\n');
  const chain = r.chain.length === 0 ? 'no daemon yet' : `chain ${r.chain.join(' > ')}`;
  return `region ${r.id}\n${box}\n${chain}${r.moving !== undefined ? `\nmoving to ${r.moving}` : ''}${r.unavailable && r.chain.length > 0 ? '\nunavailable: its head is not available' : ''}`;
}

function hatchDefs() {
  const defs = svg('defs');
  const p = svg('pattern', { id: 'hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  p.append(svg('rect', { width: 4, height: 8, fill: '#0007' }));
  defs.append(p);
  return defs;
}

/** Boxes on one or two axes: x is the first attribute, y (upwards) the second. */
function drawBoxes(regions, attributes) {
  const twoD = attributes.length === 2;
  const h = twoD ? PLOT : STRIP_HEIGHT;
  const root = svg('svg', { width: PLOT + 2 * MARGIN, height: h + 2 * MARGIN, viewBox: `0 0 ${PLOT + 2 * MARGIN} ${h + 2 * MARGIN}` });
  root.append(hatchDefs());
  for (const r of regions) {
    const x = MARGIN + fraction(r.bounds[0].lower) * PLOT;
    const w = span(r.bounds[0].lower, r.bounds[0].upper) * PLOT;
    const ySpan = twoD ? span(r.bounds[1].lower, r.bounds[1].upper) * h : h;
    const y = twoD ? MARGIN + h - fraction(r.bounds[1].lower) * h - ySpan : MARGIN;
    const g = svg('g', { class: regionClasses(r), 'data-region-id': r.id });
    g.append(svg('title', {}, regionTitle(r)));
    g.append(svg('rect', { x, y, width: Math.max(w, 1), height: Math.max(ySpan, 1), fill: colorOf(r.chain[0]) }));
    if (r.moving !== undefined) g.append(svg('rect', { x, y, width: Math.max(w, 1), height: Math.max(ySpan, 1), fill: 'url(#hatch)' }));
    if (w > 26 && ySpan > 14) g.append(svg('text', { x: x + w / 2, y: y + ySpan / 2 + 4, 'text-anchor': 'middle', 'font-size': 11, fill: '#111' }, String(r.id)));
    root.append(g);
  }
  root.append(svg('text', { class: 'axis', x: MARGIN + PLOT / 2, y: h + 2 * MARGIN - 8, 'text-anchor': 'middle' }, `${attributes[0]} →`));
  if (twoD) root.append(svg('text', { class: 'axis', x: 12, y: MARGIN + h / 2, transform: `rotate(-90 12 ${MARGIN + h / 2})`, 'text-anchor': 'middle' }, `${attributes[1]} →`));
  return root;
}

/** Beyond two axes: a table, one row per region. */
function drawList(regions, attributes) {
  const t = el('table');
  const head = el('tr');
  for (const h of ['region', 'head', 'chain', ...attributes]) head.append(el('th', {}, h));
  t.append(head);
  for (const r of regions) {
    const tr = el('tr', { class: regionClasses(r), 'data-region-id': r.id, title: regionTitle(r) });
    const headCell = el('td');
    headCell.append(el('span', { class: 'swatch', style: `background:${colorOf(r.chain[0])}` }), document.createTextNode(` ${r.chain[0] ?? 'none'}`));
    tr.append(el('td', {}, String(r.id)), headCell, el('td', {}, r.chain.join(' > ')));
    for (const b of r.bounds) tr.append(el('td', {}, `${b.lower}..${b.upper}`));
    t.append(tr);
  }
  return t;
}

function renderPicture() {
  const box = $('regions');
  box.replaceChildren();
  const legend = $('legend');
  legend.replaceChildren();
  const space = selected && config.spaces.find((s) => s.name === selected[0]);
  const layout = space && space.layout.find((l) => l.index === selected[1]);
  if (!space || !layout) {
    box.className = '';
    box.append(el('p', { class: 'note' }, config.spaces.length === 0 ? 'no spaces yet' : 'choose a subspace'));
    return;
  }
  const attributes = space.subspaces[selected[1]].attributes;
  box.className = plan && plan.space === space.name && plan.subspace === selected[1] ? 'planned' : '';
  box.append(attributes.length <= 2 ? drawBoxes(layout.regions, attributes) : drawList(layout.regions, attributes));
  // The legend: each daemon heading regions drawn here, and how many.
  const heads = new Map();
  for (const r of layout.regions) heads.set(r.chain[0], (heads.get(r.chain[0]) || 0) + 1);
  for (const [id, n] of heads) {
    const item = el('span', { class: 'item' });
    item.append(el('span', { class: 'swatch', style: `background:${colorOf(id)}` }), document.createTextNode(` ${id === undefined ? 'no daemon' : `server ${id}`}: ${n} region(s)`));
    legend.append(item);
  }
  const moving = layout.regions.filter((r) => r.moving !== undefined).length;
  if (moving > 0) legend.append(el('span', { class: 'item' }, `${moving} moving (hatched)`));
}

function render() {
  const when = new Date().toLocaleTimeString();
  $('summary').textContent = `configuration version ${config.version}; ${config.servers.length} server(s), ${config.daemonsConnected} connected; ${config.spaces.length} space(s); ${config.stable ? 'settled' : `not settled: ${config.unsettled.length} region(s) moving or without a daemon`}; updated ${when}`;
  if (selected && !config.spaces.some((s) => s.name === selected[0] && s.subspaces.length > selected[1])) selected = null;
  if (!selected && config.spaces.length > 0) selected = [config.spaces[0].name, config.spaces[0].subspaces.length > 1 ? 1 : 0];
  if (plan && !config.spaces.some((s) => s.name === plan.space)) clearPlan();
  renderServers();
  renderSpaces();
  renderSelect();
  renderPicture();
}

function select(spaceName, index) {
  if (plan && plan.space !== spaceName) clearPlan();
  selected = [spaceName, index];
  renderSelect();
  renderPicture();
}

// ---- polling ----------------------------------------------------------------------------------

async function poll() {
  if (polling) return;
  polling = true;
  try {
    const r = await fetchJson('/api/config');
    if (!r.ok) throw new Error(r.body.error || `the coordinator answered ${r.status}`);
    $('connection').hidden = true;
    if (r.text !== configText) {
      configText = r.text;
      config = r.body;
      render();
    }
  } catch (e) {
    $('connection').hidden = false;
    $('connection').textContent = `cannot reach the coordinator: ${e.message}; showing what it said last`;
  } finally {
    polling = false;
  }
}

// ---- the search box ---------------------------------------------------------------------------

function clearPlan() {
  plan = null;
  $('search-result').replaceChildren();
  $('search-error').hidden = true;
}

async function search(event) {
  event.preventDefault();
  if (!selected) return;
  const query = $('search-query').value;
  const space = selected[0];
  const r = await fetchJson(`/api/plan?space=${encodeURIComponent(space)}&q=${encodeURIComponent(query)}`).catch((e) => ({ ok: false, body: { error: e.message } }));
  if (!r.ok) {
    clearPlan();
    $('search-error').hidden = false;
    $('search-error').textContent = `cannot plan this search: ${r.body.error}`;
    renderPicture();
    return;
  }
  const p = r.body;
  plan = { ...p, regions: new Set(p.regions) };
  $('search-error').hidden = true;
  const which = p.subspace === 0 ? 'the key subspace' : `subspace ${p.subspace}`;
  const result = $('search-result');
  result.replaceChildren(
    el('span', { id: 'search-count' }, `${p.regions.length} of ${p.subspaceRegions} regions`),
    document.createTextNode(` of ${which} (${p.attributes.join(', ')}) of ${p.space} would be asked; the space has ${p.spaceRegions} regions in all.`),
  );
  select(p.space, p.subspace);
}

$('search-form').addEventListener('submit', search);
$('search-clear').addEventListener('click', () => {
  $('search-query').value = '';
  clearPlan();
  renderPicture();
});
$('subspace-select').addEventListener('change', (e) => {
  const [space, index] = JSON.parse(e.target.value);
  select(space, index);
});
poll();
setInterval(poll, POLL_MS);
