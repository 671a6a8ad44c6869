/* The in-app scanner, on the Scan tab only: camera via BarcodeDetector where the browser has one
   that reads QR codes, else the vendored jsQR (257 KB), fetched only then, once the camera is on,
   and kept by the service worker for use without network. Without network a scan is kept in the
   outbox (outbox.js: code, scan time, key, who scanned) and sent once when the network returns;
   the server accepts it only if the code fits the scan time. This page shows what waits and each
   answer. The page itself is kept by the service worker, so this tab opens without network too. */
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) { return; }
  var CODE_RE = /\/c\/(a\/)?\d{1,10}\/(in|out|static)\/\d{1,12}\/[0-9a-f]{16}\/?$/;  // a/: a party activity
  var video = document.getElementById("camera-video");
  var camera = document.getElementById("camera");
  var startBtn = document.getElementById("camera-start");
  var statusEl = document.getElementById("scan-status");
  var help = document.getElementById("scan-help");
  var expected = root.getAttribute("data-expected");
  var GL = window.GL;
  var PROBE_MS = 8000;  // a connection that claims to be online but answers nothing
  var stream = null, detector = null, canvas = null, busy = false, done = false, decoder = null;

  function say(text) { statusEl.textContent = text; statusEl.hidden = !text; }
  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }

  function addResult(text, ok) {
    var li = document.createElement("li");
    li.className = "list-row " + (ok ? "status-done" : "status-at_risk");
    var span = document.createElement("span");
    span.className = "status-word";
    span.textContent = text;
    li.appendChild(span);
    document.getElementById("outbox-results").appendChild(li);
    document.getElementById("outbox").hidden = false;
  }

  // The outbox (outbox.js) keeps and sends the scans; this page shows how many wait, and each
  // answer once (then the outbox drops it).
  var shown = {};
  function showQueue(items) {
    var scans = items.filter(function (q) { return q.kind === "scan"; });
    var left = scans.filter(function (q) { return q.state !== "answered"; }).length;
    var answered = scans.filter(function (q) { return q.state === "answered" && !shown[q.key]; });
    answered.forEach(function (q) {
      shown[q.key] = true;
      addResult((q.answer.title ? q.answer.title + " — " : "") + q.answer.message, q.answer.ok);
      GL.outbox.remove(q.key);
    });
    document.getElementById("outbox-count").textContent = left;
    if (left) { document.getElementById("outbox").hidden = false; }
    if (answered.length && !left) { say(msg("sent")); }  // no stale "No network" line
  }
  document.addEventListener("gl:outbox", function (event) { showQueue(event.detail.items); });
  // outbox.js (deferred before this script) may have told the page before this listened.
  if (GL.outbox) { GL.outbox.refresh().catch(function () {}); }

  // The code's training and purpose, without its time slice: one kept scan each is enough
  // (the first scan time is the one that counts).
  function kind(path) { return path.replace(/\/\d{1,12}\/[0-9a-f]{16}\/?$/, ""); }

  function keep(path, at) {
    // This scan is done: the camera stops until the person starts it for another code.
    stop();
    camera.hidden = true;
    startBtn.hidden = false;
    done = false;
    GL.outbox.all().then(function (items) {
      var already = items.some(function (q) {
        return q.kind === "scan" && q.state !== "answered" && kind(q.url) === kind(path);
      });
      if (already) { return; }
      return GL.outbox.add({ key: GL.uuid(), kind: "scan", action: root.getAttribute("data-sync"),
                             url: path, scanned_at: at });
    }).then(function () { say(msg("kept")); }, function () { /* no IndexedDB: cannot keep it */ });
  }

  function handle(text) {
    if (done || !text) { return; }
    var path;
    try { path = new URL(text, window.location.href).pathname; } catch (e) { path = ""; }
    if (!CODE_RE.test(path)) { say(msg("other")); return; }
    done = true;
    var at = Date.now();
    if (!navigator.onLine) { keep(path, at); return; }
    // Online by the phone's word: check the server answers before leaving this page, so a
    // dead connection keeps the scan instead of losing it on an error page.
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, PROBE_MS) : null;
    fetch(path, { method: "HEAD", credentials: "same-origin", redirect: "manual", cache: "no-store",
                  signal: controller ? controller.signal : undefined })
      .then(function () {
        clearTimeout(timer);
        stop();
        window.location.href = path + (expected ? "?for=" + encodeURIComponent(expected) : "");
      }, function () { clearTimeout(timer); keep(path, at); });
  }

  // Without network a typed code cannot be kept (it is checked against the time it is sent),
  // so say so instead of letting the browser show its error page.
  var typedForm = document.querySelector("#typed form");
  if (typedForm) {
    typedForm.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      say(msg("typed-offline"));
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.srcObject = null;
  }

  function loop() {
    if (!stream) { return; }
    if (!busy && video.readyState >= 2) {
      busy = true;
      var after = function (text) { busy = false; if (text) { handle(text); } };
      if (detector) {
        detector.detect(video).then(function (codes) { after(codes.length ? codes[0].rawValue : ""); })
          .catch(function () { detector = null; loadJsQR(); after(""); });  // not a working one
      } else if (window.jsQR) {
        canvas = canvas || document.createElement("canvas");
        var w = video.videoWidth, h = video.videoHeight;
        var scale = Math.min(1, 640 / Math.max(w, h));
        canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
        after(found ? found.data : "");
      } else { after(""); }
    }
    setTimeout(loop, 150);
  }

  // The QR decoder: the browser's own BarcodeDetector if it reads QR codes, else jsQR, added
  // as a <script> (same origin, as the CSP wants) the first time it is needed.
  function loadJsQR() {
    if (window.jsQR || decoder) { return; }
    decoder = document.createElement("script");
    decoder.src = root.getAttribute("data-decoder");
    decoder.onerror = function () { decoder.remove(); decoder = null; };  // again at next start
    document.head.appendChild(decoder);
  }

  function chooseDecoder() {
    if (detector || window.jsQR) { return; }
    var BD = window.BarcodeDetector;
    Promise.resolve().then(function () {
      return BD && BD.getSupportedFormats ? BD.getSupportedFormats() : [];
    }).then(function (list) {
      if (list.indexOf("qr_code") < 0) { throw new Error("no qr_code"); }
      detector = new BD({ formats: ["qr_code"] });
    }).catch(function () { detector = null; loadJsQR(); });
  }

  function noCamera(text) {
    camera.hidden = true;
    startBtn.hidden = true;
    help.hidden = true;
    say(text);
    var input = document.getElementById("f-code");
    if (input) { input.focus(); }
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { noCamera(msg("nocamera")); return; }
    startBtn.hidden = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        camera.hidden = false;
        chooseDecoder();  // while the video starts
        return video.play();
      })
      .then(loop)
      .catch(function (err) {
        if (err && (err.name === "NotAllowedError" || err.name === "SecurityError")) { noCamera(msg("denied")); }
        else if (err && err.name === "NotFoundError") { noCamera(msg("nocamera")); }
        else { startBtn.hidden = false; }
      });
  }

  startBtn.addEventListener("click", start);
  window.addEventListener("pagehide", stop);
  start();
})();
