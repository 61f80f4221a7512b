// The photovault viewer: one page, no framework, no build step. Every name from the
// repository goes into the page as text (textContent, attributes), never as HTML.
"use strict";

const state = {
  snapshot: null,      // full id of the snapshot shown
  snapshots: [],
  csrf: null,
  selected: new Map(), // path -> {path, name}
  viewerItems: [],     // the items the viewer steps through
  viewerIndex: 0,
  observers: [],
};

const ROW = 180;          // tile height, px (as --row in app.css)
const ASPECT = 4 / 3;     // assumed until a thumbnail says otherwise

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const snap = () => enc(state.snapshot);
const thumbUrl = (path) => `/thumb/${snap()}?path=${enc(path)}`;
const fileUrl = (path, download) => `/file/${snap()}?path=${enc(path)}${download ? "&download=1" : ""}`;
const viewUrl = (path) => `/view/${snap()}?path=${enc(path)}`;

async function api(url, options) {
  const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : { error: await response.text() };
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${units[i]}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

function clearObservers() {
  for (const o of state.observers) o.disconnect();
  state.observers = [];
}

function show(...nodes) {
  clearObservers();
  const main = $("main");
  main.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
  window.scrollTo(0, 0);
}

function fail(error) {
  show(el("p", { class: "status error", text: `Error: ${error.message}` }));
}

// ---- selection ---------------------------------------------------------------------------

function toggleSelected(path, name, on) {
  if (on) state.selected.set(path, { path, name }); else state.selected.delete(path);
  const n = state.selected.size;
  $("selection").hidden = n === 0;
  $("selection-count").textContent = `${n} selected`;
}

function pickBox(path, name, tile) {
  return el("input", {
    type: "checkbox", class: "pick", title: "Select",
    checked: state.selected.has(path),
    onclick: (event) => event.stopPropagation(),
    onchange: (event) => {
      toggleSelected(path, name, event.target.checked);
      if (tile) tile.classList.toggle("selected", event.target.checked);
    },
  });
}

function zipSelection() {
  const query = [...state.selected.keys()].map((p) => `path=${enc(p)}`).join("&");
  window.location.href = `/zip/${snap()}?${query}`;
}

async function restoreSelection(event) {
  event.preventDefault();
  const result = $("restore-result");
  result.textContent = "Restoring…";
  try {
    const done = await api(`/api/s/${snap()}/restore`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pvault-csrf": state.csrf },
      body: JSON.stringify({ paths: [...state.selected.keys()], target: $("restore-target").value }),
    });
    result.textContent = `Restored ${done.files} files (${bytes(done.bytes)}); ${done.skipped} already there were left alone.` +
      (done.errors.length ? ` Problems: ${done.errors.join("; ")}` : "");
  } catch (e) {
    result.textContent = `Not restored: ${e.message}`;
  }
}

// ---- tiles and the justified grid ---------------------------------------------------------

function tile(item, items, index) {
  const t = el("a", { class: "tile", href: `#/photo`, "data-path": item.path, title: item.name });
  t.style.flexGrow = ASPECT;
  t.style.width = `${ROW * ASPECT}px`;
  const img = el("img", { loading: "lazy", decoding: "async", alt: item.name, src: thumbUrl(item.path) });
  img.addEventListener("load", () => {
    if (img.naturalWidth && img.naturalHeight) {
      const aspect = img.naturalWidth / img.naturalHeight;
      t.style.flexGrow = aspect;
      t.style.width = `${ROW * aspect}px`;
      t.dataset.loaded = "1";
    }
  });
  t.append(img, pickBox(item.path, item.name, t));
  const roles = (item.companions || []).map((c) => c.role);
  const badge = item.kind === "video" ? "▶ video" : roles.includes("live") ? "LIVE" :
    roles.includes("raw") ? "RAW+JPEG" : item.kind === "raw" ? "RAW" : null;
  if (badge) t.append(el("span", { class: "badge", text: badge }));
  if (state.selected.has(item.path)) t.classList.add("selected");
  t.addEventListener("click", (event) => { event.preventDefault(); openViewer(items, index); });
  return t;
}

function grid(items) {
  return el("div", { class: "grid" }, items.map((item, i) => tile(item, items, i)));
}

