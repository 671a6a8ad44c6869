/* Grassroots Ledger — the entry forms (ledger/form.html) and the evidence form of an entry's
   page. Every form works without this file.
   - hours stepper (quarter hours), closing date shown only for closed cases;
   - the form sent by fetch, photos made smaller first (GL.downscale, core.js);
   - an entry made without network is kept in the outbox (outbox.js) and sent once the network
     returns, with the form's idempotency key, so a retry never makes a second entry;
   - a form page may be a copy the service worker kept for use without network (sw.js), made
     days ago: it gets a fresh key and today's date when it loads;
   - opened from a refused entry's row in the outbox (#kept=<key>), the form gets that entry's
     values back with the server's reason, to correct and send again (GL.reopenKept).
   Loaded with defer after core.js and outbox.js; no inline scripts (strict CSP). */
(function () {
  "use strict";

  var GL = window.GL;

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
    return Promise.all(files.map(GL.downscale)).then(function (ready) {
      ready.forEach(function (f) { data.append(input.name, f, f.name || "photo.jpg"); });
      return data;
    });
  }

  // ------------------------------------------------------------ submitting a form

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
    return GL.outbox.add(GL.keptItem(form, data, summaryOf(form), true)).then(function () {
      var kept = document.createElement("p");
      kept.className = "flash";
      kept.setAttribute("role", "status");
      kept.textContent = form.dataset.keptMessage || "";
      form.reset();
      freshForm(form);  // a new key, and today's date again if the page is older than today
      var old = form.parentNode.querySelector(".flash.js-kept");
      if (old) { old.remove(); }
      kept.classList.add("js-kept");
      form.parentNode.insertBefore(kept, form);
      kept.scrollIntoView({ block: "center" });
    });
  }

  function submitEntry(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-ledger-form], form[data-evidence-form]")) { return; }
    if (!window.fetch || !window.FormData || !window.Promise || !window.DOMParser) { return; }
    event.preventDefault();
    if (form.dataset.busy === "1") { return; }
    var input = form.querySelector("input[type=file][data-evidence]");
    var problem = input ? checkFiles(input) : "";
    if (problem) { GL.fieldError(form, input, problem); return; }
    GL.sendForm(form, {
      data: formData, keep: keep, error: formError,
      offline: form.hasAttribute("data-ledger-form") && form.dataset.offline === "yes" &&
        !!window.indexedDB && !!GL.outbox,
      swap: function (html) { return GL.swapMain(html, "form[data-ledger-form]", enhance); }
    });
  }

  document.addEventListener("submit", submitEntry);

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
      if (!input.value) { input.value = GL.uuid(); }
    });
    root.querySelectorAll("form[data-ledger-form]").forEach(function (form) {
      closedToggle(form);
      var hint = form.querySelector("[data-offline-hint]");
      if (hint) { hint.hidden = navigator.onLine || form.dataset.offline !== "yes"; }
    });
  }

  function showOfflineHints() {
    document.querySelectorAll("form[data-ledger-form] [data-offline-hint]").forEach(function (hint) {
      hint.hidden = navigator.onLine || hint.closest("form").dataset.offline !== "yes";
    });
  }
  window.addEventListener("online", showOfflineHints);
  window.addEventListener("offline", showOfflineHints);

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
    key.value = GL.uuid();
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

  // "Kept, it will be sent by itself" holds only while something waits to be sent.
  document.addEventListener("gl:outbox", function (event) {
    var waits = event.detail.items.some(function (i) {
      return (i.kind || "entry") === "entry" && (i.state === "waiting" || i.state === "signin");
    });
    if (!waits) { document.querySelectorAll(".flash.js-kept").forEach(function (p) { p.remove(); }); }
  });

  // A refused entry's row links to its form (#kept=<key>), perhaps from this very page.
  function reopenKept() {
    if (!GL.reopenKept) { return; }
    document.querySelectorAll('form[data-ledger-form][data-offline="yes"]').forEach(function (form) {
      GL.reopenKept(form, { error: formError });
    });
  }
  window.addEventListener("hashchange", reopenKept);

  document.addEventListener("DOMContentLoaded", function () {
    freshForms();
    enhance(document);
    reopenKept();
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    freshForms();
  });
})();
