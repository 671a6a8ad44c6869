/* Grassroots Ledger service worker. Served from /sw.js by the app, which fills in the
   version, the list of files to precache and a few URLs. Pages with people's data are not
   cached, with a few exceptions (KEEP_URLS): the Scan tab, so a scan can be made and kept
   without network, and the Log tab with its three entry forms, so an entry can be made and kept
   (ledger.js gives a kept form a fresh key and today's date). Such a page is kept only when the
   server marks it as safe to keep (a plain visit: no one-off message, no query string), under
   its one URL, served only to a navigation the network cannot answer, and dropped on every
   sign-in and sign-out and with every new version, so one person's copy can never be shown to
   another. */
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "gl-shell-" + VERSION;
var PAGES_CACHE = "gl-pages-" + VERSION;  // core.js also drops "gl-pages*" on sign-out
var PRECACHE = __PRECACHE__;
var OFFLINE_URL = __OFFLINE__;
var KEEP_URLS = __KEEP__;  // the pages that may be kept, by path (webapp/pwa.py KEPT_PAGES)
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
  // Everything of older versions goes, the kept pages too (they name the old files).
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
    // Network first. Only the pages in KEEP_URLS are kept (see above), each under its path;
    // any other page, or one never visited on this browser, falls back to the offline page.
    var keptUrl = KEEP_URLS.indexOf(url.pathname) >= 0 ? url.pathname : null;
    event.respondWith(
      fetch(request).then(function (response) {
        if (keptUrl && response.status === 200 && response.type === "basic" &&
            !response.redirected && response.headers.get("X-Keep-Offline") === "1") {
          var copy = response.clone();
          event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
            return cache.put(keptUrl, copy);
          }));
        }
        return response;
      }).catch(function () {
        var kept = keptUrl ? caches.open(PAGES_CACHE).then(function (cache) {
          return cache.match(keptUrl, { ignoreVary: true });
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

// ------------------------------------------------------------ Web Push (webapp/push/sender.py)

// A push carries JSON: title, body, the page to open (url), icon, badge, tag.
self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  event.waitUntil(self.registration.showNotification(data.title || "Grassroots Ledger", {
    body: data.body || "",
    icon: data.icon || "/static/icons/icon-192.png",
    badge: data.badge || "/static/icons/badge-72.png",
    tag: data.tag || undefined,
    data: { url: data.url || "/" }
  }));
});

// A tap opens the notification's page: an open window on it is focused, else a new one opens.
// Only this site's pages are opened.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var wanted = (event.notification.data && event.notification.data.url) || "/";
  var target = new URL(wanted, self.location.origin);
  if (target.origin !== self.location.origin) { target = new URL("/", self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        var open = new URL(windows[i].url);
        if (open.pathname + open.search === target.pathname + target.search &&
            "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target.href);
    }));
});
