"""Every page a worker, an employer and a moderator reach, on a 360 x 740 phone, in English and
in Bengali: nothing wider than the screen, no interface text left in English on a Bengali page,
no touch target under 44 px, and no serious or critical axe-core violation.

The pages come from the URL conf, not from a hand-kept list: every pattern is opened as each
role with the test client over a seeded world, and each one that answers an HTML page is
then checked in the browser. A pattern the world cannot fill (a new page with an id in its
path) fails the collection until ARGS says which row it shows, so a new page cannot slip by.

"Untranslated" is judged on visible text nodes: a Latin word on a Bengali page is a failure
unless it is user content (any word of any text the world's users typed: titles,
instructions, names, answers, reasons), a name (Kaaj, Stripe, bKash ...), or a code, e-mail
address or URL. Touch targets follow WCAG 2.5.8's inline exception: a link inside a sentence
is sized by the text around it and is not counted.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from unittest.mock import patch

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from payments.models import Payout, PayoutMethod
from payments.services.payouts import payout_method_add, payout_request
from tasks.services import assignment_submit, campaign_create
from tasks.services.qualifications import QualificationSpec, qualification_create
from tests.factories import PASSWORD, UserFactory, two_step_on
from webhooks.models import Endpoint
from webhooks.services import endpoint_ping
from workers.claims import task_claim

from ..payments.helpers import give
from ..tasks.dispute_helpers import disputed
from ..tasks.helpers import active_campaign, spec
from .conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Paths never visited as pages: other documents (API, admin, manifest, service worker), and
# allauth's pages a signed-in user is only sent to by an e-mail or a provider.
SKIP_PREFIXES = ("/api/", "/admin/", "/accounts/", "/sw.js", "/manifest", "/static/")
# Names, brands and codes that stay Latin in Bengali.
NAMES = {
    "Kaaj", "Stripe", "PayPal", "Skrill", "bKash", "Connect", "USD", "API", "CSV", "URL",
    "HTTPS", "HTTP", "JSON", "HMAC", "SHA", "acct", "Microworkers", "Google", "Facebook",
    "English", "PNG", "JPEG", "WebP", "ID", "Ctrl", "Mac", "Wi-Fi", "Esc",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")
# E-mail addresses, URLs, identifiers (acct_1, whsec_..., a/b), codes (AB-123, BD, USD),
# header names (Kaaj-Signature) and template placeholders ({{column}}).
CODE_LIKE = re.compile(
    r"\S+@\S+|https?://\S+|\S*[_/]\S*|\b[A-Z0-9]{2,}-?\d+\b|\b[A-Z]{2,4}\b"
    r"|\b[A-Z][a-z]+(?:-[A-Z][a-z]+)+\b|\{\{\s*\w+\s*\}\}"
)
MIN_TARGET = 44


@pytest.fixture
def world():
    """Rows behind every page: a campaign at work, a dispute, a payout, a webhook."""
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders", country="BD")
    worker = UserFactory(email="karim@example.com", display_name="Karim", country="BD")
    moderator = two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))
    dispute = disputed(employer, worker, moderator, title="Sign up and tell us your name")
    # With check tasks, one answered wrong: the employer's page shows each worker's accuracy.
    campaign = active_campaign(
        employer, moderator, title="Follow our page", positions=2, gold_rate=10,
        instructions="Follow {{page}} and tell us your username.",
        task_inputs=tuple({"page": f"https://example.com/p{n}", "_gold_username": gold}
                          for n, gold in enumerate(("", "", "rahim_traders"))),
    )  # fmt: skip
    with patch("workers.claims.gold_due", return_value=True):
        checked = task_claim(campaign=campaign, worker=worker)
    assignment_submit(assignment=checked, worker=worker, answers={"username": "karim"}, files={})
    with patch("workers.claims.gold_due", return_value=False):
        doing = task_claim(campaign=campaign, worker=worker)
    endpoint = Endpoint.objects.create(employer=employer, url="https://hooks.example.com/kaaj")
    delivery = endpoint_ping(endpoint=endpoint, by=employer)
    draft = campaign_create(employer=employer, spec=spec(title="Review our app"))
    test = qualification_create(
        by=employer,
        spec=QualificationSpec(
            name="Reading shop signs",
            description="Can you read a shop's sign from a photo?",
            questions=[
                {"text": "Which city is the capital?", "kind": "choice",
                 "choices": ["Khulna", "Dhaka"], "answer": 1},
                {"text": "Type the sign's word", "kind": "text", "answer": "bazar"},
            ],
            pass_mark=100,
        ),
    )  # fmt: skip
    give(worker, 2_000, key="world-worker-balance")
    method = payout_method_add(
        user=worker, kind="bkash", destination="01712345678", label="My bKash"
    )
    payout_request(user=worker, method=method, amount_cents=1_000)
    _warned(worker)
    rating = _rated(dispute, employer)
    group = _grouped(employer, worker)
    return {
        "employer": employer,
        "worker": worker,
        "moderator": moderator,
        "campaign": campaign,
        "dispute": dispute,
        "doing": doing,
        "endpoint": endpoint,
        "delivery": delivery,
        "draft": draft,
        "test": test,
        "payout": Payout.objects.get(user=worker),
        "method": PayoutMethod.objects.get(user=worker),
        "rating": rating,
        "group": group,
    }


def _grouped(employer, worker):
    """The employer's group with the worker in it, and the worker's saved search: the groups'
    pages and the feed's saved searches show them."""
    from tasks.services.groups import group_create, group_member_add
    from workers.searches import saved_search_save
    from workers.selectors import FeedFilters

    group = group_create(owner=employer, name="Careful typists")
    group_member_add(group=group, worker=worker, by=employer)
    saved_search_save(worker=worker, name="Follow", filters=FeedFilters(q="follow"))
    return group


