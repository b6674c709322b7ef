"""The Content-Security-Policy: the header on pages, the API docs and the admin, and templates
that need nothing the policy forbids. The browser tests (tests/browser/) fail on any violation."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/admin/login/", "/no-such-page/"],
)
def test_pages_docs_and_admin_carry_the_policy(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert policy_of(response) == POLICY


def test_signed_in_pages_and_the_admin_carry_the_policy(client, employer):
    employer.is_staff = employer.is_superuser = True
    employer.save()
    client.force_login(employer)
    for path in ("/work/", "/money/wallet/", "/admin/", "/admin/accounts/user/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy_of(response) == POLICY, path


def test_the_policy_allows_nothing_unsafe():
    header_values = " ".join(
        " ".join(sources) for sources in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].values()
    )
    assert "unsafe" not in header_values
    assert "*" not in header_values


def test_the_api_docs_page_alone_may_show_data_images(client):
    docs = policy_of(client.get("/api/docs/"))
    assert docs["img-src"] == ["'self'", "data:"]
    assert {**docs, "img-src": ["'self'"]} == POLICY


def test_the_api_docs_page_loads_its_start_up_script_from_a_url(client):
    page = client.get("/api/docs/")
    html = page.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, html
    assert all("src=" in attributes for attributes in scripts)
    assert "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_deposit_page_alone_may_send_its_form_on_to_stripe_checkout(client, employer):
    client.force_login(employer)
    deposit_page = policy_of(client.get("/money/deposits/new/"))
    assert deposit_page["form-action"] == ["'self'", "https://checkout.stripe.com"]
    assert {**deposit_page, "form-action": ["'self'"]} == POLICY
    assert policy_of(client.get("/money/wallet/"))["form-action"] == ["'self'"]


# What the policy would block: inline <script>, <style>, style="", on*="" handlers, hx-on,
# javascript: URLs.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|<style\b|\sstyle=|\son[a-z]+=|\shx-on|javascript:",
    re.IGNORECASE,
)


def test_no_template_needs_inline_script_or_style():
    roots = {Path(settings.PACKAGE_DIR) / "templates"} | {
        path for path in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in path.parts
    }
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()[:100]}"
        for root in roots
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if INLINE.search(line)
    ]
    assert found == []
