/**
 * The dashboard's page, style and script as strings, so that `deno compile` embeds them (no
 * `--include`, no build step, nothing from a CDN). The script builds every element from data
 * with `textContent` and attributes, never `innerHTML`: names from the config and states from
 * devices stay text. It is plain browser JavaScript (no template literals, so it can live in a
 * template string here).
 * @module
 */

/** The page: a shell the script fills in. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pdud dashboard</title>
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<a class="skip" href="#pdus">Skip to the PDUs</a>
<header>
  <h1>pdud</h1>
  <p id="who" role="status"></p>
  <button id="signout" type="button" hidden>Forget token</button>
</header>
<main>
  <noscript><p>The dashboard needs JavaScript. The JSON API is at /api/v1/.</p></noscript>
  <form id="login" hidden>
    <h2>Token</h2>
    <p id="login-error" class="error" role="alert"></p>
    <label for="token">Bearer token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Use token</button>
    <p class="hint">Kept for this tab only (sessionStorage) and sent as an Authorization header.</p>
  </form>
  <div id="app" hidden>
    <div class="bar">
      <label for="filter">Filter by name</label>
      <input id="filter" type="search" placeholder="PDU, alias or group" autocomplete="off">
      <span id="conn" role="status"></span>
    </div>
    <p id="message" role="status"></p>
    <div class="layout">
      <section id="pdus" aria-label="PDUs" tabindex="-1"></section>
      <section class="activity" aria-labelledby="activity-heading">
        <h2 id="activity-heading">Activity</h2>
        <ol id="activity" role="log" aria-label="Recent activity, newest first"></ol>
      </section>
    </div>
  </div>
</main>
</body>
</html>
`;

/** The style: system fonts, WCAG AA contrast, one column on a phone. */
export const APP_CSS = `:root { color-scheme: light; --fg: #1b1b1b; --muted: #4a4a4a; --bg: #f6f7f9;
  --card: #fff; --line: #c9ced6; --focus: #0b57d0; --on: #0a6b2c; --off: #4d4d4d; --bad: #a50e0e;
  --busy: #7a4b00; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem;
  padding: .5rem 1rem; background: #1d2733; color: #fff; }
header h1 { margin: 0; font-size: 1.25rem; }
header p { margin: 0; flex: 1; }
main { padding: 1rem; max-width: 90rem; margin: 0 auto; }
h2 { font-size: 1.15rem; margin: 0; overflow-wrap: anywhere; }
button, input { font: inherit; }
button { min-height: 2.25rem; padding: .25rem .75rem; border: 1px solid #5b6573; border-radius: .3rem;
  background: #fff; color: var(--fg); cursor: pointer; }
button:hover { background: #eef1f5; }
button.on { border-color: var(--on); color: var(--on); }
button.off { border-color: var(--off); }
button.reboot { border-color: var(--busy); color: var(--busy); }
header button { background: transparent; color: #fff; border-color: #fff; }
header button:hover { background: #2f3d4d; }
input { min-height: 2.25rem; padding: .25rem .5rem; border: 1px solid #5b6573; border-radius: .3rem; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; color: var(--fg); padding: .5rem; z-index: 1; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
#login { max-width: 28rem; display: grid; gap: .5rem; background: var(--card); padding: 1rem;
  border: 1px solid var(--line); border-radius: .5rem; }
.hint, .muted { color: var(--muted); font-size: .9rem; }
.error { color: var(--bad); }
.error:empty, #message:empty { display: none; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-bottom: .75rem; }
.bar label { font-weight: 600; }
#message { background: #fff4f4; border: 1px solid var(--bad); color: var(--bad); padding: .5rem;
  border-radius: .3rem; }
#message.ok { background: #f1f8f3; border-color: var(--on); color: var(--on); }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) 22rem; gap: 1rem; align-items: start; }
@media (max-width: 60rem) { .layout { grid-template-columns: minmax(0, 1fr); } }
#pdus { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); }
.pdu, .activity { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .75rem 1rem; min-width: 0; }
.pdu header { all: unset; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; color: #fff;
  background: var(--off); font-size: .9rem; font-weight: 600; }
.badge.idle, .badge.on { background: var(--on); }
.badge.busy, .badge.stopping { background: var(--busy); }
.badge.failed, .badge.unavailable { background: var(--bad); }
.badge.unknown { background: #fff; color: var(--fg); border: 1px solid var(--off); }
dl { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: .5rem 0; }
dl div { display: flex; gap: .35rem; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
dd.error { font-weight: 400; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .35rem .4rem; border-top: 1px solid var(--line);
  vertical-align: middle; overflow-wrap: anywhere; }
th { font-size: .9rem; color: var(--muted); }
th { overflow-wrap: normal; }
.actions { display: flex; flex-wrap: wrap; gap: .3rem; }
.pager { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .5rem; }
.pager:not(:has(button:not([hidden]))) { display: none; }
.read-any { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .5rem; }
.read-any input { width: 6rem; }
#activity { list-style: none; margin: .5rem 0 0; padding: 0; max-height: 70vh; overflow: auto; }
#activity li { border-top: 1px solid var(--line); padding: .35rem 0; overflow-wrap: anywhere; }
#activity time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .4rem; }
#activity .failed, #activity .refused { color: var(--bad); font-weight: 600; }
@media (max-width: 30rem) { main { padding: .5rem; } th.names, td.names { display: none; } }
`;