def _warned(worker) -> None:
    """The worker warned for the rejection under dispute, and appealing it: /warnings/ and
    the moderators' appeals show a step with its rejections and forms."""
    from django.test import override_settings

    from workers.sanctions import sanction_appeal, sanction_evaluate

    with override_settings(SANCTION_MIN_REVIEWED=1, SANCTION_REJECTION_PERCENT=1):
        warning = sanction_evaluate(user_id=worker.pk, side="worker")
    sanction_appeal(sanction=warning, by=worker, reason="I signed up with the right name")


def _rated(dispute, employer):
    """The worker's rating of the disputed campaign's employer, answered and reported: the
    ratings' pages, and the moderators' flags, show all three."""
    from tasks.services.ratings import rating_answer, rating_report, rating_save

    rating, _created = rating_save(
        campaign=dispute.assignment.campaign, worker=dispute.assignment.worker,
        pay=4, clarity=3, speed=2, comment="Clear steps, slow review",
    )  # fmt: skip
    rating_answer(rating=rating, by=employer, answer="We review daily now")
    return rating_report(rating=rating, by=employer, reason="Not about the work")


# Which row each page with an id in its path shows (its pk), per URL name.
ARGS = {
    "tasks:campaign_manage": lambda w: w["campaign"].pk,
    "tasks:campaign_edit": lambda w: w["campaign"].pk,
    "tasks:assignment_review": lambda w: w["dispute"].assignment_id,
    "tasks:assignment_bonus": lambda w: w["dispute"].assignment_id,
    "tasks:review_file": lambda w: w["campaign"].pk,
    "tasks:campaign_statistics": lambda w: w["campaign"].pk,
    "tasks:employer_dispute": lambda w: w["dispute"].pk,
    "tasks:dispute_open": lambda w: w["dispute"].assignment_id,
    "workers:campaign": lambda w: w["campaign"].pk,
    "workers:assignment": lambda w: w["doing"].pk,
    "workers:assignment_release": lambda w: w["doing"].pk,
    "webhooks:endpoint": lambda w: w["endpoint"].pk,
    "webhooks:endpoint_edit": lambda w: w["endpoint"].pk,
    "webhooks:delivery": lambda w: w["delivery"].pk,
    "tasks:campaign_launch": lambda w: w["draft"].pk,  # asks before it moves money
    "tasks:campaign_cancel": lambda w: w["campaign"].pk,
    "workers:block_from_review": lambda w: w["dispute"].assignment_id,
    "moderation:dispute": lambda w: w["dispute"].pk,
    "moderation:user": lambda w: w["worker"].pk,
    "tasks:screenshot": None,  # images, not pages
    "tasks:kept_screenshot": None,
    "tasks:dispute_evidence": None,
    "payments:deposit_success": None,  # a deposit's return pages: reached from Stripe only
    "payments:deposit_cancel": None,
    "payments:deposit_sandbox_checkout": None,
    "offline": lambda w: "bn",
    "workers:test": lambda w: w["test"].pk,
    "workers:test_edit": lambda w: w["test"].pk,
    "workers:campaign_rating": lambda w: w["rating"].campaign_id,
    "workers:employer_ratings": lambda w: w["rating"].employer_id,
    "tasks:campaign_ratings": lambda w: w["rating"].campaign_id,
    "tasks:rating_answer": lambda w: w["rating"].pk,
    "tasks:rating_report": lambda w: w["rating"].pk,
    "moderation:rating_decide": lambda w: w["rating"].pk,
    "workers:group": lambda w: w["group"].pk,
    "workers:group_add": lambda w: w["dispute"].assignment_id,
}


