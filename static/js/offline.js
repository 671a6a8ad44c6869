/* Grassroots Ledger — the offline page (pwa/offline.html). It stands in for a page the network
   could not bring; this offers the pages the service worker kept on this phone for its person
   (sw.js: the Scan tab, the Log tab and its forms), which open without network: each
   [data-kept="path"] shows only if that page is kept, [data-kept-links] if any is, and the
   tab bar in template[data-kept-tabbar] is put in if the page its data-needs names is kept.
   Nothing is shown after a sign-out (the kept pages go with it). No inline scripts (CSP). */
(function () {
  "use strict";

  function show(kept) {
    var any = false;
    document.querySelectorAll("[data-kept]").forEach(function (el) {
      el.hidden = !kept[el.getAttribute("data-kept")];
      any = any || !el.hidden;
    });
    document.querySelectorAll("[data-kept-links]").forEach(function (el) { el.hidden = !any; });
    document.querySelectorAll("template[data-kept-tabbar]").forEach(function (template) {
      if (kept[template.getAttribute("data-needs")]) {
        template.parentNode.insertBefore(template.content.cloneNode(true), template);
        template.remove();
      }
    });
  }

  function keptPages() {
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key.indexOf("gl-pages") === 0; })
        .map(function (key) { return caches.open(key).then(function (cache) { return cache.keys(); }); }));
    }).then(function (lists) {
      var kept = {};
      lists.forEach(function (requests) {
        requests.forEach(function (r) { kept[new URL(r.url).pathname] = true; });
      });
      return kept;
    });
  }

  function start() {
    if (!window.caches || !document.querySelector("[data-offline-page]")) { return; }
    keptPages().then(show).catch(function () { /* nothing kept to offer */ });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
