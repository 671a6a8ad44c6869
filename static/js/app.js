/* Grassroots Ledger — small progressive enhancements. Loaded with defer; no inline scripts. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx sends the CSRF token as a header on every state-changing request.
  document.addEventListener("htmx:configRequest", function (event) {
    var method = (event.detail.verb || "get").toUpperCase();
    if (method !== "GET") {
      event.detail.headers["X-CSRF-Token"] = csrfToken();
    }
  });
  if (window.htmx) {
    window.htmx.config.allowEval = false;
    window.htmx.config.includeIndicatorStyles = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      window.htmx.config.allowEval = false;
      window.htmx.config.includeIndicatorStyles = false;
    }
  });

  // Offline banner.
  function showOnline() {
    var banner = document.getElementById("offline-banner");
    if (banner) { banner.hidden = navigator.onLine; }
  }
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  document.addEventListener("DOMContentLoaded", showOnline);

  // Signing out clears what the service worker and this page kept for this person. The server's
  // Clear-Site-Data also deletes scans kept offline and not yet sent (scanner.js), so ask first.
  function keptScans() {
    try { return JSON.parse(localStorage.getItem("gl-scan-queue") || "[]").length; } catch (e) { return 0; }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-logout")) { return; }
    var kept = keptScans();
    var warning = form.getAttribute("data-scan-warning");
    if (kept && warning && !window.confirm(warning.replace("{n}", String(kept)))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    try {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "clear-user-data" });
      }
      if (window.caches) {
        caches.keys().then(function (keys) {
          keys.forEach(function (key) { if (key.indexOf("gl-pages") === 0) { caches.delete(key); } });
        });
      }
      if (window.localStorage) { localStorage.removeItem("gl-user"); }
    } catch (e) { /* sign-out must never be blocked */ }
  }, true);

  // "Try again" on the offline page reloads the page the person wanted.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reload]");
    if (link && document.querySelector("[data-offline-page]")) {
      event.preventDefault();
      window.location.reload();
    }
  });

  // Register the service worker (needs a secure context: https or localhost).
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      var meta = document.querySelector('meta[name="sw-url"]');
      if (!meta) { return; }
      navigator.serviceWorker.register(meta.getAttribute("content"), { scope: "/" })
        .catch(function () { /* the app works without it */ });
    });
  }
})();
