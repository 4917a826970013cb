/* The phone's own store (IndexedDB): each person's queue of entries and their participants, both keyed
   by the account. An entry keeps the Idempotency-Key chosen when it was made, so a resend of the same
   entry (after a lost answer, a reload, a second tab) is answered from the service's first reply and
   never recorded twice. Nothing here is ever sent with another account: app.js sends an owner's entries
   only while that owner is the one signed in. */
"use strict";
window.TP_QUEUE = (() => {
  const DB = "tienphong-forms";
  let opened = null;

  function open() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          const entries = db.createObjectStore("entries", {keyPath: "key"});
          entries.createIndex("owner", "owner");
          db.createObjectStore("people", {keyPath: "owner"});
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opened;
  }

  async function run(store, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  return {
    newKey: () => (crypto.randomUUID ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("")),
    put: (entry) => run("entries", "readwrite", (s) => s.put(entry)),
    get: (key) => run("entries", "readonly", (s) => s.get(key)),
    remove: (key) => run("entries", "readwrite", (s) => s.delete(key)),
    list: async (owner) => {
      const all = await run("entries", "readonly", (s) => s.index("owner").getAll(owner));
      return (all || []).sort((a, b) => a.created_at.localeCompare(b.created_at));
    },
    others: async (owner) => {
      const all = await run("entries", "readonly", (s) => s.getAll());
      return (all || []).filter((e) => e.owner !== owner && e.status !== "sent").length;
    },
    savePeople: (owner, items) => run("people", "readwrite", (s) => s.put({owner, items, saved_at: new Date().toISOString()})),
    people: async (owner) => ((await run("people", "readonly", (s) => s.get(owner))) || {items: []}).items,
    forgetPeople: (owner) => run("people", "readwrite", (s) => s.delete(owner)),
  };
})();
