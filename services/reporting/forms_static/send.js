/* The forms app's talk with the services: who is signed in, the lists kept on the phone, and sending one
   queued entry to its service (docs/forms.md). */
"use strict";
window.TP_SEND = (() => {
  const Q = window.TP_QUEUE;
  const {state: S} = window.TP_PAGE;

  // --- who is signed in ---------------------------------------------------------------------------
  // also takes up the language the person last chose anywhere (the dashboard's ?lang=, or these forms)
  async function loadMe() {
    try {
      const reply = await fetch("/api/v1/me", {credentials: "same-origin", cache: "no-store"});
      if (reply.status === 401) return {signedOut: true};
      if (!reply.ok) return {};
      const body = await reply.json();
      if (!body.username) return {signedOut: true};
      if (body.lang === "vi" || body.lang === "en") {
        S.lang = body.lang;
        localStorage.setItem("tp.lang", S.lang);
      }
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
        fetch(`/api/v1/directory/${encodeURIComponent(S.me.scope)}`, {credentials: "same-origin"})
          .then((r) => (r.ok ? r.json() : null)),
      ]);
      if (units) {
        S.communes = units.filter((u) => u.level === "commune");
        localStorage.setItem(`tp.units.${S.me.username}`, JSON.stringify(S.communes));
      }
      if (directory) {
        // the directory is the read side, a moment behind: someone registered here just now is kept in
        // the list (and can be picked for the next form) until it has them
        const listed = new Set(directory.items.map((p) => p.participant_id));
        const waiting = justRegistered().filter((p) => !listed.has(p.participant_id));
        localStorage.setItem(`tp.registered.${S.me.username}`, JSON.stringify(waiting));
        S.people = directory.items.concat(waiting);
        await Q.savePeople(S.me.username, S.people);
      }
    } catch (error) { /* offline meanwhile: the saved lists stay */ }
  }

  const justRegistered = () => JSON.parse(localStorage.getItem(`tp.registered.${S.me.username}`) || "[]");

  // A registration the service accepted: the person as the directory will list them.
  function keepRegistered(entry, reply) {
    if (entry.form !== "registration" || !reply || !reply.participant_id) return;
    const b = entry.body;
    const commune = (S.communes || []).find((u) => u.code === b.org_unit);
    const person = {participant_id: reply.participant_id, full_name: b.full_name, birth_date: b.birth_date,
                    phone: b.phone || null, org_unit: b.org_unit, org_unit_name: commune ? commune.name : b.org_unit,
                    status: "registered"};
    localStorage.setItem(`tp.registered.${S.me.username}`, JSON.stringify(justRegistered().concat([person])));
    S.people = S.people.concat([person]);
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
          headers: {"Content-Type": "application/json", "X-CSRF-Token": S.me.csrf_token || "",
                    "Idempotency-Key": entry.key, "Accept-Language": S.lang}});
      } catch (error) {
        return "waiting";
      }
      if (reply.status === 401) { S.signedOut = true; return "signed_out"; }
      const payload = await reply.json().catch(() => null);
      const code = payload && payload.error ? payload.error.code : null;
      if (reply.ok) {
        Object.assign(entry, {status: "sent", reply: payload, error: null, sent_at: new Date().toISOString()});
        keepRegistered(entry, payload);
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
  return {loadMe, refreshLists, send};
})();
