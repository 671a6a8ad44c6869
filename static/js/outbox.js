/* Grassroots Ledger — the one offline outbox, on every signed-in page (after core.js).
   What a person records without network is kept on the phone (IndexedDB, so it survives a
   closed browser) and sent when the network returns, exactly once:
   - an entry (kind "entry", from ledger.js, and a firm report's text from reports.js): the
     form's fields and files, sent as the form to its own action with its idempotency key; the
     server answers JSON. Accepted: dropped. Refused (4xx: not saved): kept with the server's
     reason and not sent again by itself; its row offers "correct it and send again", which
     opens the form it came from (its page#kept=<key>) with its values and the reason shown
     (GL.reopenKept), sent from there under the same key (a refused one was never saved; a 409,
     the key taken by another account, gets a fresh one); the kept copy goes once it is saved
     or kept again. Not sent (no network, a 5xx): kept as waiting and sent again by itself.
     The [data-outbox] cards list both (each with its own label);
   - a scan (kind "scan", from scanner.js): the code's path and the scan time, sent as JSON to
     POST /checkin/sync under its own key. Any answer (checked in, or refused with a reason)
     is kept as "answered" until the Scan tab has shown it, then dropped.
   Both: each item belongs to the person who made it (data-user) and is sent only from that
   person's pages; an answer that is not JSON (signed out meanwhile) keeps it ("signin") and
   stops until the next attempt; a network error, a 5xx or no answer in 30 s keeps it as it was
   and the next attempt comes 3 s later, then 6, 12, … up to every minute. One tab sends at
   a time (Web Locks); the keys make a resend after a lost answer harmless.
   Scans kept by the older scanner in localStorage ("gl-scan-queue") move in here on first load.
   window.GL.outbox: add, remove, all, flush, refresh, unsent (counts for the sign-out warning); every
   change fires "gl:outbox" on document with the person's items. The [data-outbox] cards (Log
   tab, entry forms, home) list the entries waiting.
   For the forms that keep what they cannot send (ledger.js, reports.js), one way to send:
   GL.sendForm (fetch with a timeout; a redirect followed; a page with errors swapped in; no
   answer, no network or signed out meanwhile: kept), GL.keptItem (the form as an outbox
   item under its idempotency key), GL.reopenKept (a refused item back in its form),
   GL.swapMain and GL.fieldError. */
