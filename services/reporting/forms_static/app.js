/* Tiên Phong data entry: the forms a signed-in person may use, a participant picker that works offline,
   and a queue of entries per account that is sent when the connection allows (docs/forms.md).
   Vanilla JS, no build step; all text from texts.js; every write goes to the owning service through
   the gateway ("/registration/api/v1/...", "/support/api/v1/..."), with the session's CSRF token. */
"use strict";
(() => {
  const FORMS = window.TP_FORMS, Q = window.TP_QUEUE;
  const {state: S, t, el, show, chooseLanguage} = window.TP_PAGE;
  const {loadMe, refreshLists, send} = window.TP_SEND;
  const {formPage, targetOf} = window.TP_FORM;
  const {picker, loanPicker, loanLabel, loansSeen, timeline} = window.TP_PICKERS;
  const stillOn = window.TP_PAGE.stillOn;
  let syncing = false;

  async function sync() {
    if (syncing || !S.me || !navigator.onLine) return;
    syncing = true;
    let sentAny = false;
    try {
      const current = await loadMe();
      if (current.signedOut) { S.signedOut = true; return; }
      if (!current.me) return;
      if (current.me.username !== S.me.username) { location.reload(); return; }  // someone else signed in here
      S.me = current.me;
      S.signedOut = false;
      const waiting = (await Q.list(S.me.username)).filter((e) => e.status === "waiting");
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
    document.documentElement.lang = S.lang;
    document.title = `Tiên Phong · ${t("app")}`;
    document.getElementById("home-link").textContent = `Tiên Phong · ${t("app")}`;
    document.getElementById("who").textContent = S.me ? `${S.me.username} · ${S.me.scope_name}` : "";
    document.getElementById("net").textContent = (navigator.onLine ? t("online") : t("offline"))
      + (S.signedOut ? ` · ${t("signed_out")}` : "");
    const tools = [el("button", {type: "button", lang: S.lang === "en" ? "vi" : "en", onclick: () => {
      chooseLanguage(S.lang === "en" ? "vi" : "en");  // the dashboard follows it too
      header();
      route();
    }}, t("switch"))];
    if (S.me) {
      tools.push(el("a", {href: `/dashboard/${encodeURIComponent(S.me.scope)}`}, t("dashboard")));
      if (S.signedOut) tools.push(el("a", {href: "/login?next=/forms/"}, t("sign_in")));
      tools.push(el("form", {method: "post", action: "/logout", onsubmit: async (event) => {
        event.preventDefault();
        localStorage.removeItem("tp.me");
        localStorage.removeItem(`tp.loans.${S.me.username}`);
        localStorage.removeItem(`tp.registered.${S.me.username}`);
        // this person's queue is kept for them (never sent by someone else); their participants are not
        await Q.forgetPeople(S.me.username).catch(() => {});
        event.target.submit();
      }}, el("input", {type: "hidden", name: "csrf_token", value: S.me.csrf_token || ""}),
      el("input", {type: "hidden", name: "lang", value: S.lang}), el("button", {type: "submit"}, t("logout"))));
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


  async function home() {
    const at = location.hash || "#/";
    const entries = S.me ? (await Q.list(S.me.username)).reverse() : [];
    const waiting = entries.filter((e) => e.status === "waiting").length;
    const others = S.me ? await Q.others(S.me.username) : 0;
    const forms = (S.me ? S.me.forms : []).map((name) => el("li", {}, el("a", {href: `#/form/${name}`}, t(`form.${name}`))));
    if (S.me && S.me.may_retract) forms.push(el("li", {}, el("a", {href: "#/find"}, t("open_timeline"))));
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
      el("p", {class: "meta"}, [t("people_cached", {n: S.people.length}), waiting ? ` · ${t("waiting_count", {n: waiting})}` : ""].join("")),
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


  // --- routes ------------------------------------------------------------------------------------
  async function route() {
    if (!S.me) return;
    const parts = (location.hash || "#/").slice(2).split("/").map(decodeURIComponent);
    const name = parts[1];
    const nameOf = (id) => { const p = S.people.find((x) => x.participant_id === id); return p ? p.full_name : id; };
    if (parts[0] === "form" && FORMS[name] && S.me.forms.includes(name)) {
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
      if (entry && entry.owner === S.me.username) formPage(entry.form, entry.subject, entry, entry);
      else home();
    } else if (parts[0] === "find") {
      picker(t("open_timeline"), (id) => `#/participant/${encodeURIComponent(id)}`);
    } else if (parts[0] === "participant" && parts[1]) {
      timeline(parts[1]);
    } else if (parts[0] === "retract" && parts.length === 4 && S.me.may_retract) {
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
    S.me = current.me || JSON.parse(localStorage.getItem("tp.me") || "null");
    if (!S.me) { show(t("app"), el("p", {}, t("first_login"))); return; }
    S.communes = JSON.parse(localStorage.getItem(`tp.units.${S.me.username}`) || "[]");
    S.people = await Q.people(S.me.username);
    header();
    if (current.me) await refreshLists();
    route();
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { header(); sync(); });
    window.addEventListener("offline", header);
    setInterval(async () => {
      if (navigator.onLine && S.me && (await Q.list(S.me.username)).some((e) => e.status === "waiting")) sync();
    }, 5000);
    sync();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/forms/sw.js", {scope: "/forms/"}).catch(() => {});
  }

  start();
})();