// ---- timeline -------------------------------------------------------------------------------

async function timeline() {
  show(el("p", { class: "status", text: "Reading the timeline…" }));
  let data;
  try { data = await api(`/api/s/${snap()}/months`); } catch (e) { return fail(e); }
  const width = () => Math.max(320, $("main").clientWidth - 32);
  const sections = data.months.slice().reverse().map((m) => {
    const key = `${m.year}-${String(m.month).padStart(2, "0")}`;
    const body = el("div", { class: "grid placeholder" });
    // Reserve about the height the month will take, so the scroll bar is right from the start.
    const rows = Math.ceil((m.count * ROW * ASPECT) / width());
    body.style.minHeight = `${rows * (ROW + 4)}px`;
    const section = el("section", { class: "month", "data-month": key, "data-count": m.count },
      el("h2", {}, `${MONTHS[m.month - 1]} ${m.year}`, el("span", { class: "count", text: `${m.count}` })),
      body);
    section.monthInfo = m;
    return section;
  });
  const header = el("p", { class: "status", text: `${data.total} photos and videos` +
    (data.unreadable.length ? `; ${data.unreadable.length} folders could not be read` : "") });
  show(header, ...sections);
  // Months are filled when they come near the screen and emptied when far away, so the
  // page holds a bounded number of tiles however long the timeline is.
  const near = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const section = entry.target;
      if (entry.isIntersecting && !section.filled) fillMonth(section);
    }
  }, { rootMargin: "1200px 0px" });
  const far = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const section = entry.target;
      if (!entry.isIntersecting && section.filled) emptyMonth(section);
    }
  }, { rootMargin: "6000px 0px" });
  for (const s of sections) { near.observe(s); far.observe(s); }
  state.observers.push(near, far);
}

async function fillMonth(section) {
  section.filled = true;
  const m = section.monthInfo;
  try {
    const data = await api(`/api/s/${snap()}/month/${m.year}/${m.month}`);
    if (!section.filled) return;
    const g = grid(data.items);
    section.lastChild.replaceWith(g);
    section.dataset.loaded = "1";
  } catch (e) {
    section.filled = false;
    section.lastChild.replaceWith(el("p", { class: "status", text: `Error: ${e.message}` }));
  }
}

function emptyMonth(section) {
  const g = section.lastChild;
  const height = g.getBoundingClientRect().height;
  const body = el("div", { class: "grid placeholder" });
  body.style.minHeight = `${height}px`;
  g.replaceWith(body);
  section.filled = false;
  delete section.dataset.loaded;
}

// ---- photo and video view ---------------------------------------------------------------

function isVideo(name) { return /\.(mp4|m4v|mov|webm|mkv)$/i.test(name); }

