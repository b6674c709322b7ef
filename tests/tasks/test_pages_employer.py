"""Employers' pages: my campaigns, create and edit a draft, the cost preview, the lifecycle
buttons, and the review queue with its bulk actions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import DomainError
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.forms import ProofFieldsForm
from tasks.models import AssignmentStatus, Campaign, CampaignStatus, Category
from tests.factories import UserFactory
from workers.claims import task_claim
from workers.models import Block

from ..payments.helpers import give
from ..workers.test_work_pages import SHOT_PROOFS, errors_of, submitted
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

NEW = "/campaigns/new/"
MINE = "/campaigns/"


def form_data(**overrides) -> dict:
    data = {
        "title": "Visit our shop",
        "category": Category.objects.get(slug="visit-website").pk,
        "instructions": "Open the shop and tell us the price of bread.",
        "reward": "0.20",
        "positions": "4",
        "max_tasks_per_worker": "1",
        "time_to_complete_minutes": "30",
        "time_to_rate_hours": "48",
        "min_success_rate": "0",
        "countries_include": ["BD", "IN"],
        "countries_exclude": [],
        "ends_at": "",
        "proof-0_key": "price",
        "proof-0_label": "The price of bread",
        "proof-0_kind": "text",
        "proof-0_required": "on",
    }
    data.update(overrides)
    return data


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("tasks.csv", text.encode(), content_type="text/csv")


def draft(employer, **overrides):
    return services.campaign_create(employer=employer, spec=spec(**overrides))


# --- create and edit ----------------------------------------------------------------------


def test_the_new_form_suggests_the_categorys_proofs(client, employer):
    client.force_login(employer)
    category = Category.objects.get(slug="write-review")
    html = client.get(NEW, {"category": category.pk}).content.decode()
    assert 'value="review_link"' in html and 'value="Link to your review"' in html
    assert 'hx-get="/campaigns/new/"' in html  # htmx swaps them when the category changes


def test_creating_a_draft_saves_every_choice(client, employer):
    client.force_login(employer)
    response = client.post(NEW, form_data(uses_verification_code="on"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.title, campaign.reward_cents, campaign.positions) == ("Visit our shop", 20, 4)
    assert campaign.countries_include == ["BD", "IN"]
    assert campaign.time_to_complete_minutes == 30 and campaign.uses_verification_code
    assert campaign.proof_fields == [
        {"key": "price", "label": "The price of bread", "kind": "text", "required": True}
    ]


def test_a_csv_makes_one_task_a_row_and_fills_the_instructions(client, employer, worker, moderator):
    give(employer, 10_000, key="csv")
    client.force_login(employer)
    upload = csv_file("url,item\nhttps://a.example,bread\nhttps://b.example,milk\n")
    client.post(
        NEW,
        form_data(
            instructions="Open {{url}} and find {{ item }}.", positions="9", task_file=upload
        ),
    )
    campaign = Campaign.objects.get()
    assert campaign.positions == 2  # the rows, whatever was typed
    assert campaign.task_inputs[1] == {"url": "https://b.example", "item": "milk"}
    client.post(reverse("tasks:campaign_launch", args=[campaign.pk]))
    services.campaign_moderate(campaign=campaign, by=moderator, approve=True)
    assignment = task_claim(campaign=campaign, worker=worker)
    client.force_login(worker)
    html = client.get(reverse("workers:assignment", args=[assignment.pk])).content.decode()
    assert "https://a.example" in html and "find bread." in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reward": "0.01"}, "id_reward", "The smallest reward for Visit a website is $0.04."),
        ({"reward": "lots"}, "id_reward", "Enter an amount such as 0.50."),
        ({"positions": ""}, "id_positions", "How many tasks?"),
        ({"countries_include": ["BD", "XX"]}, "id_countries_include", "XX is not one of the"),
        (
            {"countries_exclude": ["BD"]},
            "id_countries_exclude",
            "A country cannot be both included and excluded.",
        ),
        (
            {"task_file": "bad-csv"},
            "id_task_file",
            "Row 3 has 1 values; the first row names 2 columns.",
        ),
        (
            {"instructions": "Visit {{shop}}", "task_file": "csv"},
            "id_instructions",
            "The file has no column named shop.",
        ),
        ({"proof-0_label": ""}, "id_proof-0_label", "Say what the worker should send."),
        ({"proof-0_key": "two words"}, "id_proof-0_key", "letters, digits and underscores"),
        ({"instructions": "Sell your gmail account to us"}, "id_instructions", "Kaaj does not"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
    client, employer, overrides, field, message
):
    if overrides.get("task_file") == "bad-csv":
        overrides["task_file"] = csv_file("url,item\nhttps://a.example,bread\nlonely\n")
    elif overrides.get("task_file") == "csv":
        overrides["task_file"] = csv_file("url,item\nhttps://a.example,bread\n")
    client.force_login(employer)
    response = client.post(NEW, form_data(**overrides))
    assert response.status_code == 400
    assert message in errors_of(response.content.decode(), field)
    assert not Campaign.objects.exists()


def test_a_campaign_without_any_proof_is_refused(client, employer):
    client.force_login(employer)
    response = client.post(NEW, form_data(**{"proof-0_key": "", "proof-0_label": ""}))
    assert response.status_code == 400
    assert "Ask for at least one proof." in errors_of(response.content.decode(), "proof")
    assert not Campaign.objects.exists()


def test_the_cost_preview_is_positions_times_reward_plus_fee(client, employer):
    give(employer, 1_234, key="preview")
    client.force_login(employer)
    url = reverse("tasks:campaign_cost_preview")
    assert client.get(url).status_code == 405
    html = client.post(url, {"reward": "0.50", "positions": "10"}).content.decode()
    assert '<span id="cost-total">$5.50</span>' in html  # 10 * (50 + 5)
    assert "$12.34" in html  # the wallet, to compare
    assert "<html" not in html  # a fragment, for htmx to swap in
    page = client.get(NEW).content.decode()
    assert 'hx-post="/campaigns/cost-preview/"' in page


def test_the_cost_preview_refuses_a_reward_under_the_categorys_minimum(client, employer):
    client.force_login(employer)
    url = reverse("tasks:campaign_cost_preview")
    visit = Category.objects.get(slug="visit-website")
    data = {"category": visit.pk, "reward": "0.01", "positions": "10"}
    html = client.post(url, data).content.decode()
    with pytest.raises(DomainError) as refused:  # the service's rule, word for word
        services.reward_check(category=visit, reward_cents=1)
    assert refused.value.message == "The smallest reward for Visit a website is $0.04."
    assert refused.value.message in errors_of(html, "id_reward")
    assert 'id="id_reward_errors" role="alert" hx-swap-oob="true"' in html  # next to the field
    assert "cost-total" not in html
    html = client.post(url, {**data, "reward": "0.04"}).content.decode()
    assert "smallest" not in html and '<span id="cost-total">$0.50</span>' in html  # 10 x 5
    page = client.get(NEW).content.decode()
    assert 'id="id_reward_errors"' in page  # the place the preview fills, empty at first
    assert "change from:#id_category" in page and "#id_category" in page.split("hx-include=")[2]


def test_every_error_shows_at_once_each_next_to_its_field(client, employer):
    client.force_login(employer)
    response = client.post(NEW, form_data(title="", reward="0.01", positions="0"))
    html = response.content.decode()
    assert "This field is required." in errors_of(html, "id_title")
    assert "The smallest reward for Visit a website is $0.04." in errors_of(html, "id_reward")
    assert "greater than or equal to 1" in errors_of(html, "id_positions")
    # What only the service checks, all at once too.
    response = client.post(
        NEW,
        form_data(
            countries_exclude=["BD"],
            ends_at="2020-01-01T10:00",
            instructions="Sell your gmail account to us",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "both included and excluded" in errors_of(html, "id_countries_exclude")
    assert "The end date must be in the future." in errors_of(html, "id_ends_at")
    assert "Kaaj does not" in errors_of(html, "id_instructions")
    assert not Campaign.objects.exists()


def test_changing_the_category_keeps_the_proof_rows_typed(client, employer):
    client.force_login(employer)
    review = Category.objects.get(slug="write-review")
    visit = Category.objects.get(slug="visit-website")
    htmx = {"HTTP_HX_REQUEST": "true"}
    # Rows still a category's suggestion (or none) make way for the new category's.
    suggested = ProofFieldsForm.initial_for(visit.proof_template)
    rows = {f"proof-{k}": v for k, v in suggested.items() if v is not False}
    for typed in ({}, rows):
        html = client.get(NEW, {"category": review.pk, **typed}, **htmx).content.decode()
        assert html.startswith('<fieldset id="proof-rows">') and "<html" not in html
        assert 'value="review_link"' in html
    # Rows the employer typed come back as typed.
    typed = {"proof-0_key": "price", "proof-0_label": "The price", "proof-0_kind": "url"}
    html = client.get(NEW, {"category": review.pk, **typed}, **htmx).content.decode()
    assert 'value="price"' in html and 'value="The price"' in html
    assert '<option value="url" selected>' in html and "review_link" not in html
    page = client.get(NEW).content.decode()
    assert 'hx-include="#proof-rows"' in page and 'hx-target="#proof-rows"' in page


def test_countries_are_chosen_from_their_names(client, employer):
    client.force_login(employer)
    html = client.get(NEW).content.decode()
    assert '<select name="countries_include"' in html and "multiple" in html
    assert '<option value="BD">Bangladesh</option>' in html
    campaign = draft(employer, countries_include=("BD", "IN"))
    html = client.get(reverse("tasks:campaign_edit", args=[campaign.pk])).content.decode()
    assert '<option value="BD" selected>Bangladesh</option>' in html
    assert '<option value="IN" selected>India</option>' in html


def test_a_draft_is_edited_by_its_owner_only(client, employer, outsider):
    campaign = draft(employer)
    url = reverse("tasks:campaign_edit", args=[campaign.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(title="Hijacked")).status_code == 404
    client.force_login(employer)
    assert 'value="Sign up to our newsletter"' in client.get(url).content.decode()
    client.post(url, form_data(title="Renamed"))
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"


def test_editing_keeps_or_removes_the_uploaded_rows(client, employer):
    rows = ({"url": "https://a.example"}, {"url": "https://b.example"})
    campaign = draft(employer, positions=2, task_inputs=rows, instructions="Open {{url}}.")
    url = reverse("tasks:campaign_edit", args=[campaign.pk])
    client.force_login(employer)
    assert "2 rows uploaded." in client.get(url).content.decode()
    client.post(url, form_data(instructions="Open {{url}} now.", positions=""))
    campaign.refresh_from_db()
    assert (campaign.positions, campaign.task_inputs) == (2, list(rows))
    client.post(url, form_data(instructions="Open the shop.", remove_inputs="on"))
    campaign.refresh_from_db()
    assert (campaign.positions, campaign.task_inputs) == (4, [])


def test_a_launched_campaign_cannot_be_edited(client, employer, moderator):
    campaign = active_campaign(employer, moderator)
    client.force_login(employer)
    response = client.post(
        reverse("tasks:campaign_edit", args=[campaign.pk]), form_data(title="Changed"), follow=True
    )
    assert "Only a draft can be edited." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.title == "Sign up to our newsletter"


# --- my campaigns and the lifecycle -------------------------------------------------------


def test_my_campaigns_shows_progress_in_a_fixed_number_of_queries(
    client, employer, worker, outsider, moderator, django_assert_max_num_queries
):
    first = active_campaign(employer, moderator, title="First")
    task_claim(campaign=first, worker=worker)
    draft(employer, title="Second")
    draft(outsider, title="Not mine")
    client.force_login(employer)
    client.get(MINE)
    bound = 5  # session, user, count, the page with its task counts, the bell's unread count
    with django_assert_max_num_queries(bound):
        html = client.get(MINE).content.decode()
    assert "First" in html and "Second" in html and "Not mine" not in html
    assert "2 open" in html and "1 in progress" in html and "0 paid" in html
    for n in range(18):
        draft(employer, title=f"More {n}")
    with django_assert_max_num_queries(bound):
        assert client.get(MINE).content.decode().count('class="card"') == 20


def test_launching_without_enough_money_links_to_adding_money(client, employer):
    campaign = draft(employer)
    client.force_login(employer)
    response = client.post(reverse("tasks:campaign_launch", args=[campaign.pk]), follow=True)
    html = response.content.decode()
    assert "Add money first." in html
    assert f'<a href="{reverse("payments:deposit_new")}">' in html
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_pause_resume_add_positions_and_cancel(client, employer, moderator):
    campaign = active_campaign(employer, moderator)
    client.force_login(employer)

    def post(name, data=None):
        return client.post(reverse(f"tasks:{name}", args=[campaign.pk]), data or {})

    post("campaign_pause")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    post("campaign_resume")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    post("campaign_add_positions", {"count": "2"})
    campaign.refresh_from_db()
    assert campaign.positions == 5 and campaign.tasks.count() == 5
    response = post("campaign_add_positions", {"count": "0"})
    assert response.status_code == 400
    assert "greater than or equal to 1" in errors_of(response.content.decode(), "id_count")
    post("campaign_cancel")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert balances_of(employer).escrow_cents == 0
    assert ledger_violations() == []


@pytest.mark.parametrize(
    "name",
    [
        "campaign_launch",
        "campaign_pause",
        "campaign_resume",
        "campaign_cancel",
        "campaign_add_positions",
        "submissions_bulk_review",
    ],
)
def test_campaign_actions_are_post_only_and_for_the_owner(
    client, employer, worker, outsider, moderator, name
):
    campaign = active_campaign(employer, moderator)
    url = reverse(f"tasks:{name}", args=[campaign.pk])
    client.force_login(employer)
    # Launch and cancel ask first on a GET (an active campaign is no draft to launch).
    asks_first = {"campaign_launch": 302, "campaign_cancel": 200}
    assert client.get(url).status_code == asks_first.get(name, 405)
    for other in (outsider, worker, moderator):
        client.force_login(other)
        assert client.post(url, {"count": "1", "action": "approve"}).status_code == 404
        assert client.get(url).status_code == (404 if name in asks_first else 405)
    client.logout()
    response = client.post(url, {"count": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE and campaign.positions == 3


def test_the_campaign_page_is_the_owners_only(client, employer, worker, outsider, moderator):
    campaign = active_campaign(employer, moderator, uses_verification_code=True)
    url = reverse("tasks:campaign_manage", args=[campaign.pk])
    for other in (outsider, worker, moderator):
        client.force_login(other)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(employer)
    html = client.get(url).content.decode()
    assert f'id="verification-secret">{campaign.verification_secret}<' in html
    assert "HMAC-SHA256" in html


# --- the review queue ---------------------------------------------------------------------


@pytest.fixture
def queue(employer, moderator):
    """An active campaign with screenshots in its proof, and a way to add submissions."""
    campaign = active_campaign(employer, moderator, proof_fields=SHOT_PROOFS, positions=25)

    def add(seed):
        return submitted(campaign, UserFactory(), seed=seed)

    return campaign, add


def test_the_queue_shows_answers_thumbnails_and_duplicate_screenshots(client, employer, queue):
    campaign, add = queue
    first, again = add(seed=1), add(seed=1)
    client.force_login(employer)
    html = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    shots = {a.pk: a.submissions.get().screenshots.get() for a in (first, again)}
    for shot in shots.values():
        assert f'<img src="{reverse("tasks:screenshot", args=[shot.pk])}"' in html
    assert shots[again.pk].duplicate_of_id == shots[first.pk].pk
    assert html.count("Same picture as an earlier submission") == 1
    assert first.worker.display_name in html


def test_the_review_queue_keeps_a_fixed_number_of_queries(
    client, employer, queue, django_assert_max_num_queries
):
    campaign, add = queue
    for seed in range(2):
        add(seed)
    url = reverse("tasks:campaign_manage", args=[campaign.pk])
    client.force_login(employer)
    client.get(url)
    bound = 11  # session, user, campaign, counts, queue count and page, proofs, shots, dups, bell,
    # open disputes
    with django_assert_max_num_queries(bound):
        assert client.get(url).content.decode().count('name="ids"') == 2
    for seed in range(2, 20):
        add(seed)
    with django_assert_max_num_queries(bound):
        assert client.get(url).content.decode().count('name="ids"') == 20


def test_approve_reject_and_revise_one_by_one(client, employer, worker, queue):
    _, add = queue
    approved, rejected, revised = add(1), add(2), add(3)
    client.force_login(employer)

    def review(assignment, **data):
        return client.post(reverse("tasks:assignment_review", args=[assignment.pk]), data)

    review(approved, action="approve")
    review(rejected, action="reject", reason="Blurry screenshot")
    review(revised, action="request_revision", reason="Show the whole page")
    for a in (approved, rejected, revised):
        a.refresh_from_db()
    assert approved.status == AssignmentStatus.APPROVED
    assert (rejected.status, rejected.review_reason) == (
        AssignmentStatus.REJECTED,
        "Blurry screenshot",
    )
    assert revised.status == AssignmentStatus.REVISION_REQUESTED
    assert balances_of(approved.worker).available_cents == 50
    assert ledger_violations() == []


def test_a_rejection_without_a_reason_is_explained_next_to_the_field(client, employer, queue):
    _, add = queue
    assignment = add(1)
    client.force_login(employer)
    response = client.post(
        reverse("tasks:assignment_review", args=[assignment.pk]), {"action": "reject"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the worker a reason." in errors_of(html, f"id_reason_{assignment.pk}")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_bulk_review_approves_only_the_ticked_ones(client, employer, moderator, queue, outsider):
    campaign, add = queue
    ticked, also, left = add(1), add(2), add(3)
    strangers = active_campaign(outsider, moderator, proof_fields=SHOT_PROOFS, title="x")
    someone_elses = submitted(strangers, UserFactory(), seed=9)
    client.force_login(employer)
    url = reverse("tasks:submissions_bulk_review", args=[campaign.pk])
    response = client.post(
        url, {"ids": [ticked.pk, also.pk, someone_elses.pk], "action": "approve"}, follow=True
    )
    assert "2 of 3 submissions reviewed." in response.content.decode()
    statuses = {a.pk: a.status for a in campaign.assignments.all()}
    assert statuses[ticked.pk] == statuses[also.pk] == AssignmentStatus.APPROVED
    assert statuses[left.pk] == AssignmentStatus.SUBMITTED
    someone_elses.refresh_from_db()
    assert someone_elses.status == AssignmentStatus.SUBMITTED
    assert ledger_violations() == []


def test_bulk_reject_needs_a_reason_and_a_tick(client, employer, queue):
    campaign, add = queue
    assignment = add(1)
    client.force_login(employer)
    url = reverse("tasks:submissions_bulk_review", args=[campaign.pk])
    response = client.post(url, {"ids": [assignment.pk], "action": "reject"})
    assert response.status_code == 400
    assert "Give the workers a reason." in errors_of(response.content.decode(), "id_bulk_reason")
    response = client.post(url, {"action": "approve"})
    assert "Tick at least one submission." in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_review_and_block_are_for_the_campaigns_owner_only(
    client, employer, worker, outsider, moderator, queue
):
    _, add = queue
    assignment = add(1)
    review = reverse("tasks:assignment_review", args=[assignment.pk])
    block = reverse("workers:block_from_review", args=[assignment.pk])
    client.force_login(employer)
    assert client.get(review).status_code == 405
    assert client.get(block).status_code == 200  # the confirmation
    for other in (outsider, assignment.worker, moderator):
        client.force_login(other)
        assert client.post(review, {"action": "approve"}).status_code == 404
        assert client.get(block).status_code == client.post(block).status_code == 404
    client.logout()
    assert client.post(review, {"action": "approve"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED and not Block.objects.exists()


def test_blocking_a_worker_hides_the_employers_campaigns(client, employer, moderator, queue):
    _, add = queue
    assignment = add(1)
    other = active_campaign(employer, moderator, title="Another of mine")
    client.force_login(employer)
    client.post(reverse("workers:block_from_review", args=[assignment.pk]))
    assert Block.objects.filter(employer=employer, worker=assignment.worker).exists()
    client.force_login(assignment.worker)
    assert other.title not in client.get("/work/").content.decode()
    client.force_login(UserFactory())
    assert other.title in client.get("/work/").content.decode()
