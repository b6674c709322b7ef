"""base.html's frame: tab titles, the phone header, htmx only where used, the login pages,
the 403 page, and the installable web app (manifest, service worker, offline page)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "marketplace" / "templates"


def test_tab_titles_separate_the_page_from_the_site(client, worker):
    client.force_login(worker)
    html = client.get(reverse("workers:feed")).content.decode()
    assert re.search(r"<title>\S[^<]* · Kaaj</title>", html), html[:600]
    assert "<title>Kaaj</title>" in client.get("/offline/en/").content.decode().replace(
        "No connection · ", ""
    )


def test_a_page_without_a_title_is_named_kaaj_alone():
    from django.template import Context, Template

    frame = Template(
        "{% load layout %}{% tab_title %}{% block head_title %}{% endblock %}{% endtab_title %}"
    )
    assert frame.render(Context()) == "Kaaj"
    titled = Template(
        "{% load layout %}{% tab_title %} <b>Find</b>\n work {% endtab_title %}"
    ).render(Context())
    assert titled == "Find work · Kaaj"


def test_the_header_keeps_two_links_out_and_the_rest_in_a_menu(client, worker):
    client.force_login(worker)
    html = client.get("/").content.decode()
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    outside_menu = header.split('<details class="menu">')[0]
    assert reverse("workers:feed") in outside_menu and reverse("workers:my_work") in outside_menu
    assert reverse("payments:wallet") not in outside_menu
    assert reverse("payments:wallet") in header
    assert 'class="language-switch"' in header  # the switch is in the header, not the footer
    assert 'class="language-switch"' not in html.split("</header>")[1]


def test_htmx_is_loaded_only_by_pages_that_use_it(client, worker):
    client.force_login(worker)
    assert "htmx.min.js" not in client.get(reverse("workers:feed")).content.decode()
    assert "htmx.min.js" in client.get(reverse("notifications:list")).content.decode()


INCLUDE = re.compile(r'{%\s*include\s+"([^"]+)"')
HX = re.compile(r"\bhx-[a-z]+=")


def _uses_htmx(name: str, seen: set[str]) -> bool:
    """Whether template ``name`` or anything it includes (by a literal name) has hx- attributes."""
    path = TEMPLATES / name
    if name in seen or not path.exists():
        return False
    seen.add(name)
    text = path.read_text()
    return bool(HX.search(text)) or any(_uses_htmx(i, seen) for i in INCLUDE.findall(text))


def test_every_page_with_hx_attributes_loads_htmx():
    """A page whose template, or a fragment it includes, uses hx- attributes must opt in with
    {% block htmx %} (base.html); fragments alone (no {% extends %}) are judged with their page."""
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        name = str(path.relative_to(TEMPLATES))
        text = path.read_text()
        if name == "base.html" or "{% extends" not in text:
            continue
        if _uses_htmx(name, set()) and 'include "includes/htmx.html"' not in text:
            missing.append(name)
    assert missing == [], f"use hx- attributes without loading htmx: {missing}"
    assert _uses_htmx("tasks/campaign_manage.html", set())  # through review_card.html


def test_the_login_page_is_kaajs_own(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "<title>Log in · Kaaj</title>" in html
    assert "Sign In" not in html and "Remember Me:" not in html
    assert 'class="check"' in html  # "Remember me" is a 44 px label around its tick box
    html = client.get(reverse("account_signup")).content.decode()
    assert "<title>Sign up · Kaaj</title>" in html and "Sign Up" not in html


def test_a_worker_opening_the_console_gets_kaajs_403_page(client, worker):
    client.force_login(worker)
    response = client.get(reverse("moderation:home"))
    assert response.status_code == 403
    html = response.content.decode()
    assert '<header class="site-header">' in html and "Not allowed" in html


def test_the_manifest_names_the_app_with_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone" and manifest["short_name"] == "Kaaj"
    assert manifest["start_url"] == reverse("workers:feed")
    assert manifest["theme_color"] == "#0f766e"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    bengali = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="bn")
    assert json.loads(bengali.content)["lang"] == "bn"
    assert "/manifest.webmanifest" in client.get("/").content.decode()


def test_the_icons_are_the_ones_the_script_draws():
    from PIL import Image, ImageChops

    from marketplace.icons import ICONS, IMG, draw

    for name, size, maskable in ICONS:
        with Image.open(IMG / name) as committed:
            assert committed.size == (size, size)
            drawn = draw(size, maskable=maskable)
            assert ImageChops.difference(committed.convert("RGBA"), drawn).getbbox() is None


def test_the_service_worker_is_served_from_the_root_with_what_it_caches(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    first = json.loads(body.split("\n", 1)[0].removeprefix("const KAAJ = ").rstrip(";"))
    assert first["offline"] == {"en": "/offline/en/", "bn": "/offline/bn/"}
    assert "/static/css/kaaj.css" in first["static"]
    assert 'addEventListener("fetch"' in body
    assert "/static/js/register-sw.js" in client.get("/").content.decode()


def test_the_offline_page_renders_in_both_languages(client):
    english = client.get("/offline/en/").content.decode()
    assert "No connection" in english and '<html lang="en">' in english
    bengali = client.get("/offline/bn/").content.decode()
    assert '<html lang="bn">' in bengali
    assert client.get("/offline/xx/").status_code == 404
