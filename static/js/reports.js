/* Grassroots Ledger — the firm report form (reports/form.html). The form works without this file.
   - the form sent by fetch, photos made smaller first (GL.downscale, core.js), too many files
     said before anything is sent;
   - a new report written without network is kept in the outbox (outbox.js, as a kept form
     like a ledger entry) and sent once the network returns, with the form's idempotency key,
     so a resend never makes a second report. Only its text: photos and PDFs cannot wait on
     the phone, and the person is told so (the text is kept all the same);
   - a page restored by the back button gets a fresh key (its report may be sent already);
   - opened from a refused report's row in the outbox (#kept=<key>), the form gets its text
     back with the server's reason, to correct and send again (GL.reopenKept).
   Loaded with defer after core.js and outbox.js; no inline scripts (strict CSP). */
(function () {
  "use strict";

  var GL = window.GL;

  function chosen(form) {
    var input = form.querySelector("input[type=file][data-attachments]");
    return input && input.files ? Array.prototype.slice.call(input.files) : [];
  }

  function isPdf(file) { return file.type === "application/pdf" || /\.pdf$/i.test(file.name || ""); }

  function checkFiles(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var pdfs = files.filter(isPdf).length;
    if (files.length - pdfs > Number(input.dataset.maxPhotos || 0)) { return input.dataset.tooMany; }
    if (pdfs > Number(input.dataset.maxPdfs || 0)) { return input.dataset.tooManyPdfs; }
    return "";
  }

  function formData(form) {
    var data = new FormData(form);
    var input = form.querySelector("input[type=file][data-attachments]");
    var files = chosen(form);
    if (!files.length) { return Promise.resolve(data); }
    data.delete(input.name);
    return Promise.all(files.map(function (f) { return isPdf(f) ? f : GL.downscale(f); }))
      .then(function (ready) {
        ready.forEach(function (f) { data.append(input.name, f, f.name || "photo.jpg"); });
        return data;
      });
  }

  function message(form, className, text) {
    var old = form.parentNode.querySelector(".js-report-message");
    if (old) { old.remove(); }
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = className + " js-report-message";
    p.setAttribute("role", className === "form-error" ? "alert" : "status");
    p.textContent = text;
    form.parentNode.insertBefore(p, form);
    p.scrollIntoView({ block: "center" });
  }

  function summaryOf(form) {
    var parts = [];
    var month = form.querySelector("[name=month]");
    var title = form.querySelector("[name=title]");
    if (month && month.value) { parts.push(month.value); }
    if (title && title.value) { parts.push(title.value.slice(0, 40)); }
    return parts.join(" · ");
  }

  function freshKey(form) {
    var key = form.querySelector("[data-idempotency]");
    if (key) { key.value = GL.uuid(); }
  }

  // Keep the form's text in the outbox (never its files) under the form's key, then clear
  // the form for the next report under a new key.
  function keep(form, data) {
    var files = chosen(form).length;
    return GL.outbox.add(GL.keptItem(form, data, summaryOf(form), false)).then(function () {
      form.reset();
      freshKey(form);
      message(form, files ? "notice" : "flash",
              files ? form.dataset.filesNotKept : form.dataset.keptMessage);
    });
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-report-form]")) { return; }
    if (!window.fetch || !window.FormData || !window.Promise || !window.DOMParser) { return; }
    event.preventDefault();
    if (form.dataset.busy === "1") { return; }
    var input = form.querySelector("input[type=file][data-attachments]");
    var problem = input ? checkFiles(input) : "";
    if (input) { GL.fieldError(form, input, problem); }
    if (problem) { return; }
    GL.sendForm(form, {
      data: formData, keep: keep,
      offline: form.dataset.offline === "yes" && !!window.indexedDB && !!GL.outbox,
      error: function (f, text) { message(f, "form-error", text); },
      swap: function (html) { return GL.swapMain(html, "form[data-report-form]", showOfflineHints); }
    });
  }

  document.addEventListener("submit", submit);

  function showOfflineHints() {
    document.querySelectorAll("form[data-report-form] [data-offline-hint]").forEach(function (hint) {
      hint.hidden = navigator.onLine || hint.closest("form").dataset.offline !== "yes";
    });
  }

  document.addEventListener("DOMContentLoaded", showOfflineHints);
  // A refused report's row links to its form (#kept=<key>), perhaps from this very page.
  function reopenKept() {
    if (!GL.reopenKept) { return; }
    document.querySelectorAll('form[data-report-form][data-offline="yes"]').forEach(function (form) {
      GL.reopenKept(form, { error: function (f, text) { message(f, "form-error", text); } });
    });
  }
  document.addEventListener("DOMContentLoaded", reopenKept);
  window.addEventListener("hashchange", reopenKept);
  window.addEventListener("online", showOfflineHints);
  window.addEventListener("offline", showOfflineHints);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[data-report-form]").forEach(freshKey); }
  });
})();
