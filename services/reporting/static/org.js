/* The org-unit dashboard: its controls (date, period, filters, as known then / as corrected), the page view
   read in two requests (the page's figures, the trend) plus the live poll, downloads and live refresh. */
"use strict";

(function () {
  const { page, t, label, day, api, query, setQuery, element, knownAt } = TP;
  const { kindOf } = TPR;
  const code = page.org_unit.code;
  const FILTERS = ["sector", "source", "status"];

  const asOfInput = document.getElementById("as-of");
  const kindSelect = document.getElementById("period-kind");
  const periodSelect = document.getElementById("period");
  const hierarchySelect = document.getElementById("hierarchy");
  const knownAtInput = document.getElementById("known-at");
  const knownRadios = document.querySelectorAll("input[name='known']");
  const loads = { view: 0, trend: 0 };
  let view = null;

  // --- time: as_of, the period, the moment a past report is read as known --------------------------
  const asOf = () => query().get("as_of") || TP.isoToday();
  function periodOf(kind, iso) {
    const [y, m] = iso.split("-").map(Number);
    if (kind === "month") return `${y}-${String(m).padStart(2, "0")}`;
    if (kind === "half_year") return `${y}-H${m <= 6 ? 1 : 2}`;
    return String(y);
  }
  /** Where the landing view's period lies: the latest event on or before as_of (else as_of itself). */
  function latestActive() {
    const last = page.active && page.active.last;
    return last && last < asOf() ? last : asOf();
  }
  /** Every period of a kind from the programme start to as_of, newest first. */
  function periodsUpTo(kind, iso) {
    const out = [];
    let [y, m] = page.program_start.split("-").map(Number);
    const [endY, endM] = iso.split("-").map(Number);
    while (y < endY || (y === endY && m <= endM)) {
      const option = periodOf(kind, `${y}-${String(m).padStart(2, "0")}-01`);
      if (!out.includes(option)) out.push(option);
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
    periodSelect.replaceChildren(...options.map((p) => element("option", { value: p, text: TPR.periodLabel(p) })));
    periodSelect.value = chosen && options.includes(chosen) ? chosen : periodOf(kind, latestActive());
    if (!periodSelect.value && options.length) periodSelect.value = options[0];
  }
  const period = () => periodSelect.value;
  function periodEnd(code_) {
    const kind = kindOf(code_);
    const y = Number(code_.slice(0, 4));
    if (kind === "month") return new Date(Date.UTC(y, Number(code_.slice(5, 7)), 0)).toISOString().slice(0, 10);
    if (kind === "half_year") return code_.endsWith("H1") ? `${y}-06-30` : `${y}-12-31`;
    return `${y}-12-31`;
  }
  function periodStart(code_) {
    const kind = kindOf(code_);
    if (kind === "month") return `${code_}-01`;
    if (kind === "half_year") return `${code_.slice(0, 4)}-${code_.endsWith("H1") ? "01" : "07"}-01`;
    return `${code_}-01-01`;
  }
  function fillKnown() {
    const day_ = query().get("known_at");
    for (const radio of knownRadios) radio.checked = radio.value === (day_ ? "then" : "now");
    knownAtInput.disabled = !day_;
    knownAtInput.max = TP.isoToday();
    knownAtInput.value = day_ || "";
  }
  function filters() {
    return Object.fromEntries(FILTERS.map((name) => [name, query().get(name) || ""]));
  }

  // --- the page view: one request for the figures, one for the trend ------------------------------------
  async function loadView() {
    const ticket = ++loads.view;
    const body = await api(`dashboard/${encodeURIComponent(code)}`,
      { as_of: asOf(), period: period(), known_at: knownAt(), ...filters() });
    if (ticket !== loads.view) return;
    view = body;
    const summary = body.summary;
    document.getElementById("overview-scope").textContent = t("overview_scope", { date: day(body.as_of) });
    const childrenScope = document.getElementById("children-scope");
    if (childrenScope) childrenScope.textContent = t("overview_scope", { date: day(body.as_of) });
    TPO.renderFunnel(summary.totals);
    TPO.renderFigures(summary.totals);
    TPO.renderTarget(summary.target, body.as_of);
    TPO.renderTargets(summary.children, body.as_of);
    TPO.renderSources(summary.funding_by_source);
    TPO.renderSectors(summary.by_sector);
    TPO.renderChildren(summary);
    TPO.renderParticipants(body.participants);
    TPR.renderReport(body.report, body.as_of);
    renderFilterNote(body.filters, body.as_of);
  }
  async function loadTrend() {
    const ticket = ++loads.trend;
    await TPR.loadTrend(asOf(), view ? view.summary.target : null);
    if (ticket !== loads.trend) return;
  }
  function renderFilterNote(applied, asOfDay) {
    const note = document.getElementById("filtered-note");
    const parts = [];
    if (applied.sector) parts.push(label("sector", applied.sector));
    if (applied.source) parts.push(label("source", applied.source));
    if (applied.status) parts.push(label("status", applied.status));
    note.hidden = !parts.length;
    note.textContent = parts.length ? t("filtered_note", { what: parts.join(" · "), date: day(asOfDay) }) : "";
    document.getElementById("trend-unfiltered").hidden = !parts.length;
  }

  // --- downloads follow what is on screen ---------------------------------------------------------------
  function downloads() {
    const unit = encodeURIComponent(code);
    const grouping = query().get("hierarchy") ? { hierarchy: query().get("hierarchy") } : {};
    const asOfQuery = "?" + new URLSearchParams({ as_of: asOf(), ...grouping });
    const periodParams = { period: period(), ...grouping };
    if (knownAt()) periodParams.known_at = knownAt();
    const periodQuery = "?" + new URLSearchParams(periodParams);
    document.getElementById("dl-summary-csv").href = `/api/v1/summary/${unit}.csv${asOfQuery}`;
    document.getElementById("dl-summary-xlsx").href = `/api/v1/summary/${unit}.xlsx${asOfQuery}`;
    document.getElementById("dl-report-csv").href = `/api/v1/reports/${unit}.csv${periodQuery}`;
    document.getElementById("dl-report-xlsx").href = `/api/v1/reports/${unit}.xlsx${periodQuery}`;
    // the báo cáo to sign, of the period on screen (as known then, when that is what is on screen)
    document.getElementById("dl-report-docx").href = `/api/v1/reports/${unit}.docx${periodQuery}`;
    document.getElementById("dl-report-pdf").href = `/api/v1/reports/${unit}.pdf${periodQuery}`;
  }

  // --- loading and refreshing -----------------------------------------------------------------------------
  async function guarded(work) {
    try {
      await work();
      TP.showError(null);
      TP.stamp();
    } catch (error) {
      TP.showError(error);
    }
  }
  async function refreshAll() {
    downloads();
    const alerts = guarded(() => TPA.load(asOf()));
    await guarded(loadView);
    await guarded(loadTrend); // after the view: the trend draws the target's path
    await alerts;
    document.body.dataset.loaded = "true";
  }
  const refreshView = () => { downloads(); return guarded(loadView); };
  // Live: new events re-read the page view and the trend (two requests).
  TP.live(async () => {
    await refreshAll();
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.figure[data-metric]");
    if (button) TPR.trace(button.dataset.metric, asOf());
  });
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
    refreshAll();
  });
  kindSelect.addEventListener("change", () => {
    setQuery({ period: periodOf(kindSelect.value, latestActive()) });
    fillPeriods();
    refreshView();
  });
  periodSelect.addEventListener("change", () => {
    setQuery({ period: periodSelect.value });
    refreshView();
  });
  for (const radio of knownRadios) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      // as known then: by default the day after the period ended (when its report was due), not after today
      const after = new Date(Date.parse(periodEnd(period())) + 86400000).toISOString().slice(0, 10);
      setQuery({ known_at: radio.value === "then" ? (after < TP.isoToday() ? after : TP.isoToday()) : null });
      fillKnown();
      refreshView();
    });
  }
  knownAtInput.addEventListener("change", () => {
    if (!knownAtInput.value || !knownAtInput.checkValidity()) return;
    setQuery({ known_at: knownAtInput.value });
    refreshView();
  });
  for (const select of document.querySelectorAll("select[data-filter]")) {
    select.value = query().get(select.dataset.filter) || "";
    select.addEventListener("change", () => {
      setQuery({ [select.dataset.filter]: select.value || null });
      refreshView();
    });
  }
  window.addEventListener("beforeprint", () => Object.values(TPO.charts).forEach((c) => c.resize()));
  window.addEventListener("afterprint", () => Object.values(TPO.charts).forEach((c) => c.resize()));

  fillPeriods();
  fillKnown();
  refreshAll();
})();