(function () {
  "use strict";

  var GL = window.GL;
  var script = document.currentScript;
  var USER = script ? script.getAttribute("data-user") || "" : "";
  var SCAN_SYNC = script ? script.getAttribute("data-scan-sync") || "" : "";
  var DB_NAME = "gl-ledger";  // named when it held only entries; kept so none are lost
  // Still version 1: the store is the one entries were kept in, so a tab still running the
  // older script (which never closes its connection) does not block an upgrade.
  var DB_VERSION = 1;
  var STORE = "outbox";
  var OLD_SCANS = "gl-scan-queue";
  // After a failed attempt, try again soon, then less often: the "online" event often comes
  // before the network really answers, and a township network comes and goes.
  var RETRY_MS = [3000, 6000, 12000, 24000, 48000, 60000];
  var SEND_TIMEOUT_MS = 30000;  // a request that never comes back must not hold the outbox
  var unsent = { entry: 0, scan: 0 };
  var FORM_TIMEOUT_MS = 25000;  // a form's own send gives up a little before the outbox would
  var reopened = null;  // the refused item opened back in this page's form: { action, key }

  // ------------------------------------------------------------ a form sent by fetch

  GL.fieldError = function (form, input, text) {
    var wrap = input.closest(".field") || form;
    var old = wrap.querySelector(".field-error.js-error");
    if (old) { old.remove(); }
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = "field-error js-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    wrap.appendChild(p);
    var more = input.closest("details");
    if (more) { more.open = true; }
    input.focus();
  };

  // Put the answer's <main> in place of this one if it holds the form again (with its errors).
  GL.swapMain = function (html, formSelector, after) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main || !fresh.querySelector(formSelector)) { return false; }
    main.innerHTML = fresh.innerHTML;
    if (doc.title) { document.title = doc.title; }
    if (after) { after(main); }
    if (GL.outbox) { GL.outbox.refresh().catch(function () {}); }  // the new main's outbox card
    var error = main.querySelector(".form-error, .field-error");
    if (error) {
      var more = error.closest("details");
      if (more) { more.open = true; }
      error.scrollIntoView({ block: "center" });
    }
    return true;
  };

  // The form as an outbox item under its idempotency key: its text, and its files if asked.
  GL.keptItem = function (form, data, summary, withFiles) {
    var keyInput = form.querySelector("[data-idempotency]");
    var key = (keyInput && keyInput.value) || GL.uuid();
    var item = { key: key, kind: "entry", action: form.action, label: form.dataset.label || "",
                 page: window.location.pathname + window.location.search,
                 summary: summary, fields: [], files: [] };
    data.forEach(function (value, name) {
      if (name === "csrf_token") { return; }
      if (name === "idempotency_key") { value = key; }
      if (typeof value === "string") { item.fields.push([name, value]); }
      else if (withFiles && value && value.size) {
        item.files.push({ name: name, blob: value, filename: value.name || "file" });
      }
    });
    return item;
  };

  // The refused item this form was opened with, if the form is the one it came from.
  function reopenedFor(form) {
    return reopened && reopened.action === form.action ? reopened : null;
  }

  // Sent and saved, or kept again under the key it was sent with: the refused copy goes.
  function settleReopened(form, usedKey) {
    var was = reopenedFor(form);
    if (!was || !GL.outbox) { return Promise.resolve(); }
    reopened = null;
    if (usedKey && usedKey === was.key) { return Promise.resolve(); }  // kept again in its place
    return GL.outbox.remove(was.key).catch(function () {});
  }

  /* Send a form by fetch. o.data(form) → Promise of its FormData; o.offline: whether it may
     be kept; o.keep(form, data) → Promise (keeps it); o.swap(html) → whether the answer was
     put in place; o.error(form, text) shows a sentence. */
  GL.sendForm = function (form, o) {
    if (form.dataset.busy === "1") { return; }
    var button = form.querySelector("button[type=submit]");
    form.dataset.busy = "1";
    if (button) { button.disabled = true; }
    var done = function () { form.dataset.busy = ""; if (button) { button.disabled = false; } };
    o.data(form).then(function (data) {
      var usedKey = data.get ? data.get("idempotency_key") || "" : "";
      var keep = function () {
        return o.keep(form, data).then(function () { return settleReopened(form, usedKey); });
      };
      if (!navigator.onLine && o.offline) { return keep(); }
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller ? setTimeout(function () { controller.abort(); }, FORM_TIMEOUT_MS) : null;
      return fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "text/html" }, signal: controller ? controller.signal : undefined
      }).then(function (response) {
        clearTimeout(timer);
        var landed = new URL(response.url, window.location.href);
        if (response.ok && response.redirected) {
          if (landed.pathname === form.dataset.login && o.offline) {
            // Signed out meanwhile: keep it and send it after signing in.
            return keep().then(function () { window.location.assign(response.url); });
          }
          return settleReopened(form, "").then(function () { window.location.assign(response.url); });
        }
        return response.text().then(function (html) {
          if (!o.swap(html)) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var h1 = doc.querySelector("main h1");
            o.error(form, h1 ? h1.textContent.trim() : String(response.status));
          }
        });
      }, function () {
        clearTimeout(timer);
        // No answer: it may have been saved. Kept under the same key, a resend is harmless.
        if (o.offline) { return keep(); }
        o.error(form, form.dataset.networkError || "");
      });
    }).then(done, done);
  };

  // ------------------------------------------------------------ a refused item back in its form

  function fill(form, item) {
    var values = {};
    item.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    var skip = ["csrf_token", "for_user", "idempotency_key"];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip.indexOf(el.name) >= 0 || el.type === "file" || el.type === "submit") { return; }
      var given = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = !!given && given.indexOf(el.value) >= 0;  // left out of a form: not ticked
      } else if (given) {
        el.value = given[0];
      } else { return; }
      el.dispatchEvent(new Event("change", { bubbles: true }));  // e.g. the closing date's box
    });
    var byName = {};
    (item.files || []).forEach(function (f) { (byName[f.name] = byName[f.name] || []).push(f); });
    Object.keys(byName).forEach(function (name) {
      var input = form.querySelector('input[type=file][name="' + name + '"]');
      if (!input || !window.DataTransfer) { return; }
      try {
        var files = new DataTransfer();
        byName[name].forEach(function (f) {
          files.items.add(new File([f.blob], f.filename, { type: f.blob.type }));
        });
        input.files = files.files;
      } catch (e) { /* the person attaches them again */ }
    });
  }

  /* A form page opened from a refused item's row (page#kept=<key>): put the item's values back
     in the form, with the server's reason at its field (or o.error(form, text) above the form),
     under the item's key; the person corrects it and sends it again (see GL.sendForm). */
  GL.reopenKept = function (form, o) {
    var match = /^#kept=([^&]+)$/.exec(window.location.hash);
    if (!match || !GL.outbox) { return Promise.resolve(null); }
    var key = decodeURIComponent(match[1]);
    return all().then(function (items) {
      var item = items.filter(function (i) { return i.key === key && kindOf(i) === "entry"; })[0];
      if (!item || item.action !== form.action) { return null; }
      history.replaceState(history.state, "", window.location.pathname + window.location.search);
      fill(form, item);
      var keyInput = form.querySelector("[data-idempotency]");
      if (keyInput) { keyInput.value = item.status === 409 ? GL.uuid() : item.key; }
      reopened = { action: form.action, key: item.key };
      if (item.state === "refused" && item.error) {
        var input = item.field ? form.querySelector('[name="' + item.field + '"]') : null;
        if (input && input.type !== "hidden") { GL.fieldError(form, input, item.error); }
        else { o.error(form, ((texts().refused || "") + " " + item.error).trim()); }
      }
      return item;
    }).catch(function () { return null; });
  };

  function kindOf(item) { return item.kind || "entry"; }  // entries kept before scans came in
  function waiting(item) { return item.state !== "answered"; }

  // ------------------------------------------------------------ storage (IndexedDB)

  var dbPromise = null;

  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        if (!request.result.objectStoreNames.contains(STORE)) {
          request.result.createObjectStore(STORE, { keyPath: "key" });
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
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

  function all() {
    return withStore("readonly", function (store) { return store.getAll(); })
      .then(function (items) {
        return (items || []).filter(function (i) { return USER && i.user === USER; })
          .sort(function (a, b) { return a.created - b.created; });
      });
  }

  function put(item) { return withStore("readwrite", function (store) { return store.put(item); }); }

  // Count what waits, tell the page, and give the person's items to whoever asked.
  function changed() {
    return all().then(function (items) {
      unsent = { entry: 0, scan: 0 };
      items.filter(waiting).forEach(function (i) { unsent[kindOf(i)] = (unsent[kindOf(i)] || 0) + 1; });
      document.dispatchEvent(new CustomEvent("gl:outbox", { detail: { items: items } }));
      return items;
    });
  }

  function add(item) {
    item.user = USER;
    item.created = item.created || Date.now();
    item.state = "waiting";
    return put(item).then(changed);
  }

  function remove(key) {
    return withStore("readwrite", function (store) { return store.delete(key); }).then(changed);
  }

  // Scans the older scanner kept in localStorage: into the outbox, each under its own key
  // (one already there is left as it is), then out of localStorage.
  function migrate() {
    var old = null;
    try { old = window.localStorage && localStorage.getItem(OLD_SCANS); } catch (e) { return Promise.resolve(); }
    if (old === null) { return Promise.resolve(); }
    var items = [];
    try { items = JSON.parse(old); } catch (e) { items = []; }
    items = Array.isArray(items) ? items.filter(function (q) { return q && q.key && q.url; }) : [];
    return withStore("readwrite", function (store) {
      items.forEach(function (q) {
        var known = store.get(String(q.key));
        known.onsuccess = function () {
          if (known.result) { return; }
          store.put({ key: String(q.key), kind: "scan", user: String(q.user || ""),
                      action: SCAN_SYNC, url: String(q.url), scanned_at: q.scanned_at,
                      created: Number(q.scanned_at) || Date.now(), state: "waiting" });
        };
      });
    }).then(function () { localStorage.removeItem(OLD_SCANS); });
  }

  // ------------------------------------------------------------ sending

  function entryRequest(item) {
    var data = new FormData();
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("csrf_token", GL.csrfToken());
    (item.files || []).forEach(function (f) { data.append(f.name, f.blob, f.filename); });
    return { body: data, headers: { "Accept": "application/json" } };
  }

  function scanRequest(item) {
    return {
      body: JSON.stringify({ url: item.url, scanned_at: item.scanned_at, key: item.key }),
      headers: { "Accept": "application/json", "Content-Type": "application/json",
                 "X-CSRF-Token": GL.csrfToken() }
    };
  }

  // What an answer does to the item: an entry accepted goes; a refused one stays with its
  // reason; a scan keeps its answer for the Scan tab to show.
  function settle(item, response, body) {
    if (kindOf(item) === "scan") {
      item.state = "answered";
      item.answer = { ok: !!body.ok, title: body.title || "", message: body.message || "" };
      return put(item);
    }
    if (response.ok) {
      return withStore("readwrite", function (store) { return store.delete(item.key); });
    }
    item.state = "refused";  // not saved: kept with the reason, not sent again by itself
    item.error = body.error || "";
    item.field = body.field || "";
    item.status = response.status;
    return put(item);
  }

  function send(item) {
    var request = kindOf(item) === "scan" ? scanRequest(item) : entryRequest(item);
    var abort = window.AbortController ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(item.action || SCAN_SYNC, {
      method: "POST", body: request.body, headers: request.headers, credentials: "same-origin",
      signal: abort ? abort.signal : undefined
    }).then(function (response) { clearTimeout(timer); return response; },
            function (error) { clearTimeout(timer); throw error; }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // A server error (its page is HTML) is retried by itself, never taken for signing out.
      if (response.status >= 500) { throw new Error("server"); }
      if (response.redirected || type.indexOf("application/json") === -1) {
        // Signed out (the login page or a CSRF refusal): keep it until they sign in.
        item.state = "signin";
        return put(item).then(function () { throw new Error("signed out"); });
      }
      return response.json().then(function (body) { return settle(item, response, body || {}); });
    });
  }

  function flushNow() {
    return all().then(function (items) {
      return items.filter(function (i) { return i.state === "waiting" || i.state === "signin"; })
        .reduce(function (chain, item) {
          return chain.then(function () { return send(item); });
        }, Promise.resolve());
    });
  }

  var running = null;  // the flush under way
  var again = false;   // asked for while one ran: the network may have come back meanwhile
  var failures = 0;    // attempts failed in a row (network, 5xx, signed out)
  var retryTimer = null;

  // The next attempt after a failed one, sooner at first (see RETRY_MS).
  function retryLater() {
    clearTimeout(retryTimer);
    var wait = RETRY_MS[Math.min(failures, RETRY_MS.length) - 1];
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, wait);
  }

  // Send what waits; the promise settles when the outbox has been shown again.
  function flush() {
    if (running) { again = true; return running; }
    if (!USER || !navigator.onLine || !window.fetch) { return Promise.resolve(); }
    // One tab at a time; the keys protect the rest.
    var job = (navigator.locks && navigator.locks.request)
      ? navigator.locks.request("gl-outbox", flushNow) : flushNow();
    running = Promise.resolve(job)
      .then(function () { failures = 0; }, function () { failures += 1; })
      .then(changed)
      .catch(function () { /* no IndexedDB: nothing was kept */ })
      .then(function () {
        running = null;
        if (again) { again = false; return flush(); }
        if (failures && (unsent.entry || unsent.scan)) { retryLater(); }
      });
    return running;
  }

  GL.outbox = {
    add: add,
    remove: remove,
    all: all,
    flush: flush,
    refresh: changed,
    unsent: function () { return { entry: unsent.entry, scan: unsent.scan }; }
  };

  // ------------------------------------------------------------ the entries' cards

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

  function refused(item) { return item.state === "refused"; }

  document.addEventListener("gl:outbox", function (event) {
    var entries = event.detail.items.filter(function (i) { return kindOf(i) === "entry"; });
    var nRefused = entries.filter(refused).length;
    var nWaiting = entries.length - nRefused;
    document.querySelectorAll("[data-outbox]").forEach(function (card) {
      card.hidden = entries.length === 0;
      card.classList.toggle("has-refused", nRefused > 0);
      card.querySelectorAll("[data-outbox-count]").forEach(function (n) { n.textContent = String(entries.length); });
      // Only what waits is sent by itself; what was refused waits for the person.
      card.querySelectorAll("[data-outbox-heading]").forEach(function (h) {
        if (!h.dataset.waiting) { h.dataset.waiting = h.textContent; }
        h.textContent = nWaiting ? h.dataset.waiting : (h.dataset.refused || h.dataset.waiting);
      });
      card.querySelectorAll("[data-outbox-waiting-note]").forEach(function (p) { p.hidden = !nWaiting; });
      card.querySelectorAll("[data-outbox-refused-note]").forEach(function (p) { p.hidden = !nRefused; });
      var list = card.querySelector("[data-outbox-list]");
      var template = card.querySelector("template[data-outbox-item]");
      if (!list || !template) { return; }
      list.textContent = "";
      entries.forEach(function (item) {
        var row = template.content.firstElementChild.cloneNode(true);
        row.dataset.key = item.key;
        if (item.state === "refused") { row.classList.add("refused"); }
        row.querySelector('[data-field="label"]').textContent = item.label || "";
        row.querySelector('[data-field="summary"]').textContent = item.summary || "";
        row.querySelector('[data-field="state"]').textContent = describe(item);
        var fix = row.querySelector("[data-outbox-fix]");
        if (fix && refused(item)) {
          fix.href = (item.page || item.action) + "#kept=" + encodeURIComponent(item.key);
          fix.hidden = false;
        }
        var button = row.querySelector("[data-outbox-remove]");
        if (button) { button.hidden = false; }
        list.appendChild(row);
      });
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outbox-remove]");
    if (!button) { return; }
    var row = button.closest("[data-key]");
    if (!row || !window.confirm(texts().confirmRemove || "")) { return; }
    remove(row.dataset.key);
  });

  // ------------------------------------------------------------ when to send

  function start() {
    return migrate().catch(function () { /* keep them where they are */ })
      .then(changed).then(flush)
      .catch(function () { /* no IndexedDB: nothing is kept, nothing to show */ });
  }

  GL.outbox.ready = new Promise(function (resolve) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { start().then(resolve); });
    } else { start().then(resolve); }
  });
  window.addEventListener("online", function () { flush(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flush(); }
  });
  window.addEventListener("pageshow", function (event) { if (event.persisted) { flush(); } });
  setInterval(function () { if (unsent.entry || unsent.scan) { flush(); } }, RETRY_MS[RETRY_MS.length - 1]);
})();
