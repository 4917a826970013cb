/* What every dashboard page shares: its words, Vietnamese number formats, reading /api/v1 with the
   session cookie, the query string (as_of, period, lang) carried from page to page, live polling. */
"use strict";

window.TP = (function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const words = JSON.parse(document.getElementById("page-texts").textContent);
  const numbers = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 });
  const percents = new Intl.NumberFormat("vi-VN", { style: "percent", maximumFractionDigits: 0 });

  /** A word of the page, with {placeholders} filled in. Unknown keys show the key (never blank). */
  function t(key, params) {
    let text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
    if (params) {
      for (const [name, value] of Object.entries(params)) text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }
  /** The name of a code (sector, source, event type...), or the code itself when it has none. */
  function label(group, code) {
    const key = group + "." + code;
    return Object.prototype.hasOwnProperty.call(words, key) ? words[key] : code;
  }

  /** 1234567 -> "1.234.567" (Vietnamese grouping, whatever the page language). */
  const num = (value) => numbers.format(Number(value) || 0);
  /** 1234567 -> "1.234.567 đ". */
  const vnd = (value) => num(value) + " đ";
  const pct = (part, whole) => (whole ? percents.format(part / whole) : "");

  /** "2018-12-31" -> "31/12/2018" (Vietnamese) or the same ISO date (English). */
  function day(iso) {
    if (!iso) return "";
    const [y, m, d] = iso.slice(0, 10).split("-");
    return page.lang === "en" ? `${y}-${m}-${d}` : `${d}/${m}/${y}`;
  }
  function moment(iso) {
    if (!iso) return "";
    const when = new Date(iso);
    return isNaN(when) ? iso : when.toLocaleString(page.lang === "en" ? "en-GB" : "vi-VN");
  }
  /** The moment the page's figures are read as known at: the end of its ?known_at day (Vietnam time), or null
   *  (as corrected now). */
  function knownAt() {
    const day_ = query().get("known_at");
    return day_ ? `${day_}T23:59:59+07:00` : null;
  }
  function isoToday() {
    const now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  class HttpError extends Error {
    constructor(status, body) {
      super("HTTP " + status);
      this.status = status;
      this.body = body;
    }
  }

  /** GET an /api/v1 path as JSON with the session cookie; an ended session goes back to the login. */
  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) if (value) query.set(name, value);
    // the hierarchy the page groups by (?hierarchy=current: today's units), on every read it makes
    const grouping = new URLSearchParams(location.search).get("hierarchy");
    if (grouping && !query.has("hierarchy")) query.set("hierarchy", grouping);
    const url = "/api/v1/" + path + (query.toString() ? "?" + query : "");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new HttpError(401, null);
    }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (_) { /* not JSON */ }
      throw new HttpError(response.status, body);
    }
    return response.json();
  }

  /** Run `task` over `items` with at most `limit` requests in flight (a browser keeps ~6 per host). */
  async function pooled(items, limit, task) {
    const results = new Array(items.length);
    let next = 0;
    async function worker() {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index], index);
      }
    }
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
  }

  /** The page's own query parameters that follow the reader to the next page. */
  const CARRIED = ["as_of", "period", "lang", "hierarchy", "known_at", "sector", "source", "status"];
  function query() {
    return new URLSearchParams(location.search);
  }
  function setQuery(changes) {
    const params = query();
    for (const [name, value] of Object.entries(changes)) {
      if (value) params.set(name, value); else params.delete(name);
    }
    const search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : "") + location.hash);
    keepQueryOnLinks();
  }
  function carried(extra) {
    const params = new URLSearchParams();
    const now = query();
    for (const name of CARRIED) if (now.get(name)) params.set(name, now.get(name));
    for (const [name, value] of Object.entries(extra || {})) if (value) params.set(name, value);
    const search = params.toString();
    return search ? "?" + search : "";
  }
  /** Links marked data-keep-query (breadcrumb, rows) and the language switch keep as_of and period. */
  function keepQueryOnLinks() {
    for (const link of document.querySelectorAll("a[data-keep-query]")) {
      link.search = carried();
    }
    const other = page.lang === "en" ? "vi" : "en";
    const switcher = document.getElementById("lang-switch");
    if (switcher) switcher.search = carried({ lang: other });
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  /** Poll the projection, one request every 2 s however many panels listen; call every `onChange` when the
      read model has applied new events. */
  const listeners = [];
  let polling = null;
  function live(onChange) {
    listeners.push(onChange);
    if (polling !== null) return polling;
    let seen = null;
    let busy = false;
    const dot = document.querySelector(".live .dot");
    async function tick() {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const projection = await api("projection");
        const applied = projection.events_applied;
        if (seen !== null && applied !== seen) {
          await Promise.all(listeners.map((listener) => listener()));
          if (dot) { dot.classList.add("flash"); setTimeout(() => dot.classList.remove("flash"), 800); }
        }
        seen = applied;
      } catch (error) {
        /* the next tick tries again; a lost session already redirected */
      } finally {
        busy = false;
      }
    }
    tick();
    polling = setInterval(tick, 2000);
    return polling;
  }
  function stamp() {
    const status = document.getElementById("live-status");
    if (status) status.textContent = t("updated", { time: new Date().toLocaleTimeString(page.lang === "en" ? "en-GB" : "vi-VN") });
    const meta = document.getElementById("print-meta");
    if (meta) meta.textContent = t("as_of") + ": " + day(query().get("as_of") || isoToday());
  }
  function showError(error) {
    const box = document.getElementById("load-error");
    if (!box) return;
    if (!error) { box.hidden = true; return; }
    const message = error.body && error.body.error ? " " + error.body.error.message : "";
    box.textContent = t("load_failed", { status: error.status || "—" }) + message;
    box.hidden = false;
  }

  /** A figure's definition (texts def.<key>): on hover (title) and on tap or keyboard (details). */
  function define(key, figure) {
    const text = Object.prototype.hasOwnProperty.call(words, "def." + key) ? words["def." + key] : null;
    if (!text) return null;
    return element("details", { className: "def no-print" },
      element("summary", { title: text, "aria-label": t("definition_of", { figure }) }, "?"),
      element("p", { role: "note", text }));
  }
  /** Names, not ids: an agency by its keys' name, a unit by its name (both sent with the page). */
  const agencyName = (id) => (page.agencies && page.agencies[id]) || id;
  const unitName = (code) => (page.units && page.units[code]) || code;

  // What an event says, in one line: a participant's timeline and a figure's trace (`labelReasons`: the
  // timeline names a rejection's reason as such)
  function eventDetails(event, labelReasons) {
    const d = event.data || {};
    const parts = [];
    const add = (value, prefix) => { if (value !== undefined && value !== null && value !== "") parts.push(prefix ? `${prefix} ${value}` : String(value)); };
    switch (event.type) {
      case "participant.registered": add(d.model_name); add(d.branch_name); break;
      case "participant.selected": add(label("sector", d.sector)); add(d.reason); break;
      case "participant.rejected": add(d.reason, labelReasons ? t("reason") + ":" : ""); break;
      case "participant.trained": add(d.course); add(label("training", d.kind)); add(d.provider); if (d.hours) add(`${num(d.hours)} ${t("hours")}`); break;
      case "participant.funded": add(vnd(d.amount_vnd)); add(label("source", d.source)); add(d.lender); if (d.term_months) add(`${num(d.term_months)} ${t("months")}`); break;
      case "participant.supported": add(label("support", d.kind)); add(d.partner); add(d.description); break;
      case "participant.evaluated":
        add(label("evaluation", d.status));
        if (d.revenue_vnd) add(vnd(d.revenue_vnd), t("revenue"));
        if (d.profit_vnd) add(vnd(d.profit_vnd), t("profit"));
        if (d.jobs_created !== undefined && d.jobs_created !== null) add(num(d.jobs_created), t("jobs"));
        add(d.note); break;
      case "participant.commended": add(d.title); add(d.issued_by); break;
      case "model.replicated": add(d.youth_name, t("youth")); add(unitName(d.org_unit)); add(d.note); break;
      case "event.retracted": add(d.reason, t("reason") + ":"); break;
      default: break;
    }
    return parts.join(" · ");
  }

  function printButton() {
    const button = document.getElementById("print");
    if (button) button.addEventListener("click", () => window.print());
  }

  keepQueryOnLinks();
  printButton();

  return { page, t, label, num, vnd, pct, day, moment, isoToday, knownAt, api, pooled, query, setQuery, carried,
    keepQueryOnLinks, element, define, agencyName, unitName, eventDetails, live, stamp, showError, HttpError };
})();
