/* The org page's period report (this period, the one before, the same period last year; as corrected or as
   known then), the monthly trend from one series request, and the trace dialog of a figure's events. */
"use strict";

window.TPR = (function () {
  const { page, t, label, num, vnd, day, api, carried, element, define, agencyName, unitName } = TP;
  const { chart, MONEY } = TPO;
  const code = page.org_unit.code;
  const REPORT_ROWS = ["registrations", "selections", "rejections", "participants_trained", "trainings",
    "participants_funded", "fundings", "funding_vnd", "supports", "evaluations", "successful_change",
    "commendations", "replications", "jobs_created_change"];
  const CUMULATIVE_ROWS = ["registered", "selected", "trained", "funded", "evaluated", "successful",
    "funding_vnd", "jobs_created"];
  const TREND = [["registered", "#0b5cad"], ["selected", "#6a3fb5"], ["trained", "#c77700"],
    ["funded", "#b3261e"], ["successful", "#1b7a3d"]];

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

  // --- the period report --------------------------------------------------------------------------------
  function renderReport(report, asOf) {
    const lastYear = report.same_period_last_year;
    const period = report.period;
    document.getElementById("report-period").textContent = "· " + periodLabel(period.code);
    document.getElementById("report-this").textContent = periodLabel(period.code);
    document.getElementById("report-prev").textContent = `${t("previous_period")}: ${periodLabel(report.previous.period.code)}`;
    document.getElementById("report-last-year").textContent = `${t("same_period_last_year")}: ${periodLabel(lastYear.period.code)}`;
    document.getElementById("report-scope").textContent = t("report_scope", { start: day(period.start), end: day(period.end), as_of: day(asOf) });
    const changed = Object.fromEntries((report.differences || []).map((d) => [d.figure, d.now]));
    const value = (key, figure) => (MONEY.has(key) ? vnd(figure) : num(figure));
    const line = (name, key, group, figures) => {
      const now = changed[`${group}.${key}`];
      const head = element("th", { scope: "row" }, name, define(group === "in_period" ? `report.${key}` : key, name));
      return element("tr", { "data-report": `${group}.${key}`, className: now === undefined ? null : "restated" }, head,
        ...figures.map((figure, i) => element("td", { className: "num",
          title: i === 0 && now !== undefined ? t("now_value", { value: value(key, now) }) : null,
          text: value(key, figure) + (i === 0 && now !== undefined ? " *" : "") })));
    };
    const groupRow = (text) => element("tr", {}, element("th", { scope: "colgroup", colspan: 4, className: "group", text }));
    const parts = [report, report.previous, lastYear];
    document.querySelector("#table-report tbody").replaceChildren(
      groupRow(t("in_period")),
      ...REPORT_ROWS.map((key) => line(t("report." + key), key, "in_period", parts.map((p) => p.in_period[key] || 0))),
      groupRow(t("cumulative")),
      ...CUMULATIVE_ROWS.map((key) => line(t(key), key, "cumulative", parts.map((p) => p.cumulative[key] || 0))));
    const restated = document.getElementById("restated");
    restated.hidden = !report.known_at;
    if (report.known_at && report.restated !== undefined) {
      const when = day(report.known_at);
      restated.textContent = report.restated ? t("restated", { date: when, n: num(report.differences.length) })
        : t("not_restated", { date: when });
      restated.dataset.restated = String(report.restated);
    }
  }

  // --- the monthly trend: one series request ------------------------------------------------------------
  /** Successful models a straight line from 0 at the target's start to its value at the due date needs. */
  function onPath(target, iso) {
    if (iso >= target.due_on) return target.successful_models;
    if (iso < target.start_on) return 0;
    const days = (a, b) => (Date.parse(b) - Date.parse(a)) / 86400000;
    return Math.floor((target.successful_models * days(target.start_on, iso)) / Math.max(1, days(target.start_on, target.due_on)));
  }
  function monthEnd(month) {
    const [y, m] = month.split("-").map(Number);
    return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  }
  async function loadTrend(asOf, target) {
    // today: the unit's active range (first to latest month with an event); another date: up to its month
    const params = asOf === TP.isoToday() ? {} : { to: asOf.slice(0, 7) };
    const series = await api(`series/${encodeURIComponent(code)}`, params);
    const points = series.points;
    const labels = points.map((p) => (page.lang === "en" ? p.month : `${p.month.slice(5, 7)}/${p.month.slice(0, 4)}`));
    const datasets = TREND.map(([metric, color]) => ({ label: t(metric), borderColor: color,
      backgroundColor: color, data: points.map((p) => p.totals[metric]), tension: 0.15, pointRadius: 2 }));
    if (target && target.successful_models && target.due_on) {
      datasets.push({ label: t("trend_path"), borderColor: "#1b7a3d", borderDash: [6, 4], pointRadius: 0,
        data: points.map((p) => onPath(target, monthEnd(p.month))) });
    }
    chart("chart-trend", {
      type: "line", data: { labels, datasets },
      options: { maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: (v) => num(v) } } } },
    });
    const table = document.getElementById("table-trend");
    table.querySelector("thead").replaceChildren(element("tr", {}, element("th", { scope: "col", text: t("month") }),
      ...TREND.map(([metric]) => element("th", { scope: "col", className: "num", text: t(metric) }))));
    table.querySelector("tbody").replaceChildren(...points.map((p) => element("tr", { "data-month": p.month },
      element("th", { scope: "row", text: labels[points.indexOf(p)] }),
      ...TREND.map(([metric]) => element("td", { className: "num", text: num(p.totals[metric]) })))));
    return series;
  }

  // --- trace: the events behind a figure ----------------------------------------------------------------
  const TRACE_SHOWN = 300;
  const dialog = document.getElementById("trace");
  async function trace(metric, asOf) {
    document.getElementById("trace-title").textContent = t("trace_title", { figure: t(metric) });
    document.getElementById("trace-count").textContent = t("loading");
    const tbody = document.querySelector("#table-trace tbody");
    tbody.replaceChildren();
    dialog.dataset.metric = metric;
    if (!dialog.open) dialog.showModal();
    try {
      // the latest TRACE_SHOWN only, each with its participant's name: a province's list runs to the hundred thousand
      const listed = await api(`summary/${encodeURIComponent(code)}/events`, { metric, as_of: asOf, limit: TRACE_SHOWN });
      const events = listed.events.slice().reverse(); // newest first
      document.getElementById("trace-count").textContent = t("trace_count", { n: num(listed.count), date: day(listed.as_of) });
      tbody.replaceChildren(...(events.length ? events.map((e) => element("tr", { "data-event": e.event_id },
        element("td", { text: day(e.occurred_on) }),
        element("td", { text: label("event", e.type) }),
        element("td", {}, element("a", { href: `/dashboard/participant/${encodeURIComponent(e.participant_id)}${carried()}`,
          text: e.participant_name || e.participant_id.slice(0, 8) })),
        element("td", { text: unitName(e.org_unit) }),
        element("td", { text: TP.eventDetails(e) }),
        element("td", { className: "agency", "data-agency": e.source.agency, text: agencyName(e.source.agency) })))
        : [element("tr", {}, element("td", { colspan: 6, className: "muted", text: t("no_events") }))]));
      if (listed.count > events.length) {
        tbody.append(element("tr", {}, element("td", { colspan: 6, className: "muted",
          text: t("trace_more", { n: num(listed.count - events.length) }) })));
      }
    } catch (error) {
      document.getElementById("trace-count").textContent = t("load_failed", { status: error.status || "—" });
    }
  }
  document.getElementById("trace-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // backdrop

  return { kindOf, periodLabel, renderReport, loadTrend, trace };
})();
