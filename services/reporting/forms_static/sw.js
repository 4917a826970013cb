/* The forms' service worker: keeps the app shell (this folder's files) for use without a connection.
   Network first, so a deployed change shows at the next load online; the cached copy when offline.
   /api/v1 is never cached here: the app keeps the participants and the queue in IndexedDB, per account. */
"use strict";
const CACHE = "tienphong-forms-v2";
const SHELL = ["/forms/", "/forms/app.js", "/forms/queue.js", "/forms/texts.js", "/forms/fields.js",
  "/forms/page.js", "/forms/send.js", "/forms/form.js", "/forms/pickers.js",
  "/forms/forms.css", "/forms/manifest.webmanifest", "/forms/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return;
  }
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())));
});
