/* Tiên Phong data entry: the forms a signed-in person may use, a participant picker that works offline,
   and a queue of entries per account that is sent when the connection allows (docs/forms.md).
   Vanilla JS, no build step; all text from texts.js; every write goes to the owning service through
   the gateway ("/registration/api/v1/...", "/support/api/v1/..."), with the session's CSRF token. */
"use strict";
(() => {
  const T = window.TP_TEXTS, FORMS = window.TP_FORMS, Q = window.TP_QUEUE;
  const main = document.getElementById("main");
  let lang = localStorage.getItem("tp.lang") === "en" ? "en" : "vi";
  let me = null, people = [], communes = [], syncing = false, signedOut = false;

  const t = (key, params) => {
    const pair = T[key];
    let text = pair ? pair[lang === "en" ? 1 : 0] : key;
    for (const [name, value] of Object.entries(params || {})) text = text.replace(`{${name}}`, value);
    return text;
  };
  // as shared/text.py's fold_text: case, tone and vowel marks ignored, đ as d, punctuation as a space
  const fold = (s) => String(s || "").toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ");
  const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const announce = (text) => { document.getElementById("announce").textContent = text; };

  function show(title, ...children) {
    const heading = el("h2", {tabindex: "-1"}, title);
    main.replaceChildren(heading, ...children.flat().filter((c) => c !== null && c !== undefined));
    heading.focus();
  }

  // --- who is signed in ---------------------------------------------------------------------------
  async function loadMe() {
    try {
      const reply = await fetch("/api/v1/me", {credentials: "same-origin", cache: "no-store"});
      if (reply.status === 401) return {signedOut: true};
      if (!reply.ok) return {};
      const body = await reply.json();
      if (!body.username) return {signedOut: true};
      localStorage.setItem("tp.me", JSON.stringify(body));
      return {me: body};
    } catch (error) {
      return {};
    }
  }

  async function refreshLists() {
    try {
      const [units, directory] = await Promise.all([
        fetch("/api/v1/org-units", {credentials: "same-origin"}).then((r) => (r.ok ? r.json() : null)),
        fetch(`/api/v1/directory/${encodeURIComponent(me.scope)}`, {credentials: "same-origin"})
          .then((r) => (r.ok ? r.json() : null)),
      ]);
      if (units) {
        communes = units.filter((u) => u.level === "commune");
        localStorage.setItem(`tp.units.${me.username}`, JSON.stringify(communes));
      }
      if (directory) {
        people = directory.items;
        await Q.savePeople(me.username, people);
      }
    } catch (error) { /* offline meanwhile: the saved lists stay */ }
  }

  // --- sending ------------------------------------------------------------------------------------
  const pause = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  // One entry to its service: "sent", "refused" (kept with the server's reason), "waiting" (the network,
  // a busy or restarting service: sent again later with the same key) or "signed_out".
  async function send(entry) {
    for (let attempt = 1; ; attempt++) {
      let reply;
      try {
        reply = await fetch(`/${entry.service}/api/v1${entry.path}`, {
          method: "POST", credentials: "same-origin", body: JSON.stringify(entry.body),
          headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf_token || "",
                    "Idempotency-Key": entry.key, "Accept-Language": lang}});
      } catch (error) {
        return "waiting";
      }
      if (reply.status === 401) { signedOut = true; return "signed_out"; }
      const payload = await reply.json().catch(() => null);
      const code = payload && payload.error ? payload.error.code : null;
      if (reply.ok) {
        Object.assign(entry, {status: "sent", reply: payload, error: null, sent_at: new Date().toISOString()});
      } else if (reply.status >= 500 || [408, 425, 429].includes(reply.status) || code === "concurrent_write") {
        return "waiting";
      } else {
        // a 4xx with Retry-After: the service may not have heard of a recent change yet (Kafka); asked
        // again twice, then the answer stands as the server's reason
        const wait = Number(reply.headers.get("Retry-After"));
        if (wait > 0 && wait <= 10 && attempt < 3) { await pause(wait); continue; }
        const error = payload && payload.error ? payload.error : {code: `http_${reply.status}`, message: reply.statusText, fields: {}};
        Object.assign(entry, {status: "refused", error});
      }
      await Q.put(entry);
      return entry.status;
    }
  }

  async function sync() {
    if (syncing || !me || !navigator.onLine) return;
    syncing = true;
    let sentAny = false;
    try {
      const current = await loadMe();
      if (current.signedOut) { signedOut = true; return; }
      if (!current.me) return;
      if (current.me.username !== me.username) { location.reload(); return; }  // someone else signed in here
      me = current.me;
      signedOut = false;
      const waiting = (await Q.list(me.username)).filter((e) => e.status === "waiting");
      let next = 0, stop = false;
      const worker = async () => {
        while (!stop && next < waiting.length) {
          const outcome = await send(waiting[next++]);
          if (outcome === "sent") sentAny = true;
          if (outcome === "waiting" || outcome === "signed_out") stop = true;
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      if (sentAny) await refreshLists();
    } finally {
      syncing = false;
      header();
      if (!location.hash || location.hash === "#/") home();
    }
  }

  // --- the page's frame ---------------------------------------------------------------------------
  function header() {
    document.documentElement.lang = lang;
    document.title = `Tiên Phong · ${t("app")}`;
    document.getElementById("home-link").textContent = `Tiên Phong · ${t("app")}`;
    document.getElementById("who").textContent = me ? `${me.username} · ${me.scope_name}` : "";
    document.getElementById("net").textContent = (navigator.onLine ? t("online") : t("offline"))
      + (signedOut ? ` · ${t("signed_out")}` : "");
    const tools = [el("button", {type: "button", lang: lang === "en" ? "vi" : "en", onclick: () => {
      lang = lang === "en" ? "vi" : "en";
      localStorage.setItem("tp.lang", lang);
      header();
      route();
    }}, t("switch"))];
    if (me) {
      tools.push(el("a", {href: `/dashboard/${encodeURIComponent(me.scope)}`}, t("dashboard")));
      if (signedOut) tools.push(el("a", {href: "/login?next=/forms/"}, t("sign_in")));
      tools.push(el("form", {method: "post", action: "/logout", onsubmit: async (event) => {
        event.preventDefault();
        localStorage.removeItem("tp.me");
        localStorage.removeItem(`tp.loans.${me.username}`);
        // this person's queue is kept for them (never sent by someone else); their participants are not
        await Q.forgetPeople(me.username).catch(() => {});
        event.target.submit();
      }}, el("input", {type: "hidden", name: "csrf_token", value: me.csrf_token || ""}),
      el("input", {type: "hidden", name: "lang", value: lang}), el("button", {type: "submit"}, t("logout"))));
    }
    document.getElementById("tools").replaceChildren(...tools);
  }

  // --- home: the forms, and my recent entries ----------------------------------------------------
  const entryLabel = (entry) => `${t(`form.${entry.form}`)} · ${entry.subject || ""}`;

  function statusBadge(status) {
    return el("span", {class: `badge ${status}`}, t(`st_${status}`));
  }

  function errorList(error) {
    const items = Object.entries(error.fields || {}).map(([field, text]) => el("li", {}, `${t(field)}: ${text}`));
    return [el("p", {class: "error"}, `${t("refused")} ${error.message}`), items.length ? el("ul", {}, items) : null];
  }

  // an async page draws only if the person is still on it (a sync's redraw of the home page must never
  // replace a form opened meanwhile)
  const stillOn = (hash) => (location.hash || "#/") === hash;

  async function home() {
    const at = location.hash || "#/";
    const entries = me ? (await Q.list(me.username)).reverse() : [];
    const waiting = entries.filter((e) => e.status === "waiting").length;
    const others = me ? await Q.others(me.username) : 0;
    const forms = (me ? me.forms : []).map((name) => el("li", {}, el("a", {href: `#/form/${name}`}, t(`form.${name}`))));
    if (me && me.may_retract) forms.push(el("li", {}, el("a", {href: "#/find"}, t("open_timeline"))));
    const list = el("ul", {class: "entries"});
    const server = await recorded();
    const seen = new Map(server.map((item) => [item.event_id, item]));
    for (const entry of entries.slice(0, 50)) {
      // sent, then "recorded" once reporting counts it (it is on the dashboard), or "retracted"
      const known = entry.reply && seen.get(entry.reply.event_id);
      const status = known ? (known.retracted ? "retracted" : "recorded") : entry.status;
      const item = el("li", {class: `entry ${status}`, "data-key": entry.key},
        el("span", {class: "label"}, entryLabel(entry)), " ", statusBadge(status));
      if (entry.status === "refused") {
        item.append(...errorList(entry.error),
          el("a", {href: `#/fix/${entry.key}`, class: "button"}, t("fix")), " ",
          el("button", {type: "button", onclick: async () => { await Q.remove(entry.key); home(); }}, t("discard")));
      }
      list.append(item);
    }
    const local = new Set(entries.map((e) => e.reply && e.reply.event_id));
    for (const item of server) {
      if (local.has(item.event_id)) continue;
      list.append(el("li", {class: "entry recorded"}, el("span", {class: "label"},
        `${t(`type.${item.type}`)} · ${item.full_name || ""} · ${item.occurred_on}`), " ",
        statusBadge(item.retracted ? "retracted" : "recorded")));
    }
    if (!list.children.length) list.append(el("li", {}, t("no_entries")));
    if (!stillOn(at)) return;
    show(t("forms"),
      forms.length ? el("ul", {class: "forms"}, forms) : el("p", {}, t("no_forms")),
      el("p", {class: "meta"}, [t("people_cached", {n: people.length}), waiting ? ` · ${t("waiting_count", {n: waiting})}` : ""].join("")),
      others ? el("p", {class: "meta"}, t("held_other")) : null,
      waiting && navigator.onLine ? el("button", {type: "button", onclick: sync}, t("send_now")) : null,
      el("h2", {}, t("recent")), list);
  }

  async function recorded() {
    if (!navigator.onLine) return [];
    try {
      const reply = await fetch("/api/v1/my-entries", {credentials: "same-origin"});
      return reply.ok ? (await reply.json()).items : [];
    } catch (error) {
      return [];
    }
  }

  // --- picking a participant ----------------------------------------------------------------------
  function picker(title, target) {
    const results = el("ul", {class: "results", id: "results"});
    const search = el("input", {id: "q", type: "search", autocomplete: "off", "aria-controls": "results"});
    const draw = () => {
      const words = fold(search.value).split(/\s+/).filter(Boolean);
      const found = people.filter((p) => {
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

  // --- a form ------------------------------------------------------------------------------------
  function input(def, value) {
    const id = `f-${def.name}`;
    if (def.type === "select" || def.type === "commune") {
      let options = def.type === "commune" ? communes.map((c) => [c.code, c.name]) : def.options.map((o) => [o, t(`opt.${o}`)]);
      if (def.name === "source" && me.funding_sources) options = options.filter(([code]) => me.funding_sources.includes(code));
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

  // Before a registration is sent (online only): people already registered nearby who may be the same
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
        : {key: Q.newKey(), owner: me.username, form: name, subject: subject || body.full_name, service: target.service,
           path: target.path, body, status: "waiting", created_at: new Date().toISOString()};
      await Q.put(made);
      const outcome = navigator.onLine && !signedOut ? await send(made) : "waiting";
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
    const where = me.paths[name];
    return {service: where.service, path: where.path.replace("{id}", encodeURIComponent(participantId || ""))
      .replace("{loan}", encodeURIComponent(loanId || ""))};
  }

  // --- picking one of the participant's loans (repayment, classification) ---------------------------
  // Read online; a person's loans last read here are kept on the phone (per account, forgotten at sign-out)
  // and offered offline with the time they were read (the service checks what is owed when it is sent).
  // An entry made once the loan is picked is queued offline like any other (docs/forms.md).
  const loansSeen = new Map();  // funding event id -> its line, to name the loan on the form
  const loansKept = () => JSON.parse(localStorage.getItem(`tp.loans.${me.username}`) || "{}");
  const money = (n) => `${new Intl.NumberFormat(lang === "en" ? "en" : "vi-VN").format(n)} ${t("vnd")}`;
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
      mine = (await reply.json()).loans.filter((loan) => loan.lender_agency === me.agency);
      const kept = loansKept();
      kept[participantId] = {read_at: new Date().toLocaleString(lang === "en" ? "en" : "vi-VN"), loans: mine};
      localStorage.setItem(`tp.loans.${me.username}`, JSON.stringify(kept));
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
    const person = people.find((p) => p.participant_id === participantId);
    let body = null;
    try {
      const reply = await fetch(`/api/v1/participants/${encodeURIComponent(participantId)}/timeline`, {credentials: "same-origin"});
      if (reply.ok) body = await reply.json();
    } catch (error) { /* offline */ }
    const list = el("ol", {class: "timeline"});
    for (const event of body ? body.events : []) {
      const mine = event.source.agency === me.agency || me.kind === "admin";
      const item = el("li", {}, `${event.occurred_on} · ${t(`type.${event.type}`)} · ${event.source.agency}`,
        event.retracted ? ` · ${t("retracted")}` : "");
      if (me.may_retract && mine && !event.retracted && event.type !== "event.retracted") {
        item.append(" ", el("a", {class: "button", href: `#/retract/${event.service}/${event.event_id}/${participantId}`},
          t("retract")));
      }
      list.append(item);
    }
    if (!body) list.append(el("li", {}, t("offline")));
    if (!stillOn(at)) return;
    show(`${t("timeline")} · ${person ? person.full_name : participantId}`, list, el("p", {}, el("a", {href: "#/"}, t("cancel"))));
  }

  // --- routes ------------------------------------------------------------------------------------
  async function route() {
    if (!me) return;
    const parts = (location.hash || "#/").slice(2).split("/").map(decodeURIComponent);
    const name = parts[1];
    const nameOf = (id) => { const p = people.find((x) => x.participant_id === id); return p ? p.full_name : id; };
    if (parts[0] === "form" && FORMS[name] && me.forms.includes(name)) {
      if (!FORMS[name].participant) formPage(name, "", targetOf(name));
      else if (!parts[2]) picker(t(`form.${name}`), (id) => `#/form/${name}/${encodeURIComponent(id)}`);
      else if (FORMS[name].loan && !parts[3]) loanPicker(name, parts[2], nameOf(parts[2]));
      else if (FORMS[name].loan) {
        const loan = loansSeen.get(parts[3]);
        formPage(name, `${nameOf(parts[2])}${loan ? ` · ${loanLabel(loan)}` : ""}`, targetOf(name, parts[2], parts[3]));
      } else formPage(name, nameOf(parts[2]), targetOf(name, parts[2]));
    } else if (parts[0] === "fix" && parts[1]) {
      const entry = await Q.get(parts[1]);
      if (!stillOn(`#/fix/${parts[1]}`)) return;
      if (entry && entry.owner === me.username) formPage(entry.form, entry.subject, entry, entry);
      else home();
    } else if (parts[0] === "find") {
      picker(t("open_timeline"), (id) => `#/participant/${encodeURIComponent(id)}`);
    } else if (parts[0] === "participant" && parts[1]) {
      timeline(parts[1]);
    } else if (parts[0] === "retract" && parts.length === 4 && me.may_retract) {
      formPage("retraction", nameOf(parts[3]), {service: parts[1], path: `/events/${encodeURIComponent(parts[2])}/retraction`});
    } else {
      home();
    }
  }

  async function start() {
    header();
    const current = await loadMe();
    if (current.signedOut && navigator.onLine) {
      localStorage.removeItem("tp.me");
      location.replace("/login?next=/forms/");
      return;
    }
    me = current.me || JSON.parse(localStorage.getItem("tp.me") || "null");
    if (!me) { show(t("app"), el("p", {}, t("first_login"))); return; }
    communes = JSON.parse(localStorage.getItem(`tp.units.${me.username}`) || "[]");
    people = await Q.people(me.username);
    header();
    if (current.me) await refreshLists();
    route();
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { header(); sync(); });
    window.addEventListener("offline", header);
    setInterval(async () => {
      if (navigator.onLine && me && (await Q.list(me.username)).some((e) => e.status === "waiting")) sync();
    }, 5000);
    sync();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/forms/sw.js", {scope: "/forms/"}).catch(() => {});
  }

  start();
})();
