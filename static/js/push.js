/* Grassroots Ledger — notifications on this phone (the Me page's [data-push] card).
   The browser's permission prompt comes only after a tap on "Turn on", never on page load.
   Where the browser has no Web Push (iOS Safari before the app is added to the home screen,
   WeChat's in-app browser) the card says in plain words how to get it; the app's inbox has
   every message either way. A subscription that exists is sent again on each visit, so the
   server follows a key the browser changed
   (and one it no longer knows for this person is dropped). Builds on window.GL (core.js: the CSRF token). */
(function () {
  "use strict";

  var card = document.querySelector("[data-push]");
  if (!card) { return; }
  var status = card.querySelector("[data-push-status]");
  var onButton = card.querySelector("[data-push-on]");
  var offButton = card.querySelector("[data-push-off]");

  function supported() {
    return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window &&
      "Notification" in window;
  }

  function show(state) {
    var text = card.getAttribute("data-text-" + state) || "";
    status.textContent = text;
    onButton.hidden = state === "on";
    offButton.hidden = state !== "on";
    onButton.disabled = offButton.disabled = false;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.GL.csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("push " + response.status); }
      return response;
    });
  }

  function registration() {
    return navigator.serviceWorker.ready;
  }

  function askPermission() {
    // Older Safari takes a callback instead of returning a promise.
    return new Promise(function (resolve) {
      var answer = Notification.requestPermission(resolve);
      if (answer && answer.then) { answer.then(resolve); }
    });
  }

  function turnOn() {
    onButton.disabled = true;
    askPermission().then(function (permission) {
      if (permission !== "granted") { show(permission === "denied" ? "blocked" : "off"); return null; }
      return registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          return existing || reg.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(card.getAttribute("data-public-key"))
          });
        });
      }).then(function (subscription) {
        return post(card.getAttribute("data-subscribe-url"), subscription.toJSON());
      }).then(function () { show("on"); });
    }).catch(function () { show("failed"); onButton.hidden = false; offButton.hidden = true; });
  }

  function turnOff() {
    offButton.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(card.getAttribute("data-unsubscribe-url"), { endpoint: endpoint })
          .catch(function () { /* the push service forgot it; the server drops it on 410 */ });
      });
    }).then(function () { show("off"); }, function () { show("failed"); });
  }

  if (!supported()) {
    card.querySelector("[data-push-unsupported]").hidden = false;
    return;
  }
  onButton.addEventListener("click", turnOn);
  offButton.addEventListener("click", turnOff);

  if (Notification.permission === "denied") { show("blocked"); onButton.hidden = false; return; }
  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (subscription) {
    if (subscription && Notification.permission === "granted") {
      // Refresh only what the server keeps for this person: a subscription left by someone
      // who signed out of this phone is dropped, never passed on to whoever signed in next.
      var body = subscription.toJSON();
      body.refresh = true;
      return post(card.getAttribute("data-subscribe-url"), body).then(function () {
        show("on");
      }, function (error) {
        if (String(error.message) !== "push 404") { show("on"); return; }
        return subscription.unsubscribe().then(function () { show("off"); });
      });
    } else {
      show("off");
    }
  }).catch(function () { show("off"); });
})();
