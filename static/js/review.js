/* Grassroots Ledger — the review queue (ledger/review.html): "Tick all" per group, shown only
   with JS, and kept after htmx swaps the queue. The decisions themselves are htmx (core.js
   swaps a refused one into its row). */
(function () {
  "use strict";

  function showTickAll(root) {
    root.querySelectorAll(".tick-all").forEach(function (label) { label.hidden = false; });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-tick-group]")) { return; }
    var group = box.closest(".queue-group");
    if (!group) { return; }
    group.querySelectorAll('input[name="pick"]').forEach(function (pick) { pick.checked = box.checked; });
  });
  document.addEventListener("DOMContentLoaded", function () { showTickAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    showTickAll(event.detail.target.parentNode || document);
  });
})();