def _patterns(resolver=None, prefix="", namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield namespace + (pattern.name or ""), prefix + str(pattern.pattern)


def _pages_of(user, world) -> list[str]:
    """The paths ``user`` opens as HTML pages, from the URL conf."""
    requests = logging.getLogger("django.request")  # every 403, 404 and 405 probed, logged
    level = requests.level
    requests.setLevel(logging.ERROR)
    try:
        return _probe(user, world)
    finally:
        requests.setLevel(level)


def _probe(user, world) -> list[str]:
    client = Client()
    client.force_login(user)
    paths, unknown = [], []
    for name, route in _patterns():
        path = "/" + route
        if path.startswith(SKIP_PREFIXES):
            continue
        if "<" in route or "(?P" in route:
            if name not in ARGS:
                # POST-only actions answer 405 to GET whatever the id, and another role's
                # pages 403: no row needed.
                if client.get("/" + re.sub(r"<[^>]+>", "1", route)).status_code in (403, 405):
                    continue
                unknown.append(name)
                continue
            if ARGS[name] is None:
                continue
            path = "/" + re.sub(r"<[^>]+>", str(ARGS[name](world)), route, count=1)
            path = re.sub(r"<[^>]+>", "1", path)
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            paths.append(path)
    assert unknown == [], f"pages with an id nobody chose a row for (add them to ARGS): {unknown}"
    return paths


def _user_words() -> set[str]:
    """Every word of every free text the world's rows hold: user content, not interface."""
    words: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts", "tasks", "workers", "payments", "webhooks", "notifications", "moderation",
        }:  # fmt: skip
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            words.update(LATIN_WORD.findall(" ".join(str(value) for value in row)))
    return words


# In the page: the checks' raw findings, judged in Python.
FINDINGS = "\n".join(
    line
    for line in Path(__file__).with_name("every_page.js").read_text().splitlines()
    if not line.startswith("//")  # the file's header: evaluate() takes a bare function
)
AXE = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js").read_text()


def _axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}) at {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _check(page, path: str, language: str, user_words: set[str]) -> list[str]:
    response = page.go(path)
    problems = [] if response.ok else [f"answered {response.status}"]
    found = page.evaluate(FINDINGS, MIN_TARGET)
    if found["width"] > PHONE["width"]:
        problems.append(f"{found['width']} px wide on a {PHONE['width']} px screen")
    problems += [f"touch target under {MIN_TARGET} px: {what}" for what in found["small"]]
    if language == "bn":
        for text in found["texts"]:
            if set(LATIN_WORD.findall(CODE_LIKE.sub(" ", text))) - NAMES - user_words:
                problems.append(f"English on a Bengali page: {text[:80]!r}")
    else:  # axe's rules look at the structure, the same in both languages: once is enough
        problems += _axe_violations(page)
    return [f"{path} [{language}] {problem}" for problem in dict.fromkeys(problems)]


def test_every_page_fits_a_phone_in_both_languages(phone, world):
    """One world and one browser context for every role (the run stays near a minute)."""
    user_words = _user_words()
    problems: list[str] = []
    checked = []
    for language in ("en", "bn"):
        phone.context.set_extra_http_headers({"Accept-Language": language})
        for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
            problems += _check(phone, path, language, set())
    checked.append(("visitor", 4))
    for role in ("worker", "employer", "moderator"):
        user = world[role]
        paths = _pages_of(user, world)
        assert len(paths) >= 8, paths
        phone.context.clear_cookies()
        log_in(phone, user.email, PASSWORD)
        for language in ("en", "bn"):
            type(user).objects.filter(pk=user.pk).update(language=language)
            for path in paths:
                problems += _check(phone, path, language, user_words)
        checked.append((role, len(paths)))
        print(f"{role}: {len(paths)} pages in en and bn:", *paths, sep="\n  ")
    print("pages checked:", checked)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


BAD_PAGE = """<!DOCTYPE html><html lang="bn">
<head><link rel="stylesheet" href="/static/css/kaaj.css"></head>
<body><main class="page"><h1>কাজ</h1><p>Untranslated words here</p>
<div style="width: 600px">ক</div><a href="/x"></a>
<nav style="display: flex"><a href="/y">ছোট</a></nav></main></body></html>"""


def test_the_checks_catch_what_they_look_for(phone, live_server):
    """A page with each fault: too wide, English left, a tiny target, an unnamed link."""
    phone.route(
        live_server.url + "/bad/",
        lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=BAD_PAGE),
    )
    found = "\n".join(_check(phone, "/bad/", "bn", set()) + _check(phone, "/bad/", "en", set()))
    assert "px wide on a 360 px screen" in found
    assert "English on a Bengali page: 'Untranslated words here'" in found
    assert 'touch target under 44 px: a "ছোট"' in found
    assert "axe serious: link-name" in found
    phone.csp.violations.clear()
