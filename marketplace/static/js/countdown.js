/* Optional: turn each deadline into a live countdown. Without JavaScript the time shows.
   A file of its own, not an inline script: the Content-Security-Policy allows only 'self'. */
(function () {
  var items = document.querySelectorAll("[data-countdown]");
  function tick() {
    items.forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
      if (isNaN(left)) return;
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = el.dataset.label.replace("%s", m + ":" + (s < 10 ? "0" : "") + s);
    });
  }
  if (items.length) { tick(); setInterval(tick, 1000); }
})();
