/* Grassroots Ledger — notifications on this phone (the Me page's [data-push] card).
   The browser's permission prompt comes only after a tap on "Turn on", never on page load.
   Where the browser has no Web Push (iOS Safari before the app is added to the home screen,
   WeChat's in-app browser) the card says in plain words how to get it; the app's inbox has
   every message either way. A subscription that exists is sent again on each visit, so the
   server follows a key the browser changed (and one it no longer knows for this person is
   dropped). The subscription the server last took is remembered here: when the browser has
   since changed it (sw.js re-subscribes on pushsubscriptionchange), the next visit has the
   server confirm the old one for this person, keep the new one and drop the old.
   Builds on window.GL (core.js: the CSRF token). */
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

  // What the server last took for this phone (endpoint and keys: what the page can read from
  // the browser anyway). Nothing here is trusted: the server checks it belongs to this person.
  var SENT = "gl-push-sent";

  function remember(json) {
    try { window.localStorage.setItem(SENT, JSON.stringify(json)); } catch (e) { /* private mode */ }
  }

  function remembered() {
    try { return JSON.parse(window.localStorage.getItem(SENT) || "null"); } catch (e) { return null; }
  }

  function forget() {
    try { window.localStorage.removeItem(SENT); } catch (e) { /* private mode */ }
  }

  function refresh(json) {
    var body = JSON.parse(JSON.stringify(json));
    body.refresh = true;
    return post(card.getAttribute("data-subscribe-url"), body);
  }

  // The browser changed the subscription since the server took it: the old one must be this
  // person's (the refresh answers 404 otherwise), then the new one is kept and the old dropped.
  function moved(before, now) {
    return refresh(before).then(function () {
      return post(card.getAttribute("data-subscribe-url"), now);
    }).then(function () {
      return post(card.getAttribute("data-unsubscribe-url"), { endpoint: before.endpoint })
        .catch(function () { /* the sender drops it when its push service answers 404/410 */ });
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
        var json = subscription.toJSON();
        return post(card.getAttribute("data-subscribe-url"), json).then(function () {
          remember(json);
        });
      }).then(function () { show("on"); });
    }).catch(function () { show("failed"); onButton.hidden = false; offButton.hidden = true; });
  }

  function turnOff() {
    offButton.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      forget();
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
      var now = subscription.toJSON();
      var before = remembered();
      var sent = before && before.endpoint && before.endpoint !== now.endpoint ?
        moved(before, now) : refresh(now);
      return sent.then(function () {
        remember(now);
        show("on");
      }, function (error) {
        if (String(error.message) !== "push 404") { show("on"); return; }
        forget();
        return subscription.unsubscribe().then(function () { show("off"); });
      });
    } else {
      show("off");
    }
  }).catch(function () { show("off"); });
})();
