/* A campaign's review queue: "Select all", review in place, and keys on a computer.
   Loaded only on that page; without it every control still works (the links and forms reload
   the page at the right place). No framework, no inline script (the Content-Security-Policy
   allows only 'self'). htmx does the requests; this file only moves the focus. */
(function () {
  "use strict";
  var queue = document.querySelector(".review-queue");
  if (!queue) return;

  function boxes() { return Array.prototype.slice.call(queue.querySelectorAll("input[name=ids]")); }
  function waiting() { return Array.prototype.slice.call(queue.querySelectorAll(".review-card.waiting")); }

  // Select all / none. Without JavaScript the link reloads the page with every box ticked.
  var toggle = document.getElementById("select-all");
  if (toggle) {
    var allLabel = toggle.textContent, noneLabel = toggle.dataset.none;
    var sync = function () {
      var all = boxes().length > 0 && boxes().every(function (box) { return box.checked; });
      toggle.textContent = all ? noneLabel : allLabel;
      toggle.setAttribute("aria-pressed", all ? "true" : "false");
    };
    toggle.setAttribute("role", "button");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var all = boxes().every(function (box) { return box.checked; });
      boxes().forEach(function (box) { box.checked = !all; });
      sync();
    });
    queue.addEventListener("change", sync);
    sync();
  }

  // The card that the keys act on: the first waiting one, then wherever the employer is.
  var current = null;
  function show(card) {
    if (current) current.classList.remove("current");
    current = card;
    if (!card) return;
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start", behavior: "smooth" });
  }
  function step(from, forward) {
    var cards = waiting(), at = cards.indexOf(from);
    if (at < 0) return cards[0] || null;
    return cards[at + (forward ? 1 : -1)] || null;
  }
  queue.addEventListener("focusin", function (event) {
    var card = event.target.closest(".review-card");
    if (card && card !== current) {
      if (current) current.classList.remove("current");
      current = card;
      card.classList.add("current");
    }
  });

  // A review form that comes back with errors (400) is swapped in too, to show them.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target.closest(".review-card")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // After a review: the card shows its outcome and the next submission waiting comes into
  // view; a card still waiting (it had an error) keeps the focus on its reason.
  // On the new card itself, once settled: until then htmx gives it the old card's classes.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("review-card")) return;
    if (card.classList.contains("waiting")) {
      var reason = card.querySelector("textarea");
      current = card;
      if (reason) reason.focus();
      return;
    }
    var cards = Array.prototype.slice.call(queue.querySelectorAll(".review-card"));
    var after = cards.slice(cards.indexOf(card) + 1).filter(function (c) {
      return c.classList.contains("waiting");
    });
    var next = after[0] || waiting()[0] || null;
    current = card;
    if (next) show(next); else card.focus();
  });

  // Keys, on a computer only (a phone has no keyboard to spare), never while typing.
  if (!window.matchMedia("(hover: hover) and (pointer: fine) and (min-width: 40rem)").matches) return;
  var help = document.getElementById("review-keys");
  if (help) help.hidden = false;
  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape" && current) { event.target.blur(); current.focus(); }
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "n" || key === "p") {
      event.preventDefault();
      show(step(current, key === "n"));
      return;
    }
    if (!current || !current.classList.contains("waiting")) current = step(null, true);
    if (!current) return;
    var button = current.querySelector("button[data-key='" + key + "']");
    if (!button) return;
    event.preventDefault();
    var reason = current.querySelector("textarea");
    if (key !== "a" && reason && !reason.value.trim()) { reason.focus(); return; }
    button.click();
  });
})();
