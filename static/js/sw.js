/* Grassroots Ledger service worker. Served from /sw.js by the app, which fills in the
   version, the list of files to precache and a few URLs. Pages with people's data are not
   cached, with one exception: the Scan tab, so a scan can be made and kept without network.
   That page is kept only when the server marks it as safe to keep (no one-off message), under
   its one URL, and it is dropped on every sign-in and sign-out, so one person's copy can never
   be shown to another. */
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "gl-shell-" + VERSION;
var PAGES_CACHE = "gl-pages-" + VERSION;  // app.js also drops "gl-pages*" on sign-out
var PRECACHE = __PRECACHE__;
var OFFLINE_URL = __OFFLINE__;
var SCAN_URL = __SCAN__;
var SIGN_URLS = __SIGN__;  // sign-in and sign-out: the person on this browser may change

function dropPages() {
  return caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf("gl-pages") === 0; })
      .map(function (key) { return caches.delete(key); }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  // Everything of older versions goes, the kept Scan page too (it names the old files).
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== SHELL_CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "clear-user-data") {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== SHELL_CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    if (request.mode === "navigate" && SIGN_URLS.indexOf(url.pathname) >= 0) {
      event.waitUntil(dropPages());  // the request itself goes to the network untouched
    }
    return;
  }

  if (request.mode === "navigate") {
    // Network first. Only the Scan tab is kept (see above); any other page, or the Scan tab
    // never visited on this browser, falls back to the offline page.
    var scanTab = url.pathname === SCAN_URL;
    event.respondWith(
      fetch(request).then(function (response) {
        if (scanTab && response.status === 200 && response.type === "basic" &&
            !response.redirected && response.headers.get("X-Keep-Offline") === "1") {
          var copy = response.clone();
          event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
            return cache.put(SCAN_URL, copy);
          }));
        }
        return response;
      }).catch(function () {
        var kept = scanTab ? caches.open(PAGES_CACHE).then(function (cache) {
          return cache.match(SCAN_URL, { ignoreVary: true });
        }) : Promise.resolve(undefined);
        return kept.then(function (hit) {
          return hit || caches.open(SHELL_CACHE).then(function (cache) { return cache.match(OFFLINE_URL); });
        });
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
