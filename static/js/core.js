/* Grassroots Ledger — the core script, on every page (loaded with defer after htmx; no inline
   scripts, strict CSP). It holds what every page shares, each once:
   - window.GL: the CSRF token, a random key, photos made smaller before upload;
   - htmx hooks: the CSRF header, no eval, no style attributes, a refused answer (400/409)
     swapped into a [data-htmx-errors] component so its reason shows;
   - the offline banner, [data-js-hide] (buttons only needed without JS), "Try again" on the
     offline page, the service worker's registration;
   - signing out: a warning when the outbox (outbox.js) still holds what was not sent, then
     dropping what the service worker kept for this person.
   Page scripts (ledger.js, scanner.js, branches.js, review.js …) build on window.GL. */
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.82;
  var GL = window.GL = window.GL || {};

  GL.csrfToken = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  GL.uuid = function () {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  };

  // Photos straight from a phone's camera are several MB: shrink them (canvas, JPEG) before
  // upload, for the ledger's evidence (ledger.js) and a branch activity's photos (branches.js).
  GL.downscale = function (file) {
    if (!/^image\/(jpeg|png|webp|heic|heif)$/i.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size < 1024 * 1024) {
        bitmap.close && bitmap.close();
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close && bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          try { resolve(new File([blob], name, { type: "image/jpeg" })); } catch (e) {
            blob.name = name; resolve(blob);
          }
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  };

  // ------------------------------------------------------------ htmx

  function configureHtmx() {
    if (!window.htmx) { return; }
    window.htmx.config.allowEval = false;
    window.htmx.config.includeIndicatorStyles = false;
    // The CSP forbids style attributes, so htmx must not carry them over when it settles.
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }
  configureHtmx();
  document.addEventListener("DOMContentLoaded", configureHtmx);

  // htmx sends the CSRF token as a header on every state-changing request.
  document.addEventListener("htmx:configRequest", function (event) {
    var method = (event.detail.verb || "get").toUpperCase();
    if (method !== "GET") {
      event.detail.headers["X-CSRF-Token"] = GL.csrfToken();
    }
  });

  // A refused action (400/409: a review decision, an attendance mark) still replaces its row
  // inside a component marked [data-htmx-errors], so the reason shows where it was asked.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 400 || status === 409) && target && target.closest &&
        target.closest("[data-htmx-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Filters apply as soon as they change; their "Show" button is for pages without JS.
  function hideNoJs(root) {
    root.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
  }
  document.addEventListener("DOMContentLoaded", function () { hideNoJs(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    hideNoJs(event.detail.target.parentNode || document);
  });

  // ------------------------------------------------------------ offline banner and page

  function showOnline() {
    var banner = document.getElementById("offline-banner");
    if (banner) { banner.hidden = navigator.onLine; }
  }
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  document.addEventListener("DOMContentLoaded", showOnline);

  // "Try again" on the offline page reloads the page the person wanted.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reload]");
    if (link && document.querySelector("[data-offline-page]")) {
      event.preventDefault();
      window.location.reload();
    }
  });

  // ------------------------------------------------------------ signing out

  // The server's Clear-Site-Data deletes the outbox with everything else, so ask first when
  // it holds entries or scans not yet sent (outbox.js keeps the counts at hand: the question
  // must be asked before the submit goes on).
  function signOutWarning(form) {
    var unsent = GL.outbox ? GL.outbox.unsent() : { entry: 0, scan: 0 };
    var parts = [];
    [["entry", "data-outbox-warning"], ["scan", "data-scan-warning"]].forEach(function (pair) {
      var text = form.getAttribute(pair[1]);
      if (unsent[pair[0]] && text) { parts.push(text.replace("{n}", String(unsent[pair[0]]))); }
    });
    return parts.join("\n\n");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-logout")) { return; }
    var warning = signOutWarning(form);
    if (warning && !window.confirm(warning)) {
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

  // ------------------------------------------------------------ service worker

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
