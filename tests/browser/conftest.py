"""A real browser: Playwright driving the system Chromium on a phone-sized screen.

Where no Chromium is installed these tests skip and say how to install it; under CI
(CI=true) a missing Chromium fails instead, so CI always runs them.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("KAAJ_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# One browser per module, not per session: while Playwright's event loop lives, Django's ORM
# needs DJANGO_ALLOW_ASYNC_UNSAFE, and that must not leak into the modules after these (it is
# a deploy-check error, and it would hide real async misuse).
@pytest.fixture(scope="module")
def browser(django_db_setup):  # the test database exists before the event loop starts
    if not os.path.exists(CHROMIUM):
        message = (
            "Browser tests need Chromium: `apt-get install chromium` (Debian) or set "
            "KAAJ_CHROMIUM to a Chromium binary."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while the browser is open;
    # the ORM calls the tests make between browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=ARGS
            )
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Every page reports what its Content-Security-Policy blocked: Chromium's own console error
# ("Refused to ... because it violates the following Content Security Policy directive") and,
# for what the console may not name, the page's securitypolicyviolation event.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("Content Security Policy violation (event): " + e.violatedDirective + " "
    + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class CspGuard:
    """Collects the Content-Security-Policy violations and uncaught errors of one context."""

    def __init__(self, context):
        self.violations: list[str] = []
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.violations.append(f"page error: {error.error}"))

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")

    def check(self) -> None:
        if self.violations:
            pytest.fail("The browser reported:\n" + "\n".join(self.violations), pytrace=False)


@pytest.fixture
def phone(browser, live_server):
    """A fresh phone-sized browser context; ``phone.go(path)`` opens a page of the server.

    The test fails at teardown if any page broke its Content-Security-Policy or threw an
    uncaught error (``phone.csp`` holds what was seen).
    """
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.csp = CspGuard(context)
    page.go = lambda path: page.goto(live_server.url + path)
    yield page
    context.close()
    page.csp.check()


def log_in(page, email: str, password: str) -> None:
    """The log-in page; for an account with two-step sign-in on (the tests' moderators), the
    code page next, answered with the code of tests.factories.TOTP_SECRET."""
    from tests.factories import totp_code

    page.go("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/accounts/2fa/authenticate/"):
        page.fill("input[name=code]", totp_code())
        page.click("main form button[type=submit]")
        page.wait_for_load_state()


def until(page, expression: str, arg=None, seconds: float = 10) -> None:
    """Wait for a JavaScript expression (or a function of ``arg``) to be true. Playwright's
    wait_for_function polls with eval once its first try fails, which the pages' Content
    Security Policy refuses (so it passed or failed with the machine's speed); evaluate()
    does not."""
    for _ in range(int(seconds * 20)):
        if page.evaluate(expression, arg):
            return
        page.wait_for_timeout(50)
    pytest.fail(f"never true: {expression}")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
