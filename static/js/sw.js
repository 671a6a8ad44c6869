/* Grassroots Ledger service worker. Served from /sw.js by the app, which fills in the
   version, the list of files to precache and a few URLs. Pages with people's data are not
   cached, with a few exceptions (KEEP_URLS): the Scan tab, so a scan can be made and kept
   without network, and the Log tab with its three entry forms, so an entry can be made and kept
   (ledger.js gives a kept form a fresh key and today's date). Such a page is kept only when the
   server marks it as safe to keep (a plain visit: no one-off message, no query string), under
   its one URL, served only to a navigation the network cannot answer, and dropped on every
   sign-in and sign-out and with every new version, so one person's copy can never be shown to
   another. The study list and a study material's page (/study/, /study/<id>: KEEP_OPENED) are
   kept the same way once opened on this phone, so a material can be read again without
   network. When a kept page is kept, the kept pages it links to (the tab bar's other kept tab,
   the Log tab's three forms) are fetched and kept too, if not kept already, so that every form
   a person can reach from a kept tab opens without network even if never opened on this phone.
   Those fetches say X-Keep-Warm: 1 (webapp/pwa.py answers 204 rather than take a one-off
   message meant for the person's next page), are kept only on the same terms, and a warm-up
   begun before the kept pages were dropped, or overtaken by a visit, writes nothing. */
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "gl-shell-" + VERSION;
var PAGES_CACHE = "gl-pages-" + VERSION;  // core.js also drops "gl-pages*" on sign-out
var PRECACHE = __PRECACHE__;
var OFFLINE_URL = __OFFLINE__;
var KEEP_URLS = __KEEP__;  // the pages that may be kept, by path (webapp/pwa.py KEPT_PAGES)
// The study list and each study material's reading page (webapp/study/views.py): kept once
// opened, each under its own path and on the same terms; never warmed (only what the person
// opened on this phone is kept).
var KEEP_OPENED = /^\/study\/([0-9]+)?$/;
var SIGN_URLS = __SIGN__;  // sign-in and sign-out: the person on this browser may change
var generation = 0;   // counts the drops of the kept pages: a warm-up begun before one writes nothing
var visitedAt = {};   // kept path -> when a visit last asked for it: a warm-up yields to a later visit

function dropPages() {
  generation += 1;
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
    generation += 1;
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== SHELL_CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }));
  }
});

// A page the server marked as safe to keep (see above).
function keepable(response) {
  return response.status === 200 && response.type === "basic" && !response.redirected &&
    response.headers.get("X-Keep-Offline") === "1";
}

// The kept pages a page links to, by path (its tab bar, the Log tab's tiles).
function keptLinks(html, base) {
  var found = [];
  var links = /href="([^"]*)"/g;
  var match;
  while ((match = links.exec(html))) {
    var target;
    try { target = new URL(match[1].replace(/&amp;/g, "&"), base); } catch (e) { continue; }
    if (target.origin === self.location.origin && KEEP_URLS.indexOf(target.pathname) >= 0 &&
        found.indexOf(target.pathname) < 0) {
      found.push(target.pathname);
    }
  }
  return found;
}

