/* The alerts panel: units behind the straight-line path to their target, selected participants neither trained
   nor funded after N months, funded participants with no evaluation in M months (GET /api/v1/alerts/...), each
   with its reason and a link to the unit or the person. */
"use strict";

window.TPA = (function () {
  const { page, t, num, api, carried, element } = TP;
  const KINDS = ["behind_target", "selected_idle", "funded_unevaluated"];
  const SHOWN = 50; // per kind: a province's list after years runs long; the count says how many in all
  const card = document.getElementById("alerts-card");
  let loads = 0;

  function item(alert) {
    const reason = alert.reason[page.lang === "en" ? "en" : "vi"];
    const href = alert.links && alert.links.dashboard;
    return element("li", { "data-kind": alert.kind,
      "data-org": alert.org_unit ? alert.org_unit.code : (alert.participant ? alert.participant.org_unit.code : null) },
    href ? element("a", { href: href.split("?")[0] + carried(), text: reason }) : reason);
  }
  async function load(asOf) {
    if (!card) return;
    const ticket = ++loads;
    const body = await api(`alerts/${encodeURIComponent(page.org_unit.code)}`, { as_of: asOf });
    if (ticket !== loads) return;
    const groups = KINDS.map((kind) => {
      const found = body.alerts.filter((a) => a.kind === kind);
      const list = element("ul", { className: "alert-list" }, ...found.slice(0, SHOWN).map(item));
      if (found.length > SHOWN) list.append(element("li", { className: "muted", text: t("trace_more", { n: num(found.length - SHOWN) }) }));
      // units behind their path open at once; the lists of people on demand
      return element("details", { className: `alerts ${kind}`, "data-kind": kind, "data-count": found.length,
        open: kind === "behind_target" && found.length > 0 },
      element("summary", {}, element("span", { className: "count", text: num(found.length) }), " ",
        t(`alert.${kind}`, { months: body.settings[kind === "selected_idle" ? "months_without_start" : "months_without_evaluation"] })),
      found.length ? list : element("p", { className: "muted", text: t("no_alerts") }));
    });
    document.getElementById("alerts").replaceChildren(...groups);
  }
  return { load };
})();
