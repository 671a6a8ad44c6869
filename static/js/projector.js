/* Projector: draws the rotating check-in code from the training's secret with the server's clock,
   so refreshing never invalidates a code and a dropped network does not stop it. Only the live
   count is fetched (a tiny JSON), never the codes. */
(function () {
  "use strict";
  var root = document.getElementById("projector");
  if (!root || !window.GLCodes || !window.qrcode) { return; }
  var C = window.GLCodes;
  var secret = root.getAttribute("data-secret");
  var purpose = root.getAttribute("data-purpose");
  var training = root.getAttribute("data-training");
  var rotation = parseInt(root.getAttribute("data-rotation"), 10) || 10;
  var base = root.getAttribute("data-base");
  var liveUrl = root.getAttribute("data-live");
  // Keep the server's clock: offset between its time at render and ours.
  var offset = parseInt(root.getAttribute("data-server-ms"), 10) - Date.now();
  var box = document.getElementById("qr-box");
  var typedEl = document.getElementById("typed-code");
  var fill = document.getElementById("countdown-fill");
  var net = document.getElementById("net-state");
  var shownSlice = null, shownTyped = null;
  window.qrcode.stringToBytes = window.qrcode.stringToBytesFuncs["UTF-8"];

  function now() { return (Date.now() + offset) / 1000; }

  function draw() {
    var t = now();
    var slice = C.sliceOf(t, rotation);
    if (slice !== shownSlice) {
      shownSlice = slice;
      var url = base + "/c/" + training + "/" + purpose + "/" + slice + "/" + C.mac(secret, purpose, slice);
      var q = window.qrcode(0, "M");
      q.addData(url);
      q.make();
      box.innerHTML = q.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
      box.setAttribute("data-url", url);
    }
    var tslice = C.sliceOf(t, C.TYPED_SLICE);
    if (tslice !== shownTyped) {
      shownTyped = tslice;
      var typed = C.typed(secret, purpose, tslice);
      typedEl.textContent = typed.slice(0, 3) + " " + typed.slice(3);
    }
    if (fill) { fill.style.width = (100 - ((t % rotation) / rotation) * 100).toFixed(1) + "%"; }
  }

  function setOnline(online) {
    net.textContent = net.getAttribute(online ? "data-online" : "data-offline");
    net.classList.toggle("is-offline", !online);
  }

  function poll() {
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        setOnline(true);
        offset = data.now - Date.now();
        document.getElementById("count-in").textContent = purpose === "out" ? data.out : data["in"];
        document.getElementById("count-expected").textContent = data.expected;
        var list = document.getElementById("last-names");
        list.textContent = "";
        data.names.forEach(function (name) {
          var li = document.createElement("li");
          li.textContent = name;
          list.appendChild(li);
        });
      })
      .catch(function () { setOnline(false); });
  }

  window.addEventListener("offline", function () { setOnline(false); });
  window.addEventListener("online", poll);
  draw();
  setInterval(draw, 250);
  poll();
  setInterval(poll, 5000);
})();