// Keep the kept pages this page links to that are not kept yet, then those they link to;
// a page visited since the visit that began this (at "since") is left to that visit.
function warm(cache, html, base, gen, since, seen) {
  var wanted = keptLinks(html, base).filter(function (path) { return seen.indexOf(path) < 0; });
  wanted.forEach(function (path) { seen.push(path); });
  return Promise.all(wanted.map(function (path) {
    return cache.match(path, { ignoreVary: true }).then(function (hit) {
      if (hit) { return; }  // kept already; each visit renews it
      return fetch(path, { credentials: "same-origin", headers: { "X-Keep-Warm": "1" } })
        .then(function (response) {
          if (!keepable(response)) { return; }
          return response.clone().text().then(function (text) {
            if (gen !== generation || (visitedAt[path] || 0) > since) { return; }
            return cache.match(path, { ignoreVary: true }).then(function (now) {
              if (now || gen !== generation) { return; }
              return cache.put(path, response).then(function () {
                return warm(cache, text, self.location.origin + path, gen, since, seen);
              });
            });
          });
        });
    }).catch(function () { /* no network: kept on a later visit */ });
  }));
}

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
    var keptUrl = KEEP_URLS.indexOf(url.pathname) >= 0 || KEEP_OPENED.test(url.pathname) ? url.pathname : null;
    var gen = generation;
    var since = Date.now();
    if (keptUrl) { visitedAt[keptUrl] = since; }
    event.respondWith(
      fetch(request).then(function (response) {
        if (keptUrl && keepable(response)) {
          var copy = response.clone();
          var text = response.clone();
          event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
            return cache.put(keptUrl, copy).then(function () { return text.text(); })
              .then(function (html) { return warm(cache, html, url.href, gen, since, [keptUrl]); });
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
    // Versioned static files: cache first, then network. A file of this version fetched at run
    // time (jsQR, which the Scan tab loads only without a BarcodeDetector) is kept for offline use.
    event.respondWith(
      caches.match(request, { ignoreSearch: true }).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.status === 200 && response.type === "basic" &&
              url.searchParams.get("v") === VERSION) {
            var copy = response.clone();
            event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
              return cache.put(request, copy);
            }));
          }
          return response;
        });
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

// A tap opens the notification's page (its url: an /inbox/<id> link marks it read and goes on to
// what it is about). A window of the app already on that page is brought forward; else an open
// window of the app is brought forward and sent there (navigate() works only on a window this
// worker controls, and focus() may be refused: the page is shown either way); else a new window
// opens. Only this site's pages are opened: any other address opens "/".
function pageOf(wanted) {
  var home = new URL("/", self.location.origin);
  try {
    var url = new URL(wanted || "/", self.location.origin);
    return url.origin === self.location.origin ? url : home;
  } catch (e) {
    return home;
  }
}

function bringForward(client) {
  return Promise.resolve(client.focus ? client.focus() : client)
    .catch(function () { return client; });
}

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = pageOf(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        var open = new URL(windows[i].url);
        if (open.pathname + open.search === target.pathname + target.search) {
          return bringForward(windows[i]);
        }
      }
      var mine = windows.filter(function (w) { return w.focused; }).concat(windows)
        .filter(function (w) { return new URL(w.url).origin === self.location.origin; })[0];
      if (!mine) { return self.clients.openWindow(target.href); }
      return bringForward(mine).then(function (focused) {
        return (focused || mine).navigate(target.href);
      }).catch(function () { return self.clients.openWindow(target.href); });
    }));
});

// The browser changed this phone's push subscription (Firefox does, when the push service
// rotates it). The worker only makes sure the phone has one again, with the same key: it has no
// CSRF token to tell the server, and needs none. push.js remembers the subscription the server
// last confirmed, and on the next visit of Me it sees the endpoint differ: it asks the server to
// confirm the old one for the person signed in (a refresh), keeps the new one for them and drops
// the old one. A subscription someone else left on this phone is never passed on that way (the
// server refuses the refresh), and no endpoint beyond /push/subscribe is needed.
function keyOf(text) {
  var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  var raw = atob(padded);
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  return bytes;
}

self.addEventListener("pushsubscriptionchange", function (event) {
  var manager = self.registration.pushManager;
  event.waitUntil(manager.getSubscription().then(function (current) {
    if (event.newSubscription || current) { return null; }  // the browser made the new one
    var old = event.oldSubscription && event.oldSubscription.options &&
      event.oldSubscription.options.applicationServerKey;
    var key = old ? Promise.resolve(old) : fetch("/push/key", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { return keyOf(data.publicKey); });
    return key.then(function (applicationServerKey) {
      return manager.subscribe({ userVisibleOnly: true, applicationServerKey: applicationServerKey });
    });
  }).catch(function () { /* push.js finds no subscription and shows push as off */ }));
});
