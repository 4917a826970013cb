/* The forms app's form page: its fields drawn from fields.js, checked, queued and sent; a refusal shown
   with what the server asks to be confirmed (docs/forms.md). */
"use strict";
window.TP_FORM = (() => {
  const FORMS = window.TP_FORMS, Q = window.TP_QUEUE;
  const {state: S, t, el, show, announce, today, fold, stillOn} = window.TP_PAGE;
  const {send, refreshLists} = window.TP_SEND;

  // --- a form ------------------------------------------------------------------------------------
  function input(def, value) {
    const id = `f-${def.name}`;
    if (def.type === "select" || def.type === "commune") {
      let options = def.type === "commune" ? S.communes.map((c) => [c.code, c.name]) : def.options.map((o) => [o, t(`opt.${o}`)]);
      if (def.name === "source" && S.me.funding_sources) options = options.filter(([code]) => S.me.funding_sources.includes(code));
      return el("select", {id, name: def.name}, el("option", {value: ""}, t("choose")),
        options.map(([code, text]) => el("option", {value: code, selected: value === code}, text)));
    }
    if (def.type === "textarea") return el("textarea", {id, name: def.name, rows: "3", maxlength: def.max}, value || "");
    if (def.type === "bool") return el("input", {id, name: def.name, type: "checkbox", checked: value === true});
    const kinds = {date: "date", tel: "tel", int: "text", text: "text"};
    return el("input", {id, name: def.name, type: kinds[def.type], maxlength: def.max, autocomplete: def.autocomplete,
      inputmode: def.type === "int" ? "numeric" : null, value: value === undefined || value === null ? "" : String(value)});
  }

  function fieldRow(def, value, message) {
    const control = input(def, value);
    const label = el("label", {for: control.id}, t(def.label || def.name), def.req ? el("span", {"aria-hidden": "true"}, " *") : null);
    if (def.req) control.setAttribute("aria-required", "true");
    const row = el("div", {class: `field ${def.type}`}, def.type === "bool" ? [control, label] : [label, control]);
    if (message) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", `${control.id}-error`);
      row.append(el("p", {class: "field-error", id: `${control.id}-error`}, message));
    }
    return row;
  }

  function collect(form, defs, name) {
    const body = {}, errors = {};
    for (const def of defs) {
      const control = form.elements[def.name];
      if (def.type === "bool") { body[def.name] = control.checked; continue; }
      const raw = control.value.trim();
      if (!raw) { if (def.req) errors[def.name] = t("required"); continue; }
      if (def.type === "int") {
        if (!/^-?\d+$/.test(raw)) errors[def.name] = t("whole_number");
        else body[def.name] = parseInt(raw, 10);
      } else body[def.name] = raw;
    }
    for (const box of form.querySelectorAll("input[data-confirm]")) if (box.checked) body[box.name] = JSON.parse(box.dataset.confirm);
    if (name === "decision") {
      if (body.decision === "selected" && !body.sector) errors.sector = t("required");
      if (body.decision !== "selected") delete body.sector;
    }
    return {body, errors};
  }

  // What the server asks to be confirmed before it records (docs/api-guide.md "Checks before a write is
  // saved"): likely duplicates with their candidates, implausible figures; a box to tick for each, which
  // sends the confirmation field with the same body. Any other field it names that the form lacks is
  // taken as a yes/no confirmation too.
  function confirmations(refusal, known) {
    if (!refusal) return [];
    const box = (field, value, text) => el("div", {class: "field bool confirm"},
      el("input", {type: "checkbox", id: `c-${field}`, name: field, "data-confirm": JSON.stringify(value)}),
      el("label", {for: `c-${field}`}, text));
    const shown = [];
    if (refusal.code === "likely_duplicate") {
      shown.push(el("p", {}, t("candidates")), el("ul", {class: "candidates"}, (refusal.candidates || []).map((c) =>
        el("li", {}, `${c.full_name} · ${c.org_unit_name || c.org_unit} · ${c.birth_date || ""}${c.phone ? ` · ${c.phone}` : ""} `,
          c.in_scope ? el("a", {href: `#/participant/${encodeURIComponent(c.participant_id)}`}, t("open_record")) : null))),
        box("confirm_not_duplicate", true, t("not_duplicate")));
    } else if (refusal.confirmable) {
      shown.push(box("confirmed_implausible", refusal.confirmable, t("confirm_figures")));
    }
    for (const [field, text] of Object.entries(refusal.fields || {})) {
      if (!known.has(field) && !["confirm_not_duplicate", "confirmed_implausible"].includes(field)) {
        shown.push(box(field, true, `${t("confirm")}: ${text}`));
      }
    }
    return shown;
  }

  // Before a registration is sent (online only): S.people already registered nearby who may be the same
  // person, from registration's pre-check (docs/api-guide.md); the server asks again when it is sent.
  async function precheck(form) {
    const box = form.querySelector("#precheck");
    const value = (field) => form.elements[field].value.trim();
    const query = {org_unit: value("org_unit"), name: value("full_name"), birth_date: value("birth_date"), phone: value("phone")};
    if (!box || !navigator.onLine || !query.org_unit || !((query.name && query.birth_date) || query.phone)) return;
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
    try {
      const reply = await fetch(`/registration/api/v1/participants/likely-duplicates?${params}`, {credentials: "same-origin"});
      const found = reply.ok ? (await reply.json()).candidates : [];
      box.replaceChildren(...(found.length ? [el("p", {class: "error"}, t("candidates")), el("ul", {class: "candidates"},
        found.map((c) => el("li", {}, `${c.full_name} · ${c.org_unit_name || c.org_unit} · ${c.birth_date || ""} `,
          c.in_scope ? el("a", {href: `#/participant/${encodeURIComponent(c.participant_id)}`}, t("open_record")) : null)))] : []));
    } catch (error) { /* offline meanwhile: the server checks when the entry is sent */ }
  }

  // `entry`: a refused one being corrected (its key is kept: a refused request does not use it up)
  function formPage(name, subject, target, entry) {
    const defs = FORMS[name].fields;
    const known = new Set(defs.map((d) => d.name));
    const draw = (values, note, refusal) => {
      const errors = (refusal && refusal.fields) || (note && note.errors) || {};
      const form = el("form", {novalidate: true, onsubmit: (event) => { event.preventDefault(); submit(form); }},
        note ? el("p", {class: note.kind, role: "alert"}, note.text) : null,
        defs.map((def) => fieldRow(def, values[def.name] !== undefined ? values[def.name] : (def.today ? today() : undefined), errors[def.name])),
        confirmations(refusal, known),
        name === "registration" && !refusal ? el("div", {id: "precheck", role: "status", "aria-live": "polite"}) : null,
        el("div", {class: "actions"}, el("button", {type: "submit", class: "primary"}, t("save")), " ",
          el("a", {href: "#/"}, t("cancel"))));
      if (name === "registration") form.addEventListener("change", () => precheck(form));
      show(`${t(`form.${name}`)}${subject ? ` · ${subject}` : ""}`, form);
      const invalid = form.querySelector("[aria-invalid=true]");
      if (invalid) invalid.focus();
    };
    const refused = (made) => draw(made.body, {kind: "error", text: `${t("refused")} ${made.error.message}`}, made.error);
    const submit = async (form) => {
      const {body, errors} = collect(form, defs, name);
      if (Object.keys(errors).length) { draw(body, {kind: "error", text: t("fix_below"), errors}); return; }
      const made = entry ? Object.assign(entry, {body, status: "waiting", error: null})
        : {key: Q.newKey(), owner: S.me.username, form: name, subject: subject || body.full_name, service: target.service,
           path: target.path, body, status: "waiting", created_at: new Date().toISOString()};
      await Q.put(made);
      const outcome = navigator.onLine && !S.signedOut ? await send(made) : "waiting";
      if (outcome === "refused") { entry = made; refused(made); return; }
      entry = null;
      draw({}, {kind: "ok", text: outcome === "sent" ? t("sent_ok") : t("saved_offline")});
      announce(outcome === "sent" ? t("sent_ok") : t("saved_offline"));
      if (outcome === "sent" && name === "registration") refreshLists();
    };
    if (entry && entry.error) refused(entry);
    else draw(entry ? entry.body : {});
  }

  function targetOf(name, participantId, loanId) {
    const where = S.me.paths[name];
    return {service: where.service, path: where.path.replace("{id}", encodeURIComponent(participantId || ""))
      .replace("{loan}", encodeURIComponent(loanId || ""))};
  }
  return {formPage, targetOf};
})();
