/* Grassroots Ledger service worker. Served from /sw.js by the app, which fills in the
   version and the list of files to precache. Pages with people's data are never cached,
   so one person's pages can never be shown to another; only the app shell is kept. */
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "gl-shell-" + VERSION;
var PRECACHE = __PRECACHE__;
var OFFLINE_URL = __OFFLINE__;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== SHELL_CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "clear-user-data") {
    // Only the shell is cached; drop any other cache a later version may have made.
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== SHELL_CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }

  if (request.mode === "navigate") {
    // Network first, never stored; the offline page when the network fails.
    event.respondWith(
      fetch(request).catch(function () {
        return caches.open(SHELL_CACHE).then(function (cache) { return cache.match(OFFLINE_URL); });
      })
    );
    return;
  }

  if (url.pathname.indexOf("/static/") === 0) {
    // Versioned static files: cache first, then network.
    event.respondWith(
      caches.match(request, { ignoreSearch: true }).then(function (hit) {
        return hit || fetch(request);
      })
    );
  }
});