async function openViewer(items, index) {
  state.viewerItems = items;
  state.viewerIndex = index;
  $("viewer").hidden = false;
  document.body.style.overflow = "hidden";
  const item = items[index];
  $("viewer-name").textContent = item.name;
  const media = $("viewer-media");
  const live = (item.companions || []).find((c) => c.role === "live");
  if (isVideo(item.name)) {
    media.replaceChildren(el("video", { id: "viewer-video", controls: true, preload: "metadata", src: fileUrl(item.path) }));
  } else {
    const img = el("img", { id: "viewer-image", alt: item.name, src: viewUrl(item.path) });
    media.replaceChildren(img);
    if (live) {
      const play = el("button", { type: "button", text: "▶ Live Photo", onclick: () => {
        media.replaceChildren(el("video", { id: "viewer-video", controls: true, autoplay: true, src: fileUrl(live.path) }));
      } });
      media.append(play);
    }
  }
  const files = $("viewer-files");
  files.replaceChildren(el("li", {}, el("a", { href: fileUrl(item.path, true), text: `Download ${item.name}`, class: "download" }),
    ` (${bytes(item.size)})`));
  for (const c of item.companions || []) {
    files.append(el("li", {}, el("a", { href: fileUrl(c.path, true), text: `Download ${c.name}` }), ` (${c.role}, ${bytes(c.size)})`));
  }
  const dl = $("viewer-details");
  const rows = [["Date", item.date], ["Camera", item.camera], ["Folder", item.path.replace(/\/[^/]*$/, "") || "/"]];
  const fill = (extra) => {
    dl.replaceChildren(...rows.concat(extra).filter(([, v]) => v).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  };
  fill([]);
  if (!isVideo(item.name)) {
    try {
      const d = (await api(`/api/s/${snap()}/details?path=${enc(item.path)}`)).details;
      if (state.viewerItems[state.viewerIndex] !== item) return;
      fill([["Taken", d.taken], ["Lens", d.lens], ["Exposure", d.exposure], ["Aperture", d.aperture],
        ["ISO", d.iso], ["Focal length", d.focal_length], ["Size", d.dimensions], ["GPS", d.gps]]);
    } catch (e) { /* the summary is optional */ }
  }
}

function closeViewer() {
  $("viewer").hidden = true;
  $("viewer-media").replaceChildren();
  document.body.style.overflow = "";
}

function step(delta) {
  const next = state.viewerIndex + delta;
  if (next >= 0 && next < state.viewerItems.length) openViewer(state.viewerItems, next);
}

// ---- folders -------------------------------------------------------------------------------

async function folders(path) {
  show(el("p", { class: "status", text: "Reading the folder…" }));
  let data;
  try { data = await api(`/api/s/${snap()}/ls?path=${enc(path)}`); } catch (e) { return fail(e); }
  const parts = path.split("/").filter(Boolean);
  const crumbs = el("div", { class: "crumbs" }, el("a", { href: "#/folders/", text: "/" }),
    parts.flatMap((p, i) => [el("a", { href: `#/folders/${parts.slice(0, i + 1).map(enc).join("/")}`, text: p }), " / "]));
  const join = (name) => `/${parts.concat([name]).join("/")}`;
  const media = data.entries.filter((e) => e.kind === "file" && /^(image|video)\//.test(e.type))
    .map((e) => ({ name: e.name, path: join(e.name), size: e.size, kind: e.type.startsWith("video") ? "video" : "photo", companions: [] }));
  const rows = data.entries.map((e) => {
    const full = join(e.name);
    const pick = el("td", {}, el("input", { type: "checkbox", checked: state.selected.has(full),
      onchange: (ev) => toggleSelected(full, e.name, ev.target.checked) }));
    let name;
    if (e.kind === "dir") {
      name = el("a", { href: `#/folders/${parts.concat([e.name]).map(enc).join("/")}` }, el("span", { class: "icon", text: "▸" }), e.name);
    } else if (/^(image|video)\//.test(e.type)) {
      const i = media.findIndex((m) => m.path === full);
      name = el("a", { href: "#/photo", onclick: (ev) => { ev.preventDefault(); openViewer(media, i); } },
        el("img", { loading: "lazy", alt: "", src: thumbUrl(full) }), e.name);
    } else {
      name = el("a", { href: fileUrl(full, true) }, el("span", { class: "icon", text: "·" }), e.name);
    }
    const when = new Date(e.mtime * 1000).toISOString().replace("T", " ").slice(0, 16);
    return el("tr", { "data-name": e.name }, pick, el("td", { class: "name" }, name),
      el("td", { text: e.kind === "file" ? bytes(e.size) : e.kind }), el("td", { text: when }));
  });
  const zip = path && path !== "/" ? el("a", { class: "zip", href: `/zip/${snap()}?path=${enc(path)}`, text: "Download this folder as zip" }) : null;
  show(crumbs, zip, el("table", { class: "folder" },
    el("thead", {}, el("tr", {}, el("th", {}), el("th", { text: "Name" }), el("th", { text: "Size" }), el("th", { text: "Modified" }))),
    el("tbody", {}, rows)),
  data.hidden ? el("p", { class: "status", text: `${data.hidden} entries with unsafe names are not shown` }) : null);
}

// ---- search ---------------------------------------------------------------------------------

function search(params) {
  const field = (name, label, placeholder) => el("label", {}, label,
    el("input", { name, value: params.get(name) || "", placeholder }));
  const form = el("form", { class: "search-form", id: "search-form" },
    field("name", "Name or folder", "IMG_"), field("from", "From", "2021-03-01"),
    field("to", "To", "2021-12"), field("camera", "Camera", "iPhone"),
    el("button", { type: "submit", text: "Search" }));
  const results = el("div", { id: "search-results" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams(new FormData(form));
    location.hash = `#/search?${q}`;
  });
  show(form, results);
  if ([...params.keys()].length) runSearch(params, results);
}

async function runSearch(params, results) {
  results.replaceChildren(el("p", { class: "status", text: "Searching…" }));
  try {
    const data = await api(`/api/s/${snap()}/search?${params}`);
    results.replaceChildren(el("p", { class: "status", text: `${data.total} found` +
      (data.total > data.items.length ? `, the first ${data.items.length} shown` : "") }), grid(data.items));
  } catch (e) {
    results.replaceChildren(el("p", { class: "status", text: `Error: ${e.message}` }));
  }
}

// ---- snapshots ------------------------------------------------------------------------------

function snapshotsView() {
  const rows = state.snapshots.map((s) => el("tr", { class: s.id === state.snapshot ? "current" : "" },
    el("td", {}, el("a", { href: "#/timeline", onclick: () => pickSnapshot(s.id), text: s.time.replace("T", " ").slice(0, 19) })),
    el("td", { text: s.host }), el("td", { text: s.tags.join(", ") }),
    el("td", { text: s.summary ? `${s.summary.files} files, ${bytes(s.summary.bytes)}` : "" }),
    el("td", { text: s.paths.join(", ") }), el("td", {}, el("code", { text: s.short_id }))));
  show(el("table", {}, el("thead", {}, el("tr", {}, ["Time", "Host", "Tags", "Summary", "Paths", "Id"].map((h) => el("th", { text: h })))),
    el("tbody", {}, rows)));
}

function pickSnapshot(id) {
  state.snapshot = id;
  $("snapshot").value = id;
  state.selected.clear();
  toggleSelected("", "", false);
}

// ---- routing --------------------------------------------------------------------------------

function route() {
  closeViewer();
  const hash = location.hash || "#/timeline";
  const [view, ...rest] = hash.slice(2).split("/");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view.split("?")[0]);
  if (!state.snapshot) return show(el("p", { class: "status", text: "This repository has no snapshot yet." }));
  if (view === "folders") return folders(rest.map(decodeURIComponent).join("/"));
  if (view.startsWith("search")) return search(new URLSearchParams(hash.split("?")[1] || ""));
  if (view === "snapshots") return snapshotsView();
  if (view === "photo") return;
  return timeline();
}

async function start() {
  // The token is in a cookie now; take it out of the address bar and history.
  if (location.search.includes("token=")) history.replaceState(null, "", `/${location.hash}`);
  try {
    const session = await api("/api/session");
    state.csrf = session.csrf;
    state.snapshots = await api("/api/snapshots");
  } catch (e) { return fail(e); }
  const select = $("snapshot");
  select.replaceChildren(...state.snapshots.map((s) => el("option", { value: s.id,
    text: `${s.time.slice(0, 16).replace("T", " ")} ${s.host}${s.tags.length ? " [" + s.tags.join(",") + "]" : ""}` })));
  if (state.snapshots.length) pickSnapshot(state.snapshots[0].id);
  select.addEventListener("change", () => { pickSnapshot(select.value); route(); });
  $("viewer-close").addEventListener("click", closeViewer);
  $("viewer-prev").addEventListener("click", () => step(-1));
  $("viewer-next").addEventListener("click", () => step(1));
  document.addEventListener("keydown", (e) => {
    if ($("viewer").hidden) return;
    if (e.key === "Escape") closeViewer();
    if (e.key === "ArrowLeft") step(-1);
    if (e.key === "ArrowRight") step(1);
  });
  $("selection-zip").addEventListener("click", zipSelection);
  $("selection-clear").addEventListener("click", () => {
    state.selected.clear();
    toggleSelected("", "", false);
    for (const t of document.querySelectorAll(".selected")) t.classList.remove("selected");
    for (const c of document.querySelectorAll("input[type=checkbox]")) c.checked = false;
  });
  $("selection-restore").addEventListener("click", () => { $("restore-result").textContent = ""; $("restore-dialog").showModal(); });
  $("restore-cancel").addEventListener("click", () => $("restore-dialog").close());
  $("restore-form").addEventListener("submit", restoreSelection);
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
