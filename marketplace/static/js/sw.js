// Kaaj's service worker, served at /sw.js by marketplace.views.service_worker, which puts
// `const KAAJ = {static: [...], offline: {en: ..., bn: ...}, version}` above this file.
//
// It keeps two things for a phone on a bad connection: the static files (their names are
// hashed in production, so a cached one never goes stale) and the offline page in each
// language, shown when a page cannot be loaded. Pages themselves are never cached: they are
// personal and change with every task.
"use strict";
/* global KAAJ */
const CACHE = "kaaj-" + KAAJ.version;
let language = (self.navigator.language || "en").slice(0, 2) === "bn" ? "bn" : "en";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([...KAAJ.static, ...Object.values(KAAJ.offline)]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("kaaj-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

function offlinePage() {
  return caches.match(KAAJ.offline[language] || KAAJ.offline.en);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then((response) => {
          // The page's language (LocaleMiddleware's Content-Language) picks the offline page.
          const served = (response.headers.get("Content-Language") || "").slice(0, 2);
          if (served in KAAJ.offline) {
            language = served;
          }
          return response;
        })
        .catch(offlinePage)
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // A hashed name (kaaj.3f2a9c1b7d0e.css) never changes: the cache first. An unhashed one
    // (development) may: the network first, the cache when offline.
    const hashed = /\.[0-9a-f]{12}\.[a-z0-9]+$/.test(url.pathname);
    const fromNetwork = () => fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    });
    event.respondWith(
      hashed
        ? caches.match(request).then((cached) => cached || fromNetwork())
        : fromNetwork().catch(() => caches.match(request))
    );
  }
});
