/* Party branches: photos made smaller on the phone before upload (a meeting's six photos
   straight from a camera would pass the upload limit), and the focus put back on a refused
   attendance mark (core.js swaps it into its row). Every form works without this file. */
(function () {
  "use strict";
  // One way to shrink photos: core.js (loaded on every page) owns it.
  function shrink(file) {
    return window.GL && window.GL.downscale ? window.GL.downscale(file) : Promise.resolve(file);
  }

  function showError(input, text) {
    var box = input.parentNode.querySelector(".field-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      input.parentNode.appendChild(box);
    }
    box.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-activity-form]") || form.dataset.shrunk) { return; }
    var input = form.querySelector("input[type=file][name=photos]");
    if (!input || !input.files || !input.files.length) { return; }
    var max = parseInt(input.getAttribute("data-max"), 10);
    if (!isNaN(max) && input.files.length > max) {
      event.preventDefault();
      showError(input, input.getAttribute("data-too-many"));
      return;
    }
    if (!window.DataTransfer) { return; }
    event.preventDefault();
    var submit = form.querySelector("button[type=submit]");
    if (submit) { submit.disabled = true; }
    Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (smaller) {
      try {
        var transfer = new DataTransfer();
        smaller.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
      } catch (e) { /* send the originals */ }
      form.dataset.shrunk = "1";
      if (submit) { submit.disabled = false; }
      if (form.requestSubmit) { form.requestSubmit(submit || undefined); } else { form.submit(); }
    });
  });

  // After a swap, put the focus back on the reason box when it is the one asking.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) { return; }
    var row = document.getElementById(target.id) || target;
    var bad = row.querySelector && row.querySelector("input[aria-invalid=true]");
    if (bad) { bad.focus(); }
  });
})();
