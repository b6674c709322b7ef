// Registers Kaaj's service worker (/sw.js, marketplace/static/js/sw.js): it keeps the static
// files and an offline page for a phone that loses its connection. Pages work without it.
"use strict";
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  });
}
