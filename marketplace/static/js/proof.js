/* The proof form on a slow connection (the assignment page only; no dependency).
 *
 * The browser has already checked the inputs (required, links, lengths) when "submit"
 * fires. Each chosen screenshot is then drawn on a canvas at most data-max-side pixels on
 * its long side (1600) and encoded as WebP, or JPEG where the browser cannot encode WebP:
 * a phone's 4 MB photo becomes ~200 KB. The form goes with XMLHttpRequest, which reports
 * the upload's progress to the <progress> bar. The server answers as it answers htmx: a
 * redirect comes as an HX-Redirect header (so the next page, with its message, loads once),
 * and a proof with an error comes back as the page, whose <main> replaces this one — with
 * the screenshots that passed shown as kept on the server.
 *
 * Without this script (or without createImageBitmap) the form is posted as it is, and the
 * server checks and re-encodes every screenshot either way.
 */
(function () {
  "use strict";

  function encode(canvas, type, quality) {
    return new Promise(function (resolve) {
      canvas.toBlob(resolve, type, quality);
    });
  }

  // A smaller copy of an image file, or the file itself when that would not help.
  function shrink(file, maxSide) {
    if (!window.createImageBitmap || !/^image\//.test(file.type)) {
      return Promise.resolve(file);
    }
    // "from-image": a photo stored sideways with an EXIF note is drawn upright.
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .then(function (bitmap) {
        var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff"; // JPEG has no transparency: white, not black
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) bitmap.close();
        return encode(canvas, "image/webp", 0.8).then(function (blob) {
          // A browser that cannot encode WebP hands back PNG instead.
          return blob && blob.type === "image/webp" ? blob : encode(canvas, "image/jpeg", 0.85);
        }).then(function (blob) {
          if (!blob || (scale === 1 && blob.size >= file.size)) return file;
          var base = (file.name || "screenshot").replace(/\.[^.]*$/, "");
          var extension = blob.type === "image/webp" ? ".webp" : ".jpg";
          return new File([blob], base + extension, { type: blob.type });
        });
      })
      .catch(function () {
        return file; // not an image the browser can read: the server will say so
      });
  }

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  // The page that came back with errors: its <main> and messages replace ours.
  function swap(html, form, status) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var main = page.querySelector("main");
    if (!main) {
      status.textContent = (page.body && page.body.textContent.trim()) || form.dataset.failed;
      return false;
    }
    var messages = document.querySelector("body > .messages");
    if (messages) messages.remove();
    var fresh = page.querySelector("body > .messages");
    var current = document.querySelector("main");
    if (fresh) current.before(document.adoptNode(fresh));
    current.replaceWith(document.adoptNode(main));
    var problem = document.querySelector("main .has-error, main .errors");
    if (problem) problem.scrollIntoView({ block: "center" });
    setUp();
    return true;
  }

  function send(form) {
    var button = form.querySelector("button[type=submit]:not([form])");
    var progress = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    var maxSide = parseInt(form.dataset.maxSide, 10) || 1600;
    var data = new FormData(form);
    var inputs = form.querySelectorAll("input[type=file].proof-screenshot");
    form.dataset.busy = "1"; // Enter in a field must not send it twice
    button.disabled = true;
    status.textContent = form.dataset.preparing;
    show(status, true);

    function failed(message) {
      delete form.dataset.busy;
      button.disabled = false;
      show(progress, false);
      status.textContent = message;
    }

    var shrunk = Array.prototype.map.call(inputs, function (input) {
      if (!input.files.length) return null;
      return shrink(input.files[0], maxSide).then(function (file) {
        data.set(input.name, file, file.name);
      });
    });
    Promise.all(shrunk).then(function () {
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("HX-Request", "true");
      request.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        progress.value = Math.round((100 * event.loaded) / event.total);
        progress.textContent = progress.value + "%";
      });
      request.addEventListener("load", function () {
        var next = request.getResponseHeader("HX-Redirect");
        if (next) {
          window.location.assign(next);
        } else if (!swap(request.responseText, form, status)) {
          failed(status.textContent);
        }
      });
      request.addEventListener("error", function () {
        failed(form.dataset.failed);
      });
      request.addEventListener("timeout", function () {
        failed(form.dataset.failed);
      });
      progress.value = 0;
      show(progress, true);
      status.textContent = form.dataset.sending;
      request.send(data);
    });
  }

  function setUp() {
    var form = document.getElementById("proof-form");
    if (!form || !window.FormData || !window.Promise || form.dataset.ready) return;
    form.dataset.ready = "1";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.dataset.busy) send(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
