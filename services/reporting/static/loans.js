/* The loan portfolio panel: outstanding, repaid, overdue by age, PAR30 by source, and (for the readers the
   API lets see a person's loan) the loans to follow up. Re-read when as_of changes and on live updates. */
"use strict";

(function () {
  const { page, t, label, num, vnd, day, api, query, carried, element, isoToday, knownAt } = TP;
  const card = document.getElementById("loans-card");
  if (!card) return;
  const code = page.org_unit.code;
  const BUCKETS = ["1_30", "31_90", "over_90"];
  const ratio = (value) => (value === null || value === undefined ? "–"
    : new Intl.NumberFormat("vi-VN", { style: "percent", maximumFractionDigits: 1 }).format(value));
  const cell = (text, value) => element("td", { className: "num", text, "data-value": value });
  let loading = 0;

  function fill(id, rows, empty, columns) {
    const tbody = document.querySelector(`#${id} tbody`);
    tbody.replaceChildren(...(rows.length ? rows
      : [element("tr", {}, element("td", { colspan: columns, className: "muted", text: empty }))]));
  }

  function render(body) {
    const totals = body.totals;
    for (const name of ["outstanding_vnd", "repaid_principal_vnd", "repaid_interest_vnd", "written_off_vnd"]) {
      document.getElementById("loans-" + name).textContent = vnd(totals[name]);
    }
    document.getElementById("loans-par30").textContent = ratio(totals.par30);
    document.getElementById("loans-active_loans").textContent = num(totals.active_loans);
    fill("table-loans-overdue", BUCKETS.map((bucket) => element("tr", { "data-bucket": bucket },
      element("th", { scope: "row", text: t("loans.bucket." + bucket) }),
      cell(num(totals.overdue[bucket].loans), totals.overdue[bucket].loans),
      cell(vnd(totals.overdue[bucket].outstanding_vnd), totals.overdue[bucket].outstanding_vnd))), "", 3);
    fill("table-loans-sources", Object.entries(body.by_source).map(([source, f]) => element("tr", { "data-source": source },
      element("th", { scope: "row", text: label("source", source) }), cell(num(f.loans), f.loans),
      cell(vnd(f.outstanding_vnd), f.outstanding_vnd), cell(vnd(f.repaid_principal_vnd), f.repaid_principal_vnd),
      cell(ratio(f.par30), f.par30 === null ? "" : f.par30))), t("loans.none"), 5);
    const followUp = document.getElementById("table-loans-follow-up");
    followUp.hidden = !body.follow_up;
    if (body.follow_up) {
      fill("table-loans-follow-up", body.follow_up.map((loan) => element("tr", { "data-loan": loan.funding_event_id },
        element("td", {}, element("a", { href: `/dashboard/participant/${encodeURIComponent(loan.participant_id)}${carried()}`,
          text: loan.participant_name || loan.participant_id })),
        element("td", { text: loan.org_unit_name || loan.org_unit }),
        element("td", { text: label("source", loan.source) + " · " + day(loan.disbursed_on) }),
        cell(vnd(loan.outstanding_vnd), loan.outstanding_vnd), cell(num(loan.days_past_due), loan.days_past_due),
        element("td", { text: loan.reasons.map((reason) => t("loans.reason." + reason)).join(", ") }))),
      t("loans.no_follow_up"), 6);
    }
  }

  async function refresh() {
    const mine = ++loading;
    try {
      const body = await api(`loans/${encodeURIComponent(code)}`,
        { as_of: query().get("as_of") || isoToday(), hierarchy: query().get("hierarchy"), known_at: knownAt() });
      if (mine === loading) render(body);
      card.dataset.loaded = "true";
    } catch (error) {
      TP.showError(error);
    }
  }

  const asOfInput = document.getElementById("as-of");
  if (asOfInput) asOfInput.addEventListener("change", () => { if (asOfInput.checkValidity()) refresh(); });
  // as known then / as corrected: once the page has put the choice in its address (org.js, same event)
  for (const input of document.querySelectorAll("input[name='known'], #known-at")) {
    input.addEventListener("change", () => setTimeout(refresh, 0));
  }
  TP.live(refresh, 5000);
  refresh();
})();
