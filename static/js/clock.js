/* A live clock on the result screen: proof to staff that it is not a screenshot. */
(function () {
  "use strict";
  var el = document.getElementById("live-clock");
  if (!el) { return; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var d = new Date();
    el.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  tick();
  setInterval(tick, 1000);
})();
