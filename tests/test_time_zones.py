"""Every time is shown in the reader's zone, with the zone named: an Indian worker's deadline
in IST, a Bangladeshi's at +06:00, a visitor's in TIME_ZONE; the API stays ISO 8601."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import UserTimeZoneMiddleware
from accounts.timezones import format_time, time_zone_for_country
from tasks.models import Assignment, Campaign
from workers.claims import task_claim

from .factories import UserFactory
from .tasks.helpers import active_campaign
from .tasks.test_pages_employer import NEW, form_data

pytestmark = pytest.mark.django_db

NINE_UTC = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def claimed(employer, moderator):
    """``claimed(worker)``: the worker's claim on a campaign, due at 09:00 UTC."""

    def claim(worker):
        campaign = active_campaign(employer, moderator)
        assignment = task_claim(campaign=campaign, worker=worker)
        Assignment.objects.filter(pk=assignment.pk).update(expires_at=NINE_UTC)
        return assignment

    return claim


def test_a_country_gives_its_zone():
    assert time_zone_for_country("IN") == "Asia/Kolkata"
    assert time_zone_for_country("bd") == "Asia/Dhaka"
    assert time_zone_for_country("") == "Asia/Dhaka"  # TIME_ZONE


def test_the_zone_is_the_users_for_one_request_and_time_zone_for_visitors():
    seen = []
    middleware = UserTimeZoneMiddleware(
        lambda request: seen.append(timezone.get_current_timezone_name()) or HttpResponse()
    )
    for user in (AnonymousUser(), UserFactory(country="IN")):
        request = RequestFactory().get("/")
        request.user = user
        middleware(request)
    assert seen == ["Asia/Dhaka", "Asia/Kolkata"]
    assert timezone.get_current_timezone_name() == "Asia/Dhaka"  # nothing leaks after


def test_a_worker_in_india_sees_deadlines_in_ist(client, claimed):
    worker = UserFactory(country="IN")
    assignment = claimed(worker)
    client.force_login(worker)
    my_work = client.get(reverse("workers:my_work")).content.decode()
    assert "3 Dec, 14:30 IST" in my_work
    page = client.get(reverse("workers:assignment", args=[assignment.pk])).content.decode()
    assert "14:30 IST" in page
    assert "15:00" not in page  # Dhaka's time, 30 minutes off


def test_a_worker_in_bangladesh_sees_the_offset(client, claimed):
    worker = UserFactory(country="BD")
    claimed(worker)
    client.force_login(worker)
    assert "3 Dec, 15:00 +06:00" in client.get(reverse("workers:my_work")).content.decode()


def test_the_chosen_zone_wins_over_the_country(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Karim", "country": "BD", "language": "en", "time_zone": "Europe/London"},
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.time_zone, worker.zone) == ("Europe/London", "Europe/London")
    assert client.get("/api/v1/me/").json()["time_zone"] == "Europe/London"
    refused = client.post(
        reverse("accounts:profile"),
        {"display_name": "Karim", "country": "BD", "language": "en", "time_zone": "Mars/Base"},
    )
    assert refused.status_code == 200
    worker.refresh_from_db()
    assert worker.time_zone == "Europe/London"


def test_the_zones_are_named_in_the_readers_language(client):
    worker = UserFactory(country="BD", language="bn")
    client.force_login(worker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Asia/Dhaka">বাংলাদেশ সময় (ঢাকা)</option>' in html
    assert '<option value="Asia/Kolkata">ভারত সময় (কোলকাতা)</option>' in html
    assert ">Asia/Dhaka<" not in html
    worker.language = "en"
    worker.save()
    english = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Asia/Dhaka">Asia/Dhaka</option>' in english
    assert english.index(">America/New York<") < english.index(">Asia/Dhaka<")  # by label


def test_the_api_keeps_iso_8601_with_the_offset(api_as, claimed):
    worker = UserFactory(country="IN")
    claimed(worker)
    results = api_as(worker).get("/api/v1/assignments/").json()["results"]
    assert dt.datetime.fromisoformat(results[0]["expires_at"]) == NINE_UTC


def test_the_filter_names_the_zone_only_with_a_time_of_day():
    template = Template('{{ t|when }} / {{ t|when:"j M Y" }} / {{ t|when:"j M, H:i" }}')
    with timezone.override("Asia/Kolkata"):
        text = template.render(Context({"t": NINE_UTC}))
    assert text == "3 Dec 2026, 14:30 IST / 3 Dec 2026 / 3 Dec, 14:30 IST"
    with timezone.override("UTC"):
        assert format_time(NINE_UTC, "H:i") == "09:00 UTC"
    with timezone.override("America/St_Johns"):
        assert format_time(NINE_UTC, "H:i") == "05:30 NST"
    with timezone.override("Asia/Kathmandu"):
        assert format_time(NINE_UTC, "H:i") == "14:45 +05:45"


def test_an_employer_types_the_end_date_in_their_own_zone(client):
    employer = UserFactory(country="IN")
    client.force_login(employer)
    assert "In your time zone, Asia/Kolkata" in client.get(NEW).content.decode()
    fields = form_data(ends_at="2030-01-10T18:00")
    assert client.post(NEW, fields).status_code == 302
    ends = Campaign.objects.get().ends_at
    assert ends == dt.datetime(2030, 1, 10, 12, 30, tzinfo=dt.UTC)  # 18:00 IST
