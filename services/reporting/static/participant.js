/* One participant's timeline: every event in business order, who posted it, retracted ones struck out. */
"use strict";

(function () {
  const { page, t, label, num, vnd, day, moment, api, element } = TP;
  let units = null;

  function details(event) {
    const d = event.data || {};
    const parts = [];
    const add = (value, prefix) => { if (value !== undefined && value !== null && value !== "") parts.push(prefix ? `${prefix} ${value}` : String(value)); };
    switch (event.type) {
      case "participant.registered": add(d.model_name); add(d.branch_name); break;
      case "participant.selected": add(label("sector", d.sector)); add(d.reason); break;
      case "participant.rejected": add(d.reason, t("reason") + ":"); break;
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
      case "model.replicated": add(d.youth_name, t("youth")); add((units && units[d.org_unit]) || d.org_unit); add(d.note); break;
      case "event.retracted": add(d.reason, t("reason") + ":"); break;
      default: break;
    }
    return parts.join(" · ");
  }

  async function load() {
    units = units || TP.page.units || {}; // names sent with the page: no request for them
    const body = await api(`participants/${encodeURIComponent(page.participant_id)}/timeline`);
    const registration = [...body.events].reverse().find((e) => e.type === "participant.registered" && !e.retracted);
    if (registration) {
      const name = registration.data.full_name || page.participant_id;
      document.getElementById("participant-name").textContent = t("timeline_of", { name });
      document.getElementById("crumb-participant").textContent = name;
      document.title = `${name} · ${t("app")}`;
      document.getElementById("participant-model").textContent =
        [registration.data.model_name, registration.data.branch_name, units[registration.org_unit]].filter(Boolean).join(" · ");
    }
    document.getElementById("timeline").replaceChildren(...body.events.map((e) => element("li",
      { className: e.retracted ? "retracted" : null, "data-event": e.event_id, "data-type": e.type },
      element("span", { className: "when", text: day(e.occurred_on) }), " ",
      element("span", { className: "what", text: label("event", e.type) }),
      e.retracted ? element("span", { className: "badge rejected", text: " " + t("retracted") }) : null,
      element("div", { className: "details", text: details(e) }),
      element("div", { className: "meta", text: `${t("agency")}: ${TP.agencyName(e.source.agency)} · ${t("recorded_at")}: ${moment(e.recorded_at)}` +
        (e.retracted_by ? ` · ${t("retracted_by", { id: e.retracted_by.slice(0, 8) })}` : "") }))));
  }

  async function refresh() {
    try {
      await load();
      TP.showError(null);
      TP.stamp();
    } catch (error) {
      TP.showError(error);
    }
    document.body.dataset.loaded = "true";
  }
  TP.live(refresh, 2000);
  refresh();
})();
