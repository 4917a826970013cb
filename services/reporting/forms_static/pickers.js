/* The forms app's pickers: a participant (from the list kept on the phone), one of their loans, and a
   participant's events to retract one. */
"use strict";
window.TP_PICKERS = (() => {
  const {state: S, t, el, show, announce, today, fold, stillOn} = window.TP_PAGE;

  // --- picking a participant ----------------------------------------------------------------------
  function picker(title, target) {
    const results = el("ul", {class: "results", id: "results"});
    const search = el("input", {id: "q", type: "search", autocomplete: "off", "aria-controls": "results"});
    const draw = () => {
      const words = fold(search.value).split(/\s+/).filter(Boolean);
      const found = S.people.filter((p) => {
        const text = fold(`${p.full_name} ${p.org_unit_name} ${p.phone || ""}`);
        return words.every((w) => text.includes(w));
      });
      results.replaceChildren(...found.slice(0, 20).map((p) => el("li", {}, el("a", {href: target(p.participant_id)},
        el("strong", {}, p.full_name), ` · ${p.org_unit_name}${p.phone ? ` · ${p.phone}` : ""} · ${p.birth_date || ""}`))));
      if (!found.length) results.append(el("li", {}, t("no_match")));
      else if (found.length > 20) results.append(el("li", {}, t("more_matches")));
    };
    search.addEventListener("input", draw);
    show(title, el("p", {}, t("pick")), el("label", {for: "q"}, t("search")), search, results,
      el("p", {}, el("a", {href: "#/"}, t("cancel"))));
    draw();
  }

  // --- picking one of the participant's loans (repayment, classification) ---------------------------
  // Read online; a person's loans last read here are kept on the phone (per account, forgotten at sign-out)
  // and offered offline with the time they were read (the service checks what is owed when it is sent).
  // An entry made once the loan is picked is queued offline like any other (docs/forms.md).
  const loansSeen = new Map();  // funding event id -> its line, to name the loan on the form
  const loansKept = () => JSON.parse(localStorage.getItem(`tp.loans.${S.me.username}`) || "{}");
  const money = (n) => `${new Intl.NumberFormat(S.lang === "en" ? "en" : "vi-VN").format(n)} ${t("vnd")}`;
  const loanLabel = (loan) => `${t(`opt.${loan.source}`)} · ${t("disbursed")} ${loan.disbursed_on} · ${money(loan.amount_vnd)}`;

  async function loanPicker(name, participantId, person) {
    const at = location.hash;
    const list = el("ul", {class: "results", id: "loans"});
    let note = null, mine = null;
    try {
      if (!navigator.onLine) throw new Error("offline");
      const reply = await fetch(`/api/v1/participants/${encodeURIComponent(participantId)}/loans`, {credentials: "same-origin"});
      if (!reply.ok) throw new Error(String(reply.status));
      // the ones this account may post for: those its agency made (the API refuses the others)
      mine = (await reply.json()).loans.filter((loan) => loan.lender_agency === S.me.agency);
      const kept = loansKept();
      kept[participantId] = {read_at: new Date().toLocaleString(S.lang === "en" ? "en" : "vi-VN"), loans: mine};
      localStorage.setItem(`tp.loans.${S.me.username}`, JSON.stringify(kept));
    } catch (error) {
      const kept = loansKept()[participantId];
      if (kept) { mine = kept.loans; note = t("loans_kept", {at: kept.read_at}); }
      else note = navigator.onLine ? t("loans_failed") : t("loans_need_connection");
    }
    if (mine) {
      for (const loan of mine) {
        loansSeen.set(loan.funding_event_id, loan);
        list.append(el("li", {}, el("a", {href: `#/form/${name}/${encodeURIComponent(participantId)}/${encodeURIComponent(loan.funding_event_id)}`},
          el("strong", {}, loanLabel(loan)), ` · ${t("outstanding")} ${money(loan.outstanding_vnd)} · ${t(`opt.${loan.status}`)}`)));
      }
      if (!mine.length) note = t("no_loans");
    }
    if (!stillOn(at)) return;
    show(`${t(`form.${name}`)} · ${person}`, el("p", {}, t("pick_loan")), note ? el("p", {class: "error", role: "alert"}, note) : null,
      list.children.length ? list : null, el("p", {}, el("a", {href: `#/form/${name}`}, t("cancel"))));
  }

  // --- a participant's events, to retract one --------------------------------------------------------
  async function timeline(participantId) {
    const at = location.hash;
    const person = S.people.find((p) => p.participant_id === participantId);
    let body = null;
    try {
      const reply = await fetch(`/api/v1/participants/${encodeURIComponent(participantId)}/timeline`, {credentials: "same-origin"});
      if (reply.ok) body = await reply.json();
    } catch (error) { /* offline */ }
    const list = el("ol", {class: "timeline"});
    for (const event of body ? body.events : []) {
      const mine = event.source.agency === S.me.agency || S.me.kind === "admin";
      const item = el("li", {}, `${event.occurred_on} · ${t(`type.${event.type}`)} · ${event.source.agency}`,
        event.retracted ? ` · ${t("retracted")}` : "");
      if (S.me.may_retract && mine && !event.retracted && event.type !== "event.retracted") {
        item.append(" ", el("a", {class: "button", href: `#/retract/${event.service}/${event.event_id}/${participantId}`},
          t("retract")));
      }
      list.append(item);
    }
    if (!body) list.append(el("li", {}, t("offline")));
    if (!stillOn(at)) return;
    show(`${t("timeline")} · ${person ? person.full_name : participantId}`, list, el("p", {}, el("a", {href: "#/"}, t("cancel"))));
  }
  return {picker, loanPicker, loanLabel, loansSeen, timeline};
})();
