/* Grassroots Ledger — the reading page of a study material (study/material.html).
   - The "I have studied it" button ([data-study-done]) stays disabled until the minimum reading
     time has passed: data-seconds is what the server still asked for when it sent the page. The
     moment it opens is remembered on this phone (localStorage, per person and material), so a
     copy the service worker kept, opened again later or offline, counts from the first opening
     rather than starting again. The server decides anyway (409 when too early).
   - Marking it studied needs the network: offline, the form is not sent and the page says so
     (the answers stay ticked); it is sent with the next tap once back online.
   Loaded with defer after core.js; no inline scripts (strict CSP). Works without it: the button
   then opens on the next visit after the time has passed. */
(function () {
  "use strict";

  var PREFIX = "gl-study-open-";  // + person-material -> when the button may open (ms)

  function remembered(key, seconds) {
    var now = Date.now();
    var wanted = now + seconds * 1000;
    var kept = null;
    try { kept = Number(window.localStorage.getItem(PREFIX + key)) || null; } catch (e) { kept = null; }
    // The earlier of the two: a kept page says more time than is left; a fresh page from the
    // server knows best when it says less.
    var at = kept && kept < wanted ? kept : wanted;
    try {
      if (seconds > 0) { window.localStorage.setItem(PREFIX + key, String(at)); }
      else { window.localStorage.removeItem(PREFIX + key); }
    } catch (e) { /* private mode: count from this page */ }
    return at;
  }

  function clock(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function countdown(form) {
    var button = form.querySelector("[data-study-done]");
    var text = form.querySelector("[data-study-countdown]");
    if (!button) { return; }
    var seconds = Math.max(0, parseInt(button.getAttribute("data-seconds"), 10) || 0);
    var at = remembered(button.getAttribute("data-key") || "", seconds);
    var timer = null;

    function tick() {
      var left = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      if (left > 0) {
        button.disabled = true;
        if (text) {
          text.hidden = false;
          text.textContent = (text.getAttribute("data-wait") || "").replace("{time}", clock(left));
        }
        return;
      }
      button.disabled = false;
      if (text && !text.hidden) {
        // Said once, when the button opens (not every second of the countdown).
        text.setAttribute("role", "status");
        text.textContent = text.getAttribute("data-ready") || "";
      }
      if (timer) { window.clearInterval(timer); timer = null; }
    }

    tick();
    if (button.disabled) { timer = window.setInterval(tick, 1000); }
  }

  function offlineNote(form, show) {
    var note = form.querySelector("[data-study-offline]");
    if (!note) { return; }
    note.textContent = show ? form.getAttribute("data-offline-message") || "" : "";
    note.hidden = !show;
  }

  function start() {
    document.querySelectorAll("form[data-study-form]").forEach(function (form) {
      countdown(form);
      form.addEventListener("submit", function (event) {
        if (navigator.onLine === false) {
          event.preventDefault();
          offlineNote(form, true);
        }
      });
      window.addEventListener("online", function () { offlineNote(form, false); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
