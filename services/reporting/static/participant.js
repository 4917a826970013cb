/* One participant's timeline: every event in business order, who posted it, retracted ones struck out. */
"use strict";

(function () {
  const { page, t, label, num, vnd, day, moment, api, element } = TP;
  let units = null;


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
      element("div", { className: "details", text: TP.eventDetails(e, true) }),
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
