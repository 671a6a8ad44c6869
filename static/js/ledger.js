/* Grassroots Ledger — the ledger's enhancements. Every form works without this file.
   - hours stepper (quarter hours), closing date shown only for closed cases;
   - photos made smaller on the phone before upload (canvas);
   - an entry made without network is kept on the phone (IndexedDB) and sent once the
     network returns, with the form's idempotency key, so a retry never makes a second entry;
   - a form page may be a copy the service worker kept for use without network (sw.js), made
     days ago: it gets a fresh key and today's date when it loads;
   - review queue: "tick all" per group, and htmx swaps for refused decisions.
   Loaded with defer from base.html; no inline scripts (strict CSP). */
(function () {
  "use strict";

  var script = document.currentScript;
  var USER = script ? script.getAttribute("data-user") || "" : "";
  var DB_NAME = "gl-ledger";
  var STORE = "outbox";
  var MAX_SIDE = 1600;
  var QUALITY = 0.82;
  var SEND_TIMEOUT = 25000;
  var pendingCount = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // ------------------------------------------------------------ the outbox (IndexedDB)

  var dbPromise = null;

  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    dbPromise.catch(function () { dbPromise = null; });
    return dbPromise;
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var outbox = {
    all: function () {
      return withStore("readonly", function (store) { return store.getAll(); })
        .then(function (items) { return (items || []).filter(function (i) { return i.user === USER; }); });
    },
    put: function (item) { return withStore("readwrite", function (store) { return store.put(item); }); },
    remove: function (key) { return withStore("readwrite", function (store) { return store.delete(key); }); }
  };

  // ------------------------------------------------------------ outbox display

  function texts() {
    var el = document.querySelector("[data-outbox-text]");
    return el ? el.dataset : {};
  }

  function describe(item) {
    var t = texts();
    if (item.state === "refused") { return (t.refused || "") + " " + (item.error || ""); }
    if (item.state === "signin") { return t.signin || ""; }
    return t.waiting || "";
  }

  function render() {
    return outbox.all().then(function (items) {
      pendingCount = items.length;
      document.querySelectorAll("[data-outbox]").forEach(function (card) {
        card.hidden = items.length === 0;
        card.querySelectorAll("[data-outbox-count]").forEach(function (n) { n.textContent = String(items.length); });
        var list = card.querySelector("[data-outbox-list]");
        var template = card.querySelector("template[data-outbox-item]");
        if (!list || !template) { return; }
        list.textContent = "";
        items.sort(function (a, b) { return a.created - b.created; }).forEach(function (item) {
          var row = template.content.firstElementChild.cloneNode(true);
          row.dataset.key = item.key;
          if (item.state === "refused") { row.classList.add("refused"); }
          row.querySelector('[data-field="label"]').textContent = item.label || "";
          row.querySelector('[data-field="summary"]').textContent = item.summary || "";
          row.querySelector('[data-field="state"]').textContent = describe(item);
          var remove = row.querySelector("[data-outbox-remove]");
          if (remove) { remove.hidden = false; }
          list.appendChild(row);
        });
      });
    }).catch(function () { /* no IndexedDB: nothing is kept, nothing to show */ });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outbox-remove]");
    if (!button) { return; }
    var row = button.closest("[data-key]");
    if (!row || !window.confirm(texts().confirmRemove || "")) { return; }
    outbox.remove(row.dataset.key).then(render);
  });

  // ------------------------------------------------------------ sending what was kept

  var flushing = false;

  function sendItem(item) {
    var data = new FormData();
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("csrf_token", csrfToken());
    (item.files || []).forEach(function (f) { data.append(f.name, f.blob, f.filename); });
    return fetch(item.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // Signed out (the login page or a CSRF refusal): keep it until they sign in.
        item.state = "signin";
        return outbox.put(item).then(function () { throw new Error("stop"); });
      }
      return response.json().then(function (body) {
        if (response.ok) { return outbox.remove(item.key); }
        if (response.status >= 400 && response.status < 500) {
          item.state = "refused";
          item.error = body.error || "";
          return outbox.put(item);
        }
        throw new Error("server");
      });
    });
  }

  function flushNow() {
    return outbox.all().then(function (items) {
      var todo = items.filter(function (i) { return i.state !== "refused"; })
        .sort(function (a, b) { return a.created - b.created; });
      return todo.reduce(function (chain, item) {
        return chain.then(function () { return sendItem(item); });
      }, Promise.resolve());
    });
  }

  function flush() {
    if (flushing || !USER || !navigator.onLine || !window.fetch) { return Promise.resolve(); }
    flushing = true;
    var run = function () { return flushNow(); };
    // One tab at a time; the idempotency key protects the rest.
    var job = (navigator.locks && navigator.locks.request)
      ? navigator.locks.request("gl-ledger-outbox", run) : run();
    return Promise.resolve(job).catch(function () { /* try again later */ })
      .then(function () { flushing = false; return render(); });
  }

  window.addEventListener("online", function () { flush(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flush(); }
  });
  setInterval(function () { if (pendingCount) { flush(); } }, 60000);

  // ------------------------------------------------------------ photos made smaller

  function downscale(file) {
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
  }

  // Shared with the branch activity form (branches.js), so photos are shrunk one way.
  window.GL = window.GL || {};
  window.GL.downscale = downscale;

  function checkFiles(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var pdfs = files.filter(function (f) { return f.type === "application/pdf"; }).length;
    var photos = files.length - pdfs;
    if (pdfs && photos) { return input.dataset.mixed; }
    if (photos > Number(input.dataset.maxPhotos || 3)) { return input.dataset.tooMany; }
    return "";
  }

  function formData(form) {
    var data = new FormData(form);
    var input = form.querySelector("input[type=file][data-evidence]");
    if (!input || !input.files || !input.files.length) { return Promise.resolve(data); }
    data.delete(input.name);
    var files = Array.prototype.slice.call(input.files);
    return Promise.all(files.map(downscale)).then(function (ready) {
      ready.forEach(function (f) { data.append(input.name, f, f.name || "photo.jpg"); });
      return data;
    });
  }

  // ------------------------------------------------------------ submitting a form

  function fieldError(form, input, message) {
    var wrap = input.closest(".field") || form;
    var old = wrap.querySelector(".field-error.js-error");
    if (old) { old.remove(); }
    if (!message) { return; }
    var p = document.createElement("p");
    p.className = "field-error js-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    wrap.appendChild(p);
    var more = input.closest("details");
    if (more) { more.open = true; }
    input.focus();
  }

  function formError(form, message) {
    var old = form.querySelector(".form-error.js-error");
    if (old) { old.remove(); }
    var p = document.createElement("p");
    p.className = "form-error js-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    form.insertBefore(p, form.firstElementChild);
    p.scrollIntoView({ block: "center" });
  }

  function summaryOf(form) {
    var parts = [];
    var date = form.querySelector("[name=date]");
    var hours = form.querySelector("[name=hours]");
    var caseNo = form.querySelector("[name=case_number]");
    if (date && date.value) { parts.push(date.value); }
    if (hours && hours.value) { parts.push(hours.value + " h"); }
    if (caseNo && caseNo.value) { parts.push(caseNo.value); }
    return parts.join(" · ");
  }

  function keep(form, data) {
    var keyInput = form.querySelector("[data-idempotency]");
    var key = (keyInput && keyInput.value) || uuid();
    var item = {
      key: key, user: USER, action: form.action, label: form.dataset.label || "",
      summary: summaryOf(form), created: Date.now(), state: "waiting", fields: [], files: []
    };
    data.forEach(function (value, name) {
      if (name === "csrf_token") { return; }
      if (name === "idempotency_key") { value = key; }
      if (typeof value === "string") { item.fields.push([name, value]); }
      else if (value && value.size) { item.files.push({ name: name, blob: value, filename: value.name || "file" }); }
    });
    return outbox.put(item).then(function () {
      var kept = document.createElement("p");
      kept.className = "flash";
      kept.setAttribute("role", "status");
      kept.textContent = form.dataset.keptMessage || texts().waiting || "";
      form.reset();
      freshForm(form);  // a new key, and today's date again if the page is older than today
      var old = form.parentNode.querySelector(".flash.js-kept");
      if (old) { old.remove(); }
      kept.classList.add("js-kept");
      form.parentNode.insertBefore(kept, form);
      kept.scrollIntoView({ block: "center" });
      return render();
    });
  }

  function swapMain(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main || !fresh.querySelector("form[data-ledger-form]")) { return false; }
    main.innerHTML = fresh.innerHTML;
    if (doc.title) { document.title = doc.title; }
    enhance(main);
    var error = main.querySelector(".form-error, .field-error");
    if (error) {
      var more = error.closest("details");
      if (more) { more.open = true; }
      error.scrollIntoView({ block: "center" });
    }
    return true;
  }

  function submitEntry(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-ledger-form], form[data-evidence-form]")) { return; }
    if (!window.fetch || !window.FormData || !window.Promise || !window.DOMParser) { return; }
    event.preventDefault();
    if (form.dataset.busy === "1") { return; }
    var input = form.querySelector("input[type=file][data-evidence]");
    var problem = input ? checkFiles(input) : "";
    if (problem) { fieldError(form, input, problem); return; }
    var offlineOk = form.hasAttribute("data-ledger-form") && form.dataset.offline === "yes" &&
      !!window.indexedDB;
    var button = form.querySelector("button[type=submit]");
    form.dataset.busy = "1";
    if (button) { button.disabled = true; }
    var done = function () { form.dataset.busy = ""; if (button) { button.disabled = false; } };
    formData(form).then(function (data) {
      if (!navigator.onLine && offlineOk) { return keep(form, data); }
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
      return fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "text/html" }, signal: controller ? controller.signal : undefined
      }).then(function (response) {
        clearTimeout(timer);
        var landed = new URL(response.url, window.location.href);
        if (response.ok && response.redirected) {
          if (landed.pathname === form.dataset.login && offlineOk) {
            // Signed out meanwhile: keep it and send it after signing in.
            return keep(form, data).then(function () { window.location.assign(response.url); });
          }
          window.location.assign(response.url);
          return;
        }
        return response.text().then(function (html) {
          if (!swapMain(html)) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var h1 = doc.querySelector("main h1");
            formError(form, h1 ? h1.textContent.trim() : String(response.status));
          }
        });
      }, function () {
        clearTimeout(timer);
        if (offlineOk) { return keep(form, data); }
        formError(form, form.dataset.networkError || "");
      });
    }).then(done, done);
  }

  document.addEventListener("submit", submitEntry);

  // ------------------------------------------------------------ sign-out warning

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-logout") || !pendingCount) { return; }
    var warning = form.getAttribute("data-outbox-warning");
    if (warning && !window.confirm(warning.replace("{n}", String(pendingCount)))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // ------------------------------------------------------------ small enhancements

  function stepper(input) {
    if (input.dataset.enhanced) { return; }
    input.dataset.enhanced = "1";
    var step = Number(input.step) || 0.25;
    var min = Number(input.min) || step;
    var max = Number(input.max) || 12;
    function make(sign, label, text) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-secondary step";
      b.textContent = text;
      b.setAttribute("aria-label", label || text);
      b.addEventListener("click", function () {
        var value = parseFloat(input.value);
        if (isNaN(value)) { value = sign > 0 ? 1 - step : min + step; }
        value = Math.round((value + sign * step) / step) * step;
        value = Math.min(max, Math.max(min, value));
        input.value = String(Number(value.toFixed(2)));
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      return b;
    }
    input.parentNode.insertBefore(make(-1, input.dataset.less, "−"), input);
    input.parentNode.appendChild(make(1, input.dataset.more, "+"));
  }

  function closedToggle(form) {
    var box = form.querySelector("[data-closed-only]");
    if (!box || form.dataset.closedToggle) { return; }
    form.dataset.closedToggle = "1";
    var update = function () {
      var closed = form.querySelector("input[name=case_status][value=closed]");
      box.hidden = !(closed && closed.checked);
    };
    form.addEventListener("change", function (event) {
      if (event.target.name === "case_status") { update(); }
    });
    update();
  }

  function enhance(root) {
    root.querySelectorAll("[data-stepper] input[type=number]").forEach(stepper);
    root.querySelectorAll("[data-idempotency]").forEach(function (input) {
      if (!input.value) { input.value = uuid(); }
    });
    root.querySelectorAll("form[data-ledger-form]").forEach(function (form) {
      closedToggle(form);
      var hint = form.querySelector("[data-offline-hint]");
      if (hint) { hint.hidden = navigator.onLine || form.dataset.offline !== "yes"; }
    });
    root.querySelectorAll(".tick-all").forEach(function (label) { label.hidden = false; });
    root.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
    // Filters apply as soon as they change; their "Show" button is for pages without JS.
    root.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
  }

  function showOfflineHints() {
    document.querySelectorAll("form[data-ledger-form] [data-offline-hint]").forEach(function (hint) {
      hint.hidden = navigator.onLine || hint.closest("form").dataset.offline !== "yes";
    });
  }
  window.addEventListener("online", showOfflineHints);
  window.addEventListener("offline", showOfflineHints);

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-tick-group]")) { return; }
    var group = box.closest(".queue-group");
    if (!group) { return; }
    group.querySelectorAll('input[name="pick"]').forEach(function (pick) { pick.checked = box.checked; });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });

  // The CSP forbids style attributes, so htmx must not carry them over when it settles.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // htmx: a refused decision (400/409) still replaces the row, so the reason shows.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 400 || status === 409) && target && target.closest &&
        target.closest("[data-htmx-errors], .queue-entry, #queue")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target.parentNode || document); });

  function localToday() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  // A loaded page may be a copy the service worker kept (sw.js), or one restored by the back
  // button: it must not send an earlier entry's key again (a new entry under an old key would be
  // taken for a retry and quietly dropped), nor offer the day it was made as "today". The for_user
  // field stays as it is: the server still refuses a form of someone else's.
  function freshForm(form) {
    var key = form.querySelector("[data-idempotency]");
    if (!key) { return; }  // changing an entry: no key, and its date is the entry's
    key.value = uuid();
    var today = localToday();
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      // The server's today when it made the page (kept aside: the max is moved on below).
      var made = input.dataset.madeOn || input.getAttribute("max") || "";
      input.dataset.madeOn = made;
      if (!made || made >= today) { return; }
      if (input.name === "date" && input.value === made &&
          input.getAttribute("value") === made) { input.value = today; }
      input.max = today;
    });
  }

  function freshForms() {
    document.querySelectorAll("form[data-ledger-form]").forEach(freshForm);
  }

  document.addEventListener("DOMContentLoaded", function () {
    freshForms();
    enhance(document);
    render().then(flush);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    freshForms();
    render().then(flush);
  });
})();
