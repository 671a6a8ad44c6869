/* Grassroots Ledger — location, only when a person asks for it.
   [data-geo-share] (confirm page): ticking the box reads the phone's position once and puts it in
   the form's hidden fields; the server works out the distance to the venue and keeps no position.
   [data-geo-fill] (training form): "Use my current location" fills the venue's latitude/longitude.
   Both stay hidden or inert where the browser has no geolocation. */
(function () {
  "use strict";
  var geo = navigator.geolocation;
  var OPTIONS = {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000};

  function say(root, name, metres) {
    var status = root.querySelector("[data-geo-status]");
    var text = name ? (root.getAttribute("data-msg-" + name) || "") : "";
    if (metres !== undefined) { text = text.replace("{n}", String(Math.round(metres))); }
    if (status) { status.textContent = text; }
  }

  function failure(error) { return error && error.code === 1 ? "denied" : "failed"; }

  function setupShare(root) {
    var box = root.querySelector("input[name=share_location]");
    var form = root.closest("form");
    var fields = {lat: form.querySelector("input[name=lat]"), lng: form.querySelector("input[name=lng]"),
                  accuracy: form.querySelector("input[name=accuracy]")};
    var reading = null, pending = false, waiting = false;
    root.hidden = false;

    function fill(on) {
      fields.lat.value = on && reading ? reading.latitude.toFixed(6) : "";
      fields.lng.value = on && reading ? reading.longitude.toFixed(6) : "";
      fields.accuracy.value = on && reading ? String(Math.round(reading.accuracy || 0)) : "";
    }

    function finish() {
      pending = false;
      if (waiting) { waiting = false; form.submit(); }
    }

    box.addEventListener("change", function () {
      if (!box.checked) { fill(false); say(root, ""); return; }
      if (reading) { fill(true); say(root, "found", reading.accuracy); return; }
      if (pending) { return; }
      pending = true;
      say(root, "finding");
      geo.getCurrentPosition(function (position) {
        reading = position.coords;
        fill(box.checked);
        if (box.checked) { say(root, "found", reading.accuracy); }
        finish();
      }, function (error) {
        box.checked = false;
        fill(false);
        say(root, failure(error));
        finish();
      }, OPTIONS);
    });

    // Tapped "Check in" while the position is still coming: wait for it (at most a few seconds).
    form.addEventListener("submit", function (event) {
      if (!pending) { return; }
      event.preventDefault();
      if (waiting) { return; }
      waiting = true;
      say(root, "finding");
      setTimeout(function () { if (waiting) { waiting = false; form.submit(); } }, 8000);
    });
  }

  function setupFill(root) {
    var button = root.querySelector("[data-geo-button]");
    var lat = root.querySelector("input[name=latitude]"), lng = root.querySelector("input[name=longitude]");
    if (!button || !lat || !lng) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(root, "finding");
      geo.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lng.value = position.coords.longitude.toFixed(6);
        say(root, "found", position.coords.accuracy);
        button.disabled = false;
      }, function (error) {
        say(root, failure(error));
        button.disabled = false;
      }, OPTIONS);
    });
  }

  if (!geo) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-geo-share]"), setupShare);
  Array.prototype.forEach.call(document.querySelectorAll("[data-geo-fill]"), setupFill);
})();
