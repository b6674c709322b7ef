"""Qualification tests' pages: writing one, finding the ones that open work, taking one, and
a campaign that requires one."""

import pytest
from django.urls import reverse

from tasks.models import Campaign, HeldQualification, Qualification, QualificationAttempt
from tasks.services.qualifications import QualificationSpec, qualification_create

from ..tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Capital of Bangladesh?", "kind": "choice", "choices": ["Khulna", "Dhaka"],
     "answer": 1},
    {"text": "Type: BAZAR", "kind": "text", "answer": "bazar"},
]  # fmt: skip


def written(employer, **changes):
    values = {"name": "Reading signs", "questions": QUESTIONS, "pass_mark": 100}
    return qualification_create(by=employer, spec=QualificationSpec(**(values | changes)))


def form_data(**changes) -> dict:
    data = {
        "name": "Map reading",
        "description": "Can you read a map?",
        "pass_mark": "50",
        "retake_after_hours": "12",
        "is_active": "on",
        "q0_text": "Which way is north on a map?",
        "q0_kind": "choice",
        "q0_choices": "Up\nDown\nLeft",
        "q0_answer": "1",
        "q1_text": "Name the river through Dhaka",
        "q1_kind": "text",
        "q1_answer": "Buriganga",
    }
    for n in range(2, 10):
        data[f"q{n}_kind"] = "choice"
    return data | changes


def test_an_employer_writes_a_test_on_the_page(client, employer):
    client.force_login(employer)
    assert client.get(reverse("workers:test_new")).status_code == 200
    response = client.post(reverse("workers:test_new"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    test = Qualification.objects.get(owner=employer)
    assert (test.name, test.pass_mark, test.retake_after_hours) == ("Map reading", 50, 12)
    assert test.questions == [
        {"text": "Which way is north on a map?", "kind": "choice",
         "choices": ["Up", "Down", "Left"], "answer": 0},
        {"text": "Name the river through Dhaka", "kind": "text", "choices": [],
         "answer": "Buriganga"},
    ]  # fmt: skip
    page = client.get(reverse("workers:my_tests")).content.decode()
    assert "Map reading" in page
    edit = client.get(reverse("workers:test_edit", args=[test.pk])).content.decode()
    assert "Buriganga" in edit and "Up\nDown\nLeft" in edit


def test_a_badly_made_question_is_named_on_the_page_and_nothing_is_saved(client, employer):
    client.force_login(employer)
    response = client.post(reverse("workers:test_new"), form_data(q0_answer="7"))
    assert response.status_code == 400
    assert "Question 1 needs one of its choices marked right." in response.content.decode()
    assert not Qualification.objects.exists()


def test_only_the_author_opens_a_tests_editing_page(client, employer, worker):
    test = written(employer)
    client.force_login(worker)
    assert client.get(reverse("workers:test_edit", args=[test.pk])).status_code == 404
    assert client.post(reverse("workers:test_edit", args=[test.pk]), form_data()).status_code == 404
    test.refresh_from_db()
    assert test.name == "Reading signs"


def test_a_worker_finds_the_test_a_campaign_needs_and_passes_it(
    client, employer, moderator, worker
):
    test = written(employer)
    campaign = active_campaign(employer, moderator)
    Campaign.objects.filter(pk=campaign.pk).update(qualifications=[test.pk])
    client.force_login(worker)

    feed = client.get(reverse("workers:feed")).content.decode()
    assert "A qualification test would open more campaigns to you." in feed
    assert campaign.title not in feed
    tests = client.get(reverse("workers:tests")).content.decode()
    assert "Reading signs" in tests and "opens 1 campaign" in tests
    page = client.get(reverse("workers:campaign", args=[campaign.pk])).content.decode()
    assert "This campaign is for workers who passed its test: Reading signs." in page
    assert reverse("workers:test", args=[test.pk]) in page

    url = reverse("workers:test", args=[test.pk])
    taking = client.get(url).content.decode()
    assert "Capital of Bangladesh?" in taking and "Dhaka" in taking
    assert "bazar" not in taking  # the text answer is not on the page
    missing = client.post(url, {"a0": "1"})
    assert missing.status_code == 400 and "Type your answer." in missing.content.decode()
    assert not QualificationAttempt.objects.exists()
    passed = client.post(url, {"a0": "1", "a1": " Bazar "}, follow=True)
    assert "You passed with 100%" in passed.content.decode()
    assert HeldQualification.objects.filter(worker=worker, qualification=test).exists()
    assert campaign.title in client.get(reverse("workers:feed")).content.decode()


def test_a_failed_test_shows_when_it_may_be_taken_again(client, employer, worker):
    test = written(employer)
    client.force_login(worker)
    url = reverse("workers:test", args=[test.pk])
    failed = client.post(url, {"a0": "0", "a1": "market"}, follow=True).content.decode()
    assert "0% right: 100% is needed to pass." in failed
    assert "You can take this test again from" in failed
    assert 'name="a0"' not in failed  # no form until then


def test_the_campaign_form_offers_the_employers_tests_and_kaajs(
    client, employer, outsider, moderator
):
    from ..tasks.test_pages_employer import form_data as campaign_form

    own = written(employer)
    platform = qualification_create(
        by=moderator,
        spec=QualificationSpec(name="Kaaj basics", questions=QUESTIONS, pass_mark=50),
        platform=True,
    )
    theirs = written(outsider, name="Not yours")
    client.force_login(employer)
    page = client.get(reverse("tasks:campaign_new")).content.decode()
    assert "Reading signs" in page and "Kaaj basics" in page and "Not yours" not in page
    response = client.post(
        reverse("tasks:campaign_new"), campaign_form(qualifications=[own.pk, platform.pk])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(Campaign.objects.get(employer=employer).qualifications) == sorted(
        [own.pk, platform.pk]
    )
    refused = client.post(reverse("tasks:campaign_new"), campaign_form(qualifications=[theirs.pk]))
    assert refused.status_code == 400
    assert Campaign.objects.filter(employer=employer).count() == 1


def test_the_tests_page_costs_the_same_queries_for_many_tests(
    client, employer, worker, django_assert_max_num_queries
):
    client.force_login(worker)
    written(employer)
    client.get(reverse("workers:tests"))  # the session and the like, once
    with django_assert_max_num_queries(6) as one:
        client.get(reverse("workers:tests"))
    for n in range(6):
        written(employer, name=f"Test {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("workers:tests")).content.decode()
    assert page.count(reverse("workers:test", args=[1]).rsplit("/", 2)[0]) >= 7


def test_the_employer_sees_what_a_campaign_requires_on_its_page(client, employer, moderator):
    test = written(employer)
    campaign = active_campaign(employer, moderator)
    Campaign.objects.filter(pk=campaign.pk).update(qualifications=[test.pk], min_level=2)
    client.force_login(employer)
    page = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    assert "<dt>Workers from</dt><dd>Level 2</dd>" in page
    assert "<dt>Tests passed</dt><dd>Reading signs</dd>" in page
