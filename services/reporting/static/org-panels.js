/* The org page's panels drawn from one page view's answer (GET /api/v1/dashboard/...): lifecycle, target,
   targets of the units below, funding by source, sectors, child units, participants. */
"use strict";

window.TPO = (function () {
  const { page, t, label, num, vnd, pct, day, carried, element, define } = TP;
  const FUNNEL = ["registered", "selected", "trained", "funded", "evaluated", "successful"];
  const MONEY = new Set(["funding_vnd"]);
  const CHILD_COLUMNS = ["registered", "selected", "trained", "funded", "evaluated", "successful", "target",
    "funding_vnd", "jobs_created"];
  const PALETTE = ["#0b5cad", "#b3261e", "#1b7a3d", "#c77700", "#6a3fb5", "#00838f", "#6d4c41", "#5a6472",
    "#ad1457", "#2e7d32"];
  const charts = {};
  const sorts = { children: { key: null, dir: 1 }, participants: { key: "registered_on", dir: 1 } };

  if (window.Chart) {
    Chart.defaults.animation = false; // figures change live; no replayed animation each time
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = "#1c2430";
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
  const shown = (metric, value) => (MONEY.has(metric) ? vnd(value) : num(value));

  // --- lifecycle and other figures (cumulative through as_of) ------------------------------------
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
      button.textContent = shown(metric, totals[metric]);
      button.dataset.value = String(totals[metric] || 0);
    }
  }

  // --- targets: status in words and colour, the straight-line path ---------------------------------
  function statusWords(target) {
    if (target.status === "no_target" || !target.successful_models) return t("status.no_target");
    if (target.status === "reached") return t("status.reached");
    return `${t("status.not_reached")} – ${t("target_missing", { n: num(target.missing) })}`;
  }
  function statusBadge(target) {
    const state = target.successful_models ? target.status : "no_target";
    return element("span", { className: `status ${state}`, "data-status": state, text: statusWords(target) });
  }
  function pathText(target, asOf) {
    if (!target.successful_models || !target.due_on) return "";
    const text = t("target_path", { due: day(target.due_on), expected: num(target.expected_by_as_of), date: day(asOf) });
    const where = target.status === "reached" || target.on_path ? t("target_on_path")
      : t("target_behind", { n: num(target.behind_path_by) });
    return `${text} (${where}).`;
  }
  function pathBar(bar, target) {
    const goal = target.successful_models || 0;
    const share = goal ? Math.min(1, target.achieved / goal) : 0;
    bar.className = `path-bar ${goal ? target.status : "no_target"}`;
    bar.hidden = !goal; // a unit without a target: no empty bar, its words say so
    bar.querySelector(".fill").style.width = `${100 * share}%`;
    const mark = bar.querySelector(".mark");
    mark.hidden = !goal;
    if (goal) mark.style.left = `${100 * Math.min(1, target.expected_by_as_of / goal)}%`;
  }
  function renderTarget(target, asOf) {
    const achieved = target.achieved || 0;
    const goal = target.successful_models || 0;
    const text = document.getElementById("target-text");
    text.textContent = goal ? t("target_text", { achieved: num(achieved), target: num(goal) })
      : t("target_none", { achieved: num(achieved) });
    text.dataset.achieved = String(achieved);
    text.dataset.target = String(goal);
    document.getElementById("target-status").replaceChildren(statusBadge(target));
    pathBar(document.getElementById("target-bar"), target);
    document.getElementById("target-path").textContent = pathText(target, asOf);
  }
  /** Every unit below, ranked by the share of its target reached; units without one last. */
  function renderTargets(children, asOf) {
    const list = document.getElementById("targets");
    if (!list) return;
    // units without a target after those with one, by their successful models
    const share = (c) => (c.target.successful_models ? c.target.achieved / c.target.successful_models : -1);
    const ranked = [...children].sort((a, b) => share(b) - share(a) || b.target.achieved - a.target.achieved
      || a.org_unit.name.localeCompare(b.org_unit.name, "vi"));
    const withTarget = ranked.filter((c) => c.target.successful_models);
    const behind = withTarget.filter((c) => c.target.status !== "reached");
    document.getElementById("targets-summary").textContent = withTarget.length ? t("targets_summary", {
      reached: num(withTarget.length - behind.length), with_target: num(withTarget.length), behind: num(behind.length),
      missing: num(behind.reduce((sum, c) => sum + c.target.missing, 0)) }) : t("targets_none");
    list.hidden = !withTarget.length; // communes without targets: the sentence says so, their table shows each
    list.replaceChildren(...ranked.map((child, i) => {
      const target = child.target;
      const bar = element("div", { className: "path-bar", "aria-hidden": "true" },
        element("span", { className: "fill" }), element("span", { className: "mark" }));
      pathBar(bar, target);
      return element("li", { "data-org": child.org_unit.code, "data-status": target.successful_models ? target.status : "no_target" },
        element("span", { className: "rank", text: target.successful_models ? String(i + 1) : "–" }),
        element("a", { href: `/dashboard/${encodeURIComponent(child.org_unit.code)}${carried()}`, "data-keep-query": true,
          className: "name", text: child.org_unit.name }),
        element("span", { className: "achieved", text: target.successful_models
          ? `${num(target.achieved)}/${num(target.successful_models)}` : num(target.achieved) }),
        statusBadge(target), bar,
        element("span", { className: "path hint", text: pathText(target, asOf) }));
    }));
  }

  // --- funding by source, sectors ------------------------------------------------------------------
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
        legend: { position: window.innerWidth < 520 ? "bottom" : "right" },
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

  // --- sortable tables -------------------------------------------------------------------------------
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
      const definition = define(key === "target" ? "target" : key, text);
      if (definition) th.append(definition);
      return th;
    }));
  }

  // --- child units -------------------------------------------------------------------------------------
  function childValue(child, key) {
    if (key === "name") return child.org_unit.name;
    if (key === "target") {  // how far along toward its own target; units without one last
      const goal = child.target.successful_models;
      return goal ? child.target.achieved / goal : -1;
    }
    return child.totals[key] || 0;
  }
  function childCell(child, key) {
    if (key === "target") {
      const goal = child.target.successful_models;
      return element("td", { className: "num target-cell", "data-metric": "successful_target",
        "data-status": goal ? child.target.status : "no_target" },
      goal ? `${num(child.target.achieved)}/${num(goal)} ` : "", statusBadge(child.target));
    }
    const value = child.totals[key] || 0;
    return element("td", { className: "num", "data-metric": key, "data-label": t(key), text: shown(key, value) });
  }
  function renderChildren(summary) {
    const table = document.getElementById("table-children");
    if (!table || !summary) return;
    const columns = [["name", t("unit"), false], ...CHILD_COLUMNS.map((key) =>
      [key, key === "target" ? t("target_col") : t(key), true])];
    sortHeader(table, columns, sorts.children, (key) => {
      const sort = sorts.children;
      sorts.children = { key, dir: sort.key === key ? -sort.dir : (key === "name" ? 1 : -1) };
      renderChildren(summary);
    });
    const rows = sortRows(summary.children, sorts.children, childValue);
    table.querySelector("tbody").replaceChildren(...rows.map((child) => {
      const link = element("a", { href: `/dashboard/${encodeURIComponent(child.org_unit.code)}${carried()}`,
        "data-keep-query": true, text: child.org_unit.name });
      return element("tr", { "data-org": child.org_unit.code },
        element("th", { scope: "row" }, link), ...CHILD_COLUMNS.map((key) => childCell(child, key)));
    }));
    const own = { totals: summary.totals, target: summary.target };
    table.querySelector("tfoot").replaceChildren(element("tr", { "data-org": "total" },
      element("th", { scope: "row", text: t("total") }), ...CHILD_COLUMNS.map((key) => childCell(own, key))));
  }

  // --- participants (a commune's), shown as cards on a phone ------------------------------------------
  function renderParticipants(participants) {
    const table = document.getElementById("table-participants");
    if (!table || !participants) return;
    const columns = [["name", t("name"), false], ["model", t("model"), false], ["branch", t("branch"), false],
      ["registered_on", t("registered_on"), false], ["status", t("status"), false], ["sector", t("sector_col"), false],
      ["sources", t("sources_col"), false], ["funding_vnd", t("funding_vnd"), true]];
    sortHeader(table, columns, sorts.participants, (key) => {
      const sort = sorts.participants;
      sorts.participants = { key, dir: sort.key === key ? -sort.dir : 1 };
      renderParticipants(participants);
    });
    const valueOf = (p, key) => (key === "status" ? label("status", p.status) : key === "sources" ? p.sources.join(",")
      : key === "sector" ? (p.sector ? label("sector", p.sector) : "") : p[key]);
    const rows = sortRows(participants, sorts.participants, valueOf);
    const tbody = table.querySelector("tbody");
    if (!rows.length) {
      tbody.replaceChildren(element("tr", {}, element("td", { colspan: columns.length, className: "muted", text: t("no_participants") })));
      return;
    }
    // each cell names its column: a phone shows a row as a card of "label: value" lines
    const cell = (heading, content, extra) => element("td", { "data-label": t(heading), ...(extra || {}) }, content);
    tbody.replaceChildren(...rows.map((p) => element("tr", { "data-participant": p.participant_id },
      element("th", { scope: "row" }, element("a", { href: `/dashboard/participant/${encodeURIComponent(p.participant_id)}${carried()}`,
        "data-keep-query": true, text: p.name })),
      cell("model", p.model), cell("branch", p.branch), cell("registered_on", day(p.registered_on)),
      cell("status", element("span", { className: `badge ${p.status}`, text: label("status", p.status) })),
      cell("sector_col", p.sector ? label("sector", p.sector) : "–"),
      cell("sources_col", p.sources.length ? p.sources.map((s) => label("source", s)).join(", ") : "–"),
      cell("funding_vnd", p.funding_vnd ? vnd(p.funding_vnd) : "–", { className: "num" }))));
  }

  return { charts, chart, renderFunnel, renderFigures, renderTarget, renderTargets, renderSources, renderSectors,
    renderChildren, renderParticipants, MONEY };
})();
