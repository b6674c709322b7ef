// tests/browser/test_every_page.py's look at one page: its width, its visible text nodes
// (outside code and English-marked elements), and its interactive elements smaller than
// minTarget px (a tick box counts with its label; a link inside a sentence does not count,
// as WCAG 2.5.8's inline exception says).
(minTarget) => {
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden") return false;
      if (e.parentElement && e.parentElement.tagName === "DETAILS" && !e.parentElement.open
          && e.tagName !== "SUMMARY") return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("code, pre, kbd, samp, script, style,"
        + " [lang=en], [translate=no], .skip") || !shown(el)) continue;
    texts.push(node.textContent.trim());
  }
  const small = [];
  for (const el of document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!shown(el) || el.closest(".skip")) continue;
    let box = el.getBoundingClientRect();
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      const label = el.closest("label")
        || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) box = label.getBoundingClientRect();
    }
    if (el.tagName === "A" && getComputedStyle(el).display === "inline") {
      const around = el.parentElement.textContent.replace(/\s+/g, " ").trim();
      if (around.length > el.textContent.replace(/\s+/g, " ").trim().length + 1) continue;
    }
    if (Math.min(box.width, box.height) < minTarget - 0.5) {
      const name = (el.textContent || el.name || "").trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} "${name}" `
        + `${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return {width: document.documentElement.scrollWidth, texts, small};
}
