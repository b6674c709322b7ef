"""The installable web app in a real browser: the service worker registers from the page's
script, keeps the static files, and shows the offline page when the network is gone."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE = "navigator.serviceWorker.ready.then(r => r.active.scriptURL)"
# Waits poll with evaluate(): wait_for_function's string is eval'd, which the pages' CSP refuses.
CONTROLLED = """async () => {
  for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) {
    await new Promise((done) => setTimeout(done, 50));
  }
  return navigator.serviceWorker.controller !== null;
}"""


def test_the_service_worker_shows_the_offline_page_without_a_network(phone):
    phone.go("/")
    assert phone.evaluate(ACTIVE).endswith("/sw.js")
    assert phone.evaluate(CONTROLLED)  # the worker's clients.claim() took this page
    stylesheet = phone.evaluate("document.querySelector('link[rel=stylesheet]').href")
    assert phone.evaluate(f"caches.match({stylesheet!r}).then(r => !!r)")

    phone.context.set_offline(True)
    response = phone.go("/work/")
    assert response.ok and response.from_service_worker
    assert phone.locator("h1").inner_text() == "No connection"
    assert phone.evaluate("document.documentElement.lang") == "en"
    # The cached stylesheet styles it: the brand mark in Kaaj's teal, as on every page.
    colour = phone.eval_on_selector(".brand-mark", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(15, 118, 110)"
    phone.context.set_offline(False)


def test_the_offline_page_follows_the_language_of_the_last_page(phone):
    phone.context.set_extra_http_headers({"Accept-Language": "bn"})
    phone.go("/")
    phone.evaluate(ACTIVE)
    assert phone.evaluate(CONTROLLED)
    phone.go("/accounts/login/")  # a page the worker controls: its Content-Language is seen
    phone.context.set_offline(True)
    phone.go("/work/mine/")
    assert phone.evaluate("document.documentElement.lang") == "bn"
    phone.context.set_offline(False)
