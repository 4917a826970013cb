/* The org-unit dashboard: summary, target, funding, sectors, trend, period report, child units or
   participants, trace dialog, downloads and live refresh. Every figure is read from /api/v1. */
"use strict";

(function () {
  const { page, t, label, num, vnd, pct, day, api, pooled, query, setQuery, carried, element } = TP;
  const code = page.org_unit.code;
  const FUNNEL = ["registered", "selected", "trained", "funded", "evaluated", "successful"];
  const MONEY = new Set(["funding_vnd"]);
  const CHILD_COLUMNS = ["registered", "selected", "trained", "funded", "evaluated", "successful", "target",
    "funding_vnd", "jobs_created"];
  const REPORT_ROWS = ["registrations", "selections", "rejections", "participants_trained", "trainings",
    "participants_funded", "fundings", "funding_vnd", "supports", "evaluations", "successful_change",
    "commendations", "replications", "jobs_created_change"];
  const CUMULATIVE_ROWS = ["registered", "selected", "trained", "funded", "evaluated", "successful",
    "funding_vnd", "jobs_created"];
  const TREND = [["registered", "#0b5cad"], ["selected", "#6a3fb5"], ["trained", "#c77700"],
    ["funded", "#b3261e"], ["successful", "#1b7a3d"]];
  const PALETTE = ["#0b5cad", "#b3261e", "#1b7a3d", "#c77700", "#6a3fb5", "#00838f", "#6d4c41", "#5a6472",
    "#ad1457", "#2e7d32"];
  const TREND_POINTS = 36;

  const asOfInput = document.getElementById("as-of");
  const kindSelect = document.getElementById("period-kind");
  const periodSelect = document.getElementById("period");
  const hierarchySelect = document.getElementById("hierarchy");
  const charts = {};
  let summary = null;
  let participants = [];
  let childSort = { key: null, dir: 1 };
  let participantSort = { key: "registered_on", dir: 1 };
  const loads = { summary: 0, report: 0, participants: 0, trend: 0 };

  if (window.Chart) {
    Chart.defaults.animation = false; // figures change live; no replayed animation each time
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = "#1c2430";
  }

  // --- time: as_of and the period -----------------------------------------------------------
  const asOf = () => query().get("as_of") || TP.isoToday();

  function periodOf(kind, iso) {
    const [y, m] = iso.split("-").map(Number);
    if (kind === "month") return `${y}-${String(m).padStart(2, "0")}`;
    if (kind === "half_year") return `${y}-H${m <= 6 ? 1 : 2}`;
    return String(y);
  }
  function kindOf(period) {
    if (/^\d{4}-H[12]$/.test(period)) return "half_year";
    if (/^\d{4}-\d{2}$/.test(period)) return "month";
    return "year";
  }
  function periodLabel(period) {
    const kind = kindOf(period);
    const y = period.slice(0, 4);
    if (kind === "month") {
      const m = Number(period.slice(5, 7));
      const month = new Date(Date.UTC(Number(y), m - 1, 1)).toLocaleString("en-GB", { month: "long", timeZone: "UTC" });
      return t("period.month", { m, y, month });
    }
    if (kind === "half_year") {
      const first = period.endsWith("H1");
      return t("period.half_year", { h: 6, which: t(first ? "period.first" : "period.second"), y });
    }
    return t("period.year", { y });
  }
  /** Every period of a kind from the programme start to as_of, newest first. */
  function periodsUpTo(kind, iso) {
    const start = page.program_start;
    const out = [];
    let [y, m] = start.split("-").map(Number);
    const [endY, endM] = iso.split("-").map(Number);
    while (y < endY || (y === endY && m <= endM)) {
      const code = periodOf(kind, `${y}-${String(m).padStart(2, "0")}-01`);
      if (!out.includes(code)) out.push(code);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    return out.reverse();
  }
  function fillPeriods() {
    const chosen = query().get("period");
    const kind = chosen ? kindOf(chosen) : kindSelect.value || "month";
    kindSelect.value = kind;
    const options = periodsUpTo(kind, asOf());
    periodSelect.replaceChildren(...options.map((p) => element("option", { value: p, text: periodLabel(p) })));
    periodSelect.value = chosen && options.includes(chosen) ? chosen : periodOf(kind, asOf());
    if (!periodSelect.value && options.length) periodSelect.value = options[0];
  }
  const period = () => periodSelect.value;
  function periodStart(code) {
    const kind = kindOf(code);
    if (kind === "month") return `${code}-01`;
    if (kind === "half_year") return `${code.slice(0, 4)}-${code.endsWith("H1") ? "01" : "07"}-01`;
    return `${code}-01-01`;
  }

  // --- summary -------------------------------------------------------------------------------
  async function loadSummary() {
    const ticket = ++loads.summary;
    const body = await api(`summary/${encodeURIComponent(code)}`, { as_of: asOf() });
    if (ticket !== loads.summary) return;
    summary = body;
    renderFunnel(body.totals);
    renderTarget(body.target);
    renderFigures(body.totals);
    renderSources(body.funding_by_source);
    renderSectors(body.by_sector);
    renderChildren();
  }

  function renderFunnel(totals) {
    const top = totals.registered || 0;
    for (const metric of FUNNEL) {
      const value = totals[metric] || 0;
      document.querySelector(`[data-bar="${metric}"]`).style.width = top ? `${(100 * value) / top}%` : "0";
      document.querySelector(`[data-pct="${metric}"]`).textContent = metric === "registered" ? "" : pct(value, top);
    }
  }
  function renderFigures(totals) {
    for (const button of document.querySelectorAll("button.figure[data-metric]")) {
      const metric = button.dataset.metric;
      button.textContent = MONEY.has(metric) ? vnd(totals[metric]) : num(totals[metric]);
      button.dataset.value = String(totals[metric] || 0);
    }
  }
  function renderTarget(target) {
    const achieved = target.achieved || 0;
    const goal = target.successful_models || 0;
    const text = document.getElementById("target-text");
    text.textContent = goal ? t("target_text", { achieved: num(achieved), target: num(goal) })
      : t("target_none", { achieved: num(achieved) });
    text.dataset.achieved = String(achieved);
    text.dataset.target = String(goal);
    const bar = document.getElementById("target-progress");
    bar.max = goal || 1;
    bar.value = Math.min(achieved, goal || 1);
    bar.setAttribute("aria-valuetext", text.textContent);
    if (goal && achieved >= goal) text.append(" ", element("span", { className: "badge successful", text: t("target_reached") }));
  }

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!window.Chart || !canvas) return;
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].options = config.options;
      charts[id].update("none");
    } else {
      charts[id] = new Chart(canvas, config);
    }
  }
  const moneyTicks = { callback: (value) => num(value) };

  function renderSources(bySource) {
    const entries = Object.entries(bySource || {}).filter(([, v]) => v).sort((a, b) => b[1] - a[1]);
    const total = entries.reduce((sum, [, v]) => sum + v, 0);
    const tbody = document.querySelector("#table-sources tbody");
    tbody.replaceChildren(...(entries.length ? entries.map(([source, amount]) => element("tr", { "data-source": source },
      element("th", { scope: "row", text: label("source", source) }),
      element("td", { className: "num", text: vnd(amount), "data-value": amount }),
      element("td", { className: "num", text: pct(amount, total) })))
      : [element("tr", {}, element("td", { colspan: 3, className: "muted", text: t("no_funding") }))]));
    chart("chart-sources", {
      type: "doughnut",
      data: { labels: entries.map(([s]) => label("source", s)),
        datasets: [{ data: entries.map(([, v]) => v), backgroundColor: PALETTE }] },
      options: { maintainAspectRatio: false, plugins: {
        legend: { position: "right" },
        tooltip: { callbacks: { label: (item) => `${item.label}: ${vnd(item.raw)}` } } } },
    });
  }

  function renderSectors(bySector) {
    const entries = Object.entries(bySector || {}).sort((a, b) => b[1].selected - a[1].selected);
    const tbody = document.querySelector("#table-sectors tbody");
    tbody.replaceChildren(...(entries.length ? entries.map(([sector, figures]) => element("tr", { "data-sector": sector },
      element("th", { scope: "row", text: label("sector", sector) }),
      element("td", { className: "num", text: num(figures.selected) }),
      element("td", { className: "num", text: num(figures.successful) })))
      : [element("tr", {}, element("td", { colspan: 3, className: "muted", text: t("no_sectors") }))]));
    const box = document.getElementById("chart-sectors").parentElement;
    box.style.height = `${Math.max(160, 60 + 34 * entries.length)}px`; // room for two bars per sector
    chart("chart-sectors", {
      type: "bar",
      data: { labels: entries.map(([s]) => label("sector", s)), datasets: [
        { label: t("sector_selected"), data: entries.map(([, f]) => f.selected), backgroundColor: "#0b5cad", maxBarThickness: 18 },
        { label: t("sector_successful"), data: entries.map(([, f]) => f.successful), backgroundColor: "#1b7a3d", maxBarThickness: 18 }] },
      options: { maintainAspectRatio: false, indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { precision: 0, callback: (v) => num(v) } } } },
    });
  }

  // --- child units, sortable ---------------------------------------------------------------------
  function childValue(child, key) {
    if (key === "name") return child.org_unit.name;
    if (key === "target") {  // how far along toward its own target; units without one last
      const goal = child.target.successful_models;
      return goal ? child.target.achieved / goal : -1;
    }
    return child.totals[key] || 0;
  }
  function sortRows(rows, sort, valueOf) {
    if (!sort.key) return rows;
    return [...rows].sort((a, b) => {
      const x = valueOf(a, sort.key);
      const y = valueOf(b, sort.key);
      const order = typeof x === "string" ? x.localeCompare(y, "vi") : x - y;
      return order * sort.dir;
    });
  }
  function sortHeader(table, columns, sort, onSort) {
    const row = table.querySelector("thead tr");
    row.replaceChildren(...columns.map(([key, text, numeric]) => {
      const th = element("th", { scope: "col", className: numeric ? "num" : null,
        "aria-sort": sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : null });
      const button = element("button", { type: "button", "data-sort": key, title: t("sort_by", { column: text }), text });
      button.addEventListener("click", () => {
        onSort(key);
        table.querySelector(`thead button[data-sort="${key}"]`).focus();
      });
      th.append(button);
      return th;
    }));
  }
  function childCell(child, key) {
    if (key === "target") {
      const goal = child.target.successful_models;
      return element("td", { className: "num", "data-metric": "successful_target",
        text: goal ? `${num(child.target.achieved)}/${num(goal)}` : "–" });
    }
    const value = child.totals[key] || 0;
    return element("td", { className: "num", "data-metric": key, text: MONEY.has(key) ? vnd(value) : num(value) });
  }
  function renderChildren() {
    const table = document.getElementById("table-children");
    if (!table || !summary) return;
    // the target column only where some unit below has a target (districts of a province, not communes)
    const keys = summary.children.some((c) => c.target.successful_models) ? CHILD_COLUMNS
      : CHILD_COLUMNS.filter((key) => key !== "target");
    const columns = [["name", t("unit"), false], ...keys.map((key) =>
      [key, key === "target" ? t("target_col") : t(key), true])];
    sortHeader(table, columns, childSort, (key) => {
      childSort = { key, dir: childSort.key === key ? -childSort.dir : (key === "name" ? 1 : -1) };
      renderChildren();
    });
    const rows = sortRows(summary.children, childSort, childValue);
    table.querySelector("tbody").replaceChildren(...rows.map((child) => {
      const link = element("a", { href: `/dashboard/${encodeURIComponent(child.org_unit.code)}${carried()}`,
        "data-keep-query": true, text: child.org_unit.name });
      return element("tr", { "data-org": child.org_unit.code },
        element("th", { scope: "row" }, link), ...keys.map((key) => childCell(child, key)));
    }));
    const own = { totals: summary.totals, target: summary.target };
    table.querySelector("tfoot").replaceChildren(element("tr", { "data-org": "total" },
      element("th", { scope: "row", text: t("total") }), ...keys.map((key) => childCell(own, key))));
  }

  // --- participants (at commune level) -------------------------------------------------------------
  async function loadParticipants() {
    const table = document.getElementById("table-participants");
    if (!table) return;
    const ticket = ++loads.participants;
    const metrics = ["registered", "selected", "rejected", "successful", "funding_vnd"];
    const lists = await Promise.all(metrics.map((metric) =>
      api(`summary/${encodeURIComponent(code)}/events`, { metric, as_of: asOf() })));
    if (ticket !== loads.participants) return;
    const byMetric = Object.fromEntries(metrics.map((metric, i) => [metric, lists[i].events]));
    const ids = (metric) => new Set(byMetric[metric].map((e) => e.participant_id));
    const selected = ids("selected"), rejected = ids("rejected"), successful = ids("successful");
    const funding = {};
    for (const event of byMetric.funding_vnd) {
      funding[event.participant_id] = (funding[event.participant_id] || 0) + Number(event.data.amount_vnd || 0);
    }
    participants = byMetric.registered.map((event) => {
      const id = event.participant_id;
      const status = successful.has(id) ? "successful" : selected.has(id) ? "selected" : rejected.has(id) ? "rejected" : "pending";
      return { id, name: event.data.full_name || id, model: event.data.model_name || "", branch: event.data.branch_name || "",
        registered_on: event.occurred_on, status, funding: funding[id] || 0 };
    });
    renderParticipants();
  }
  function renderParticipants() {
    const table = document.getElementById("table-participants");
    const columns = [["name", t("name"), false], ["model", t("model"), false], ["branch", t("branch"), false],
      ["registered_on", t("registered_on"), false], ["status", t("status"), false], ["funding", t("funding_vnd"), true]];
    sortHeader(table, columns, participantSort, (key) => {
      participantSort = { key, dir: participantSort.key === key ? -participantSort.dir : 1 };
      renderParticipants();
    });
    const rows = sortRows(participants, participantSort, (p, key) => (key === "status" ? label("status", p.status) : p[key]));
    const tbody = table.querySelector("tbody");
    if (!rows.length) {
      tbody.replaceChildren(element("tr", {}, element("td", { colspan: columns.length, className: "muted", text: t("no_participants") })));
      return;
    }
    tbody.replaceChildren(...rows.map((p) => element("tr", { "data-participant": p.id },
      element("th", { scope: "row" }, element("a", { href: `/dashboard/participant/${encodeURIComponent(p.id)}${carried()}`,
        "data-keep-query": true, text: p.name })),
      element("td", { text: p.model }), element("td", { text: p.branch }), element("td", { text: day(p.registered_on) }),
      element("td", {}, element("span", { className: `badge ${p.status}`, text: label("status", p.status) })),
      element("td", { className: "num", text: p.funding ? vnd(p.funding) : "–" }))));
  }

  // --- period report ---------------------------------------------------------------------------
  async function loadReport() {
    const ticket = ++loads.report;
    const body = await api(`reports/${encodeURIComponent(code)}`, { period: period() });
    if (ticket !== loads.report) return;
    document.getElementById("report-period").textContent = "· " + periodLabel(body.period.code);
    document.getElementById("report-this").textContent = periodLabel(body.period.code);
    document.getElementById("report-prev").textContent = `${t("previous_period")}: ${periodLabel(body.previous.period.code)}`;
    const value = (key, figure) => (MONEY.has(key) ? vnd(figure) : num(figure));
    const line = (name, key, now, before, group) => element("tr", { "data-report": `${group}.${key}` },
      element("th", { scope: "row", text: name }),
      element("td", { className: "num", text: value(key, now) }), element("td", { className: "num", text: value(key, before) }));
    const groupRow = (text) => element("tr", {}, element("th", { scope: "colgroup", colspan: 3, className: "group", text }));
    document.querySelector("#table-report tbody").replaceChildren(
      groupRow(t("in_period")),
      ...REPORT_ROWS.map((key) => line(t("report." + key), key, body.in_period[key] || 0, body.previous.in_period[key] || 0, "in_period")),
      groupRow(t("cumulative")),
      ...CUMULATIVE_ROWS.map((key) => line(t(key), key, body.cumulative[key] || 0, body.previous.cumulative[key] || 0, "cumulative")));
  }

  // --- monthly trend -----------------------------------------------------------------------------
  function monthEnds() {
    const end = asOf();
    const first = page.first_activity && page.first_activity > page.program_start ? page.first_activity : page.program_start;
    let [y, m] = (first < end ? first : end).split("-").map(Number);
    const [endY, endM] = end.split("-").map(Number);
    const points = [];
    while (y < endY || (y === endY && m < endM)) {
      const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
      points.push(last);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    points.push(end);
    if (points.length <= TREND_POINTS) return points;
    // A long history keeps the chart readable: every k-th month end, always ending at as_of.
    const step = Math.ceil(points.length / TREND_POINTS);
    return points.filter((_, i) => (points.length - 1 - i) % step === 0);
  }
  async function loadTrend() {
    const ticket = ++loads.trend;
    const days = monthEnds();
    const bodies = await pooled(days, 4, (d) => api(`summary/${encodeURIComponent(code)}`, { as_of: d }));
    if (ticket !== loads.trend) return;
    const labels = days.map((d) => (page.lang === "en" ? d.slice(0, 7) : `${d.slice(5, 7)}/${d.slice(0, 4)}`));
    chart("chart-trend", {
      type: "line",
      data: { labels, datasets: TREND.map(([metric, color]) => ({ label: t(metric), borderColor: color,
        backgroundColor: color, data: bodies.map((b) => b.totals[metric]), tension: 0.15, pointRadius: 2 })) },
      options: { maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: (v) => num(v) } } } },
    });
    const table = document.getElementById("table-trend");
    table.querySelector("thead").replaceChildren(element("tr", {}, element("th", { scope: "col", text: t("month") }),
      ...TREND.map(([metric]) => element("th", { scope: "col", className: "num", text: t(metric) }))));
    table.querySelector("tbody").replaceChildren(...days.map((d, i) => element("tr", { "data-day": d },
      element("th", { scope: "row", text: day(d) }),
      ...TREND.map(([metric]) => element("td", { className: "num", text: num(bodies[i].totals[metric]) })))));
  }

  // --- trace: the events behind a figure --------------------------------------------------------------
  const TRACE_SHOWN = 300;
  const dialog = document.getElementById("trace");
  let orgNames = null;
  async function unitNames() {
    if (!orgNames) {
      const units = await api("org-units");
      orgNames = Object.fromEntries(units.map((u) => [u.code, u.name]));
    }
    return orgNames;
  }
  function details(event) {
    const d = event.data || {};
    const parts = [];
    const add = (value, prefix) => { if (value !== undefined && value !== null && value !== "") parts.push(prefix ? `${prefix} ${value}` : String(value)); };
    switch (event.type) {
      case "participant.registered": add(d.model_name); add(d.branch_name); break;
      case "participant.selected": add(label("sector", d.sector)); add(d.reason); break;
      case "participant.rejected": add(d.reason); break;
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
      case "model.replicated": add(d.youth_name, t("youth")); add(orgNames && orgNames[d.org_unit] || d.org_unit); add(d.note); break;
      default: break;
    }
    return parts.join(" · ");
  }
  async function trace(metric, opener) {
    const title = document.getElementById("trace-title");
    title.textContent = t("trace_title", { figure: t(metric) });
    document.getElementById("trace-count").textContent = t("loading");
    const tbody = document.querySelector("#table-trace tbody");
    tbody.replaceChildren();
    dialog.dataset.metric = metric;
    if (!dialog.open) dialog.showModal();
    try {
      // the latest TRACE_SHOWN only, each with its participant's name: a province's list runs to the
      // hundred thousand
      const [listed] = await Promise.all([
        api(`summary/${encodeURIComponent(code)}/events`, { metric, as_of: asOf(), limit: TRACE_SHOWN }), unitNames()]);
      const shown = listed.events.slice().reverse(); // newest first
      document.getElementById("trace-count").textContent = t("trace_count", { n: num(listed.count), date: day(listed.as_of) });
      tbody.replaceChildren(...(shown.length ? shown.map((e) => element("tr", { "data-event": e.event_id },
        element("td", { text: day(e.occurred_on) }),
        element("td", { text: label("event", e.type) }),
        element("td", {}, element("a", { href: `/dashboard/participant/${encodeURIComponent(e.participant_id)}${carried()}`,
          text: e.participant_name || e.participant_id.slice(0, 8) })),
        element("td", { text: orgNames[e.org_unit] || e.org_unit }),
        element("td", { text: details(e) }),
        element("td", { className: "agency", text: e.source.agency })))
        : [element("tr", {}, element("td", { colspan: 6, className: "muted", text: t("no_events") }))]));
      if (listed.count > shown.length) {
        tbody.append(element("tr", {}, element("td", { colspan: 6, className: "muted",
          text: t("trace_more", { n: num(listed.count - shown.length) }) })));
      }
    } catch (error) {
      document.getElementById("trace-count").textContent = t("load_failed", { status: error.status || "—" });
    }
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.figure[data-metric]");
    if (button) trace(button.dataset.metric, button);
  });
  document.getElementById("trace-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // backdrop

  // --- downloads follow what is on screen ------------------------------------------------------------
  function downloads() {
    const unit = encodeURIComponent(code);
    const grouping = query().get("hierarchy") ? { hierarchy: query().get("hierarchy") } : {};
    const asOfQuery = "?" + new URLSearchParams({ as_of: asOf(), ...grouping });
    const periodQuery = "?" + new URLSearchParams({ period: period(), ...grouping });
    document.getElementById("dl-summary-csv").href = `/api/v1/summary/${unit}.csv${asOfQuery}`;
    document.getElementById("dl-summary-xlsx").href = `/api/v1/summary/${unit}.xlsx${asOfQuery}`;
    document.getElementById("dl-report-csv").href = `/api/v1/reports/${unit}.csv${periodQuery}`;
    document.getElementById("dl-report-xlsx").href = `/api/v1/reports/${unit}.xlsx${periodQuery}`;
  }

  // --- loading and refreshing ------------------------------------------------------------------------
  async function guarded(work) {
    try {
      await work();
      TP.showError(null);
      TP.stamp();
    } catch (error) {
      TP.showError(error);
    }
  }
  const refreshFigures = () => guarded(() => Promise.all([loadSummary(), loadReport(), loadParticipants()]));
  let trendDirtySince = 0;
  async function refreshAll() {
    downloads();
    await Promise.all([refreshFigures(), guarded(loadTrend)]);
    document.body.dataset.loaded = "true";
  }
  // Live: new events re-read the figures at once, and the (many-request) trend at most every 10 s.
  TP.live(async () => {
    await refreshFigures();
    const now = Date.now();
    if (now - trendDirtySince > 10000) {
      trendDirtySince = now;
      await guarded(loadTrend);
    }
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }, 2000);

  asOfInput.max = TP.isoToday();
  asOfInput.value = asOf();
  asOfInput.addEventListener("change", () => {
    if (!asOfInput.value || !asOfInput.checkValidity()) return;
    setQuery({ as_of: asOfInput.value });
    const kept = query().get("period");
    if (kept && periodStart(kept) > asOfInput.value) setQuery({ period: null }); // not offered after as_of
    fillPeriods();
    refreshAll();
  });
  hierarchySelect.value = query().get("hierarchy") || "as_of";
  hierarchySelect.addEventListener("change", () => {
    setQuery({ hierarchy: hierarchySelect.value === "current" ? "current" : null });
    downloads();
    refreshAll();
  });
  kindSelect.addEventListener("change", () => {
    setQuery({ period: periodOf(kindSelect.value, asOf()) });
    fillPeriods();
    downloads();
    guarded(loadReport);
  });
  periodSelect.addEventListener("change", () => {
    setQuery({ period: periodSelect.value });
    downloads();
    guarded(loadReport);
  });
  window.addEventListener("beforeprint", () => Object.values(charts).forEach((c) => c.resize()));
  window.addEventListener("afterprint", () => Object.values(charts).forEach((c) => c.resize()));

  fillPeriods();
  refreshAll();
})();