/** A plug, in the header colours. */
export const FAVICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2733"/><path d="M5 3v4M11 3v4M4 7h8v2a4 4 0 0 1-8 0z" stroke="#fff" fill="none"/></svg>`;

/** The script. */
export const APP_JS = String.raw`"use strict";
(() => {
  const TOKEN_KEY = "pdud.token";
  const MAX_ACTIVITY = 100;
  // A range wider than this (modbustcp's coils are 0..65535) would bury the known outlets in
  // empty rows: such a PDU lists its known and named outlets, and the rest of its range a page
  // of this many at a time, on demand.
  const PAGE = 128;
  const $ = (id) => document.getElementById(id);
  const view = {
    scope: null,
    // Outlets are keyed by their id as the API writes it: "3", or a name ("usb-hub-3") for
    // drivers that name outlets.
    pdus: new Map(), // name -> { data, outlets: Map(id -> { state, source }), card, rows: Map(id -> row) }
    labels: new Map(), // "pdu\u0000outlet" -> ["board-1", "alias (group)", "group", ...]
    filter: "",
    stream: null,
    lastId: null,
    retryMs: 1000,
    ids: 0,
  };

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }
  const token = () => sessionStorage.getItem(TOKEN_KEY);
  function headers(extra) {
    const h = Object.assign({ accept: "application/json" }, extra || {});
    const t = token();
    if (t) h.authorization = "Bearer " + t;
    return h;
  }
  async function api(path, init) {
    const response = await fetch(path, Object.assign({ cache: "no-store" }, init || {}, {
      headers: headers((init || {}).headers),
    }));
    let body = null;
    try {
      body = await response.json();
    } catch (_) { /* not JSON */ }
    return { status: response.status, ok: response.ok, body: body };
  }
  const enc = encodeURIComponent;
  const key = (pdu, outlet) => pdu + "\u0000" + outlet;
  const isNumber = (id) => /^\d+$/.test(id);
  // Numbers in order, then names in order.
  function byOutlet(a, b) {
    if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
    if (isNumber(a) !== isNumber(b)) return isNumber(a) ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function message(text, ok) {
    const m = $("message");
    m.textContent = text || "";
    m.className = ok ? "ok" : "";
  }

  // --- access ---------------------------------------------------------------------------
  function showLogin(error) {
    stopStream();
    $("app").hidden = true;
    $("signout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
    $("login-error").textContent = error || "";
    $("token").focus();
  }
  async function start() {
    let who;
    try {
      who = await api("/api/v1/whoami");
    } catch (_) {
      // pdud is down or restarting: keep trying, as the stream does, without losing the token.
      $("who").textContent = "pdud is unreachable; retrying…";
      const wait = view.retryMs;
      view.retryMs = Math.min(view.retryMs * 2, 30000);
      setTimeout(start, wait);
      return;
    }
    if (who.status === 401) {
      const had = token() !== null;
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(had ? "That token was refused: " + (who.body && who.body.error) : "");
      return;
    }
    if (!who.ok) {
      showLogin("pdud refused: " + ((who.body && who.body.error) || who.status));
      return;
    }
    view.scope = who.body.scope;
    $("who").textContent = who.body.tokens
      ? "Token " + who.body.principal + " (" + who.body.scope + ")"
      : "No token needed (" + who.body.scope + ")";
    $("signout").hidden = !who.body.tokens;
    $("login").hidden = true;
    $("app").hidden = false;
    document.body.classList.toggle("can-control", view.scope === "control");
    connect();
  }
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token").value = "";
    start();
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const p of view.pdus.values()) p.card.remove();
    view.pdus.clear();
    showLogin("");
  });

  // --- data -----------------------------------------------------------------------------
  async function load() {
    const [pdus, groups, aliases] = await Promise.all([
      api("/api/v1/pdus"),
      api("/api/v1/groups"),
      api("/api/v1/aliases"),
    ]);
    if (pdus.status === 401) return start();
    if (!pdus.ok) return message("Could not read the PDUs: " + ((pdus.body && pdus.body.error) || pdus.status));
    view.labels.clear();
    const label = (pdu, outlet, text) => {
      const k = key(pdu, outlet);
      const list = view.labels.get(k) || [];
      list.push(text);
      view.labels.set(k, list);
    };
    // An alias with upstream's group key is also a group member: named once, as "alias (group)".
    const grouped = new Set();
    for (const g of (groups.ok && groups.body.groups) || []) {
      for (const m of g.members) {
        if (m.alias) grouped.add(m.alias);
        label(m.pdu, m.outlet, m.alias ? m.alias + " (" + g.name + ")" : g.name);
      }
    }
    for (const a of (aliases.ok && aliases.body.aliases) || []) {
      if (!grouped.has(a.name)) label(a.pdu, a.outlet, a.name);
    }
    const seen = new Set();
    for (const data of pdus.body.pdus) {
      seen.add(data.name);
      const pdu = pduView(data.name);
      pdu.data = data;
      for (const [n, o] of Object.entries(data.outlets)) {
        const old = pdu.outlets.get(n);
        // The snapshot does not say how a state was learned: keep what an event or read said.
        const same = old && old.state === o.state;
        pdu.outlets.set(n, { state: o.state, source: same ? old.source : null, watts: same ? old.watts : undefined });
      }
      render(pdu);
    }
    for (const [name, pdu] of view.pdus) {
      if (!seen.has(name)) {
        pdu.card.remove();
        view.pdus.delete(name);
      }
    }
    applyFilter();
  }

  function reload() {
    load().catch((error) => message("Could not read the PDUs: " + error));
  }

  function pduView(name) {
    let pdu = view.pdus.get(name);
    if (pdu) return pdu;
    const id = "pdu-" + ++view.ids;
    const badge = el("span", { class: "badge" });
    const dl = el("dl");
    const fields = {};
    for (const [k, label] of [["driver", "Driver"], ["queue", "Queue"], ["restarts", "Restarts"], ["lastError", "Last error"]]) {
      fields[k] = el("dd");
      dl.append(el("div", {}, [el("dt", { text: label }), fields[k]]));
    }
    const tbody = el("tbody");
    const table = el("table", {}, [
      el("caption", { class: "sr-only", text: "Outlets of " + name }),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: "Outlet" }),
        el("th", { scope: "col", class: "names", text: "Names" }),
        el("th", { scope: "col", text: "State" }),
        el("th", { scope: "col", text: "Actions" }),
      ])]),
      tbody,
    ]);
    // Text, not a number: drivers that name outlets take a name here; the API checks either.
    const input = el("input", { id: id + "-n", type: "text", maxlength: "64", autocomplete: "off", spellcheck: "false", required: "" });
    const readAny = el("form", { class: "read-any", onsubmit: (e) => {
      e.preventDefault();
      const wanted = input.value.trim();
      if (wanted !== "") readOutlet(name, wanted);
    } }, [
      el("label", { for: id + "-n", text: "Read outlet" }),
      input,
      el("button", { type: "submit", text: "Read", "aria-label": "Read this outlet of " + name }),
    ]);
    // Shown for a range wider than a page: list the next page of it, or only the known again.
    const more = el("button", { type: "button", class: "more", hidden: "", onclick: () => {
      pdu.listed += PAGE;
      render(pdu);
      applyFilter();
    } });
    const fewer = el("button", { type: "button", class: "fewer", hidden: "", text: "Only known outlets", onclick: () => {
      pdu.listed = 0;
      render(pdu);
      applyFilter();
    } });
    const pager = el("div", { class: "pager" }, [more, fewer]);
    const card = el("article", { class: "pdu", "aria-labelledby": id + "-h" }, [
      el("header", {}, [el("h2", { id: id + "-h", text: name }), badge]),
      dl,
      table,
      pager,
      readAny,
    ]);
    const empty = el("p", { class: "muted", text: "No outlet known yet: read one, or switch it." });
    card.insertBefore(empty, table);
    // listed: how many numbers of a wide range are listed besides the known and named outlets.
    pdu = { name, data: null, outlets: new Map(), card, badge, fields, tbody, rows: new Map(), empty, table, more, fewer, listed: 0 };
    view.pdus.set(name, pdu);
    // PDUs stay in the order the API lists them (config order).
    $("pdus").append(card);
    return pdu;
  }

  function render(pdu) {
    const d = pdu.data;
    if (d) {
      pdu.badge.textContent = d.state;
      pdu.badge.className = "badge " + d.state;
      pdu.fields.driver.textContent = d.driver;
      pdu.fields.queue.textContent = d.queueDepth + " / " + d.queueLimit;
      pdu.fields.restarts.textContent = String(d.restarts);
      pdu.fields.lastError.textContent = d.lastError || "none";
      pdu.fields.lastError.className = d.lastError ? "error" : "";
    }
    const ids = new Set(pdu.outlets.keys());
    const prefix = pdu.name + "\u0000";
    for (const k of view.labels.keys()) {
      // Named outlets too: an alias on a localcmdline or tplink outlet name gets its row.
      if (k.startsWith(prefix)) ids.add(k.slice(prefix.length));
    }
    const range = d && d.outletRange;
    const size = range ? range.max - range.min + 1 : 0;
    const wide = size > PAGE;
    // A range that fits a page is listed whole; a wider one as far as the user asked.
    const upTo = !range ? -1 : wide ? Math.min(range.max, range.min + pdu.listed - 1) : range.max;
    if (range) for (let n = range.min; n <= upTo; n++) ids.add(String(n));
    pdu.more.hidden = !wide || upTo >= range.max;
    if (!pdu.more.hidden) {
      pdu.more.textContent = "List outlets " + (upTo + 1) + "–" + Math.min(range.max, upTo + PAGE) +
        " (of " + range.min + "–" + range.max + ")";
    }
    pdu.fewer.hidden = !wide || pdu.listed === 0;
    for (const [n, row] of pdu.rows) {
      // A reload that shrank the PDU (or dropped an alias) takes its rows away.
      if (!ids.has(n)) {
        row.tr.remove();
        pdu.rows.delete(n);
      }
    }
    for (const n of [...ids].sort(byOutlet)) renderRow(pdu, n);
    pdu.empty.hidden = ids.size > 0;
    pdu.table.hidden = ids.size === 0;
  }

  function renderRow(pdu, n) {
    let row = pdu.rows.get(n);
    if (!row) {
      const state = el("span", { class: "badge" });
      const source = el("span", { class: "muted" });
      const actions = el("div", { class: "actions" });
      const what = "outlet " + n + " of " + pdu.name;
      actions.append(el("button", { type: "button", text: "Read", "aria-label": "Read " + what, onclick: () => readOutlet(pdu.name, n) }));
      if (view.scope === "control") {
        for (const cmd of ["on", "off", "reboot"]) {
          actions.append(el("button", {
            type: "button",
            class: cmd,
            text: cmd === "reboot" ? "Reboot" : cmd === "on" ? "On" : "Off",
            "aria-label": (cmd === "reboot" ? "Reboot " : "Switch " + cmd + " ") + what,
            "data-command": cmd,
            onclick: () => command(pdu.name, n, cmd),
          }));
        }
      }
      const names = el("td", { class: "names" });
      row = { tr: el("tr", { "data-outlet": n }, [
        el("th", { scope: "row", text: n }),
        names,
        el("td", {}, [state, " ", source]),
        el("td", {}, [actions]),
      ]), state, source, names };
      // Insert in order without moving existing rows (moving one would drop keyboard focus).
      let next = null;
      for (const [m, r] of pdu.rows) {
        if (byOutlet(m, n) > 0 && (!next || byOutlet(m, next.getAttribute("data-outlet")) < 0)) next = r.tr;
      }
      pdu.tbody.insertBefore(row.tr, next);
      pdu.rows.set(n, row);
    }
    const o = pdu.outlets.get(n);
    // A read of an outlet pdud never set, on a driver that cannot read, knows no state.
    const state = o && o.state ? o.state : "unknown";
    row.state.textContent = state;
    row.state.className = "badge " + state;
    row.source.textContent = (!o || !o.state ? "" : o.source === "device" ? "read from device" : o.source === "commanded" ? "set by pdud" : "last known") +
      (o && o.watts !== undefined ? " · " + o.watts + " W" : "");
    row.names.textContent = (view.labels.get(key(pdu.name, n)) || []).join(", ");
    row.tr.hidden = !matches(pdu, n);
  }

  function matches(pdu, n) {
    const f = view.filter;
    if (!f || pdu.name.toLowerCase().includes(f)) return true;
    return (view.labels.get(key(pdu.name, n)) || []).some((l) => l.toLowerCase().includes(f));
  }
  function applyFilter() {
    for (const pdu of view.pdus.values()) {
      let any = !view.filter || pdu.name.toLowerCase().includes(view.filter);
      for (const [n, row] of pdu.rows) {
        row.tr.hidden = !matches(pdu, n);
        if (!row.tr.hidden) any = true;
      }
      pdu.card.hidden = !any;
    }
  }
  $("filter").addEventListener("input", (e) => {
    view.filter = e.target.value.trim().toLowerCase();
    applyFilter();
  });

  // --- actions --------------------------------------------------------------------------
  async function readOutlet(pduName, n) {
    const r = await api("/api/v1/pdus/" + enc(pduName) + "/outlets/" + enc(n));
    if (!r.ok) return message("Reading outlet " + n + " of " + pduName + " failed: " + ((r.body && r.body.error) || r.status));
    const pdu = pduView(pduName);
    // As the API writes it ("05" is outlet 5).
    n = String(r.body.outlet);
    // The power, where the device reports it, is shown until the outlet's state changes.
    const watts = typeof r.body.watts === "number" ? r.body.watts : undefined;
    pdu.outlets.set(n, { state: r.body.state, source: r.body.source, watts });
    render(pdu);
    applyFilter();
    message("Outlet " + n + " of " + pduName + " is " + (r.body.state || "unknown") + (watts === undefined ? "" : ", " + watts + " W") + ".", true);
  }
  async function command(pduName, n, cmd) {
    const names = (view.labels.get(key(pduName, n)) || []).join(", ");
    const what = "outlet " + n + " of " + pduName + (names ? " (" + names + ")" : "");
    const question = cmd === "reboot" ? "Reboot " + what + "?" : "Switch " + what + " " + cmd + "?";
    if (!window.confirm(question)) return;
    const r = await api("/api/v1/pdus/" + enc(pduName) + "/outlets/" + enc(n) + "/" + cmd, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wait: false }),
    });
    const job = r.body && r.body.jobs && r.body.jobs[0];
    if (!r.ok) message(cmd + " " + what + " failed: " + ((r.body && r.body.error) || r.status));
    else if (job && job.status === "refused") message(cmd + " " + what + " refused: " + ((job.result && job.result.reason) || ""));
    else message(cmd + " " + what + ": queued.", true);
  }

  // --- activity -------------------------------------------------------------------------
  function activity(type, data) {
    let kind, text;
    const where = data.pdu + (data.outlet !== undefined ? " outlet " + data.outlet : "");
    const by = data.principal ? " by " + data.principal : "";
    // A power reading comes with an outlet read: the read's line says it.
    if (type === "job.done" && (data.command === "power" || data.command === "list")) return;
    if (type === "job.done" && data.command === "status") {
      kind = "read";
      text = where + " is " + (data.state || "unknown") + by;
    } else if (type === "job.done") {
      kind = "done";
      text = data.command + " " + where + (data.state ? " → " + data.state : "") + by;
    } else if (type === "job.failed" || type === "job.refused") {
      kind = type.slice(4);
      text = data.command + " " + where + by + ": " + data.reason;
    } else if (type === "outlet.state" && data.source === "device") {
      kind = "changed";
      text = where + " is " + data.state + " on the device (pdud knew " + (data.previous || "nothing") + ")";
    } else if (type === "pdu.state" && (data.state === "failed" || data.from === "failed" || data.state === "removed")) {
      kind = "pdu";
      text = data.pdu + " is " + data.state + (data.lastError && data.state === "failed" ? ": " + data.lastError : "");
    } else return;
    const at = data.time ? new Date(data.time) : new Date();
    const list = $("activity");
    list.prepend(el("li", { "data-type": type }, [
      el("time", { datetime: at.toISOString(), text: at.toLocaleTimeString() }),
      el("span", { class: kind, text: kind }),
      " " + text,
    ]));
    while (list.children.length > MAX_ACTIVITY) list.lastElementChild.remove();
  }

  function onEvent(type, data) {
    if (type === "ready" || type === "reset") return reload();
    if (type === "outlet.state") {
      const pdu = view.pdus.get(data.pdu);
      if (pdu) {
        // A reading stays while the state it was read in does.
        const id = String(data.outlet);
        const old = pdu.outlets.get(id);
        pdu.outlets.set(id, { state: data.state, source: data.source, watts: old && old.state === data.state ? old.watts : undefined });
        render(pdu);
        applyFilter();
      }
    } else if (type === "pdu.state") {
      const pdu = view.pdus.get(data.pdu);
      if (!pdu || data.state === "removed") reload();
      else if (pdu.data) {
        Object.assign(pdu.data, {
          state: data.state,
          queueDepth: data.queueDepth,
          restarts: data.restarts,
          lastError: data.lastError,
        });
        render(pdu);
      }
    } else if (type === "closed") {
      $("conn").textContent = "Stream closed: " + data.reason;
    }
    activity(type, data);
  }

  // --- the event stream, read with fetch (EventSource cannot send a bearer token) ---------
  function stopStream() {
    if (view.stream) view.stream.abort();
    view.stream = null;
  }
  async function connect() {
    stopStream();
    const ctrl = new AbortController();
    view.stream = ctrl;
    const extra = view.lastId ? { "last-event-id": view.lastId } : {};
    try {
      const response = await fetch("/api/v1/events", { headers: headers(Object.assign({ accept: "text/event-stream" }, extra)), signal: ctrl.signal, cache: "no-store" });
      if (response.status === 401 || response.status === 403) return start();
      if (response.status === 400) view.lastId = null;
      if (!response.ok || !response.body) throw new Error("status " + response.status);
      $("conn").textContent = "Live";
      view.retryMs = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = "message", data = "", id = null;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") type = text;
            else if (field === "data") data += (data ? "\n" : "") + text;
            else if (field === "id") id = text;
          }
          if (id) view.lastId = id;
          if (!data) continue;
          try {
            onEvent(type, JSON.parse(data));
          } catch (error) {
            message("Could not show an event: " + error);
          }
        }
      }
    } catch (error) {
      if (ctrl.signal.aborted) return;
    }
    if (view.stream !== ctrl) return;
    $("conn").textContent = "Reconnecting…";
    const wait = view.retryMs;
    view.retryMs = Math.min(view.retryMs * 2, 30000);
    setTimeout(() => { if (view.stream === ctrl) start(); }, wait);
  }

  start();
})();
`;
