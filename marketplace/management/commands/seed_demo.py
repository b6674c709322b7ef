"""Demo data for trying Kaaj: verified employers, workers and a moderator (with two-step
sign-in on, its key published like the password), and the demo employers' campaigns in every
status with the work and money behind them.

Everything goes through the real services (accounts, sandbox deposits, campaigns, claims,
submissions, reviews, the clock), so ``ledger_check`` is clean afterwards.
"""

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from PIL import Image

from accounts.models import Sanction, User
from accounts.services import moderator_grant, totp_activate, user_ensure_verified
from core.errors import DomainError
from core.money import fee_for, format_cents
from payments.checkout import SANDBOX
from payments.models import DepositStatus
from payments.selectors import balances_of
from payments.services.deposits import deposit_start, sandbox_checkout_confirm
from tasks.gold import gold_due
from tasks.models import (
    Assignment,
    AssignmentEvent,
    Campaign,
    CampaignStatus,
    Category,
    EmployerRating,
    ProofKind,
    Qualification,
    Submission,
    WorkerGroup,
)
from tasks.selectors import gold_accuracies
from tasks.services import (
    CampaignSpec,
    assignment_submit,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_moderate,
    campaign_pause,
    campaigns_complete_due,
    campaigns_expire_due,
    submission_approve,
    submission_reject,
    submission_request_revision,
)
from tasks.services.bonuses import bonus_pay
from tasks.services.disputes import dispute_open, dispute_respond
from tasks.services.groups import group_create, group_member_add
from tasks.services.qualifications import (
    QualificationSpec,
    qualification_attempt,
    qualification_create,
)
from tasks.services.ratings import RATABLE_STATUSES, rating_answer, rating_save
from workers.claims import task_claim
from workers.levels import levels_recompute
from workers.models import SavedSearch
from workers.sanctions import sanction_evaluate
from workers.searches import saved_search_save
from workers.selectors import FeedFilters

DEMO_DOMAIN = "demo.kaaj.test"
# The demo's qualification tests: Kaaj's own (a moderator's) and demo employer 1's.
KAAJ_TEST = QualificationSpec(
    name="Kaaj basics",
    description="How work on Kaaj goes, from claim to pay.",
    questions=[
        {"text": "Who decides whether your proof is accepted?", "kind": "choice",
         "choices": ["Kaaj", "The employer, and a moderator on appeal", "Nobody"], "answer": 1},
        {"text": "What do you send after doing a task?", "kind": "choice",
         "choices": ["Proof", "Money", "Nothing"], "answer": 0},
    ],
    pass_mark=100,
    retake_after_hours=1,
)  # fmt: skip
SIGNS_TEST = QualificationSpec(
    name="Reading shop signs",
    description="Our campaigns ask you to read prices and names from shop photos.",
    questions=[
        {"text": "A sign says “Rice 60 tk / kg”. What does 2 kg cost?", "kind": "choice",
         "choices": ["60 tk", "120 tk", "30 tk"], "answer": 1},
        {"text": "Type the word a sign shows: BAZAR", "kind": "text", "answer": "bazar"},
    ],
    pass_mark=100,
    retake_after_hours=24,
)  # fmt: skip


def _right(test: Qualification) -> list:
    return [question["answer"] for question in test.questions]


# The demo's check tasks (tasks.gold): the expected prices (one a pattern, with an answer it
# takes) and how demo workers 1, 3 and 4 answer theirs — all right; one wrong, the last
# (3 of 4: 75 %, over the campaign's 70 %); two wrong of three (33 %: stopped).
GOLD_ROWS = ("Tk 120", "Tk 85", "/tk\\s*2[0-9]0/", "Tk 45", "Tk 300", "Tk 60")
GOLD_EXAMPLES = {"/tk\\s*2[0-9]0/": "Tk 250"}
GOLD_PLAN = ("RRR", "RRRW", "WRW")
GOLD_WORKERS = (1, 3, 4)  # demo worker 2 is the warned one (_seed_warning): kept apart
GOLD_POSITIONS = 40
GOLD_CLAIMS = 12  # each demo worker meets their check tasks within this many claims


def _gold_secret(worker_ids: list[int]) -> str:
    """The first demo secret under which each worker's check tasks come within GOLD_CLAIMS
    claims (tasks.gold.gold_due, at 10 %): found in a few thousand tries at most."""
    for n in range(1_000_000):
        secret = f"kaaj-demo-gold-{n}"
        if all(
            sum(
                gold_due(secret=secret, worker_id=pk, claims=c, rate=10) for c in range(GOLD_CLAIMS)
            )
            >= len(plan)
            for pk, plan in zip(worker_ids, GOLD_PLAN, strict=True)
        ):
            return secret
    raise CommandError("no demo secret serves the demo's check tasks early enough")


# Demo employer 1's campaign with two weeks of work behind it (its statistics page): how many
# tasks were sent on each of the last days, oldest first, by demo workers 1, 3, 4 and 5 in
# turn (2 is the warned one: kept apart). One of every HISTORY_REJECT_EVERY reviews rejects;
# the last HISTORY_WAITING_DAYS days' work still waits for review.
HISTORY_TITLE = "[Demo] Daily: Rate a street-food stall from its photo"
HISTORY_DAYS = (3, 4, 2, 5, 6, 4, 7, 5, 3, 6, 8, 7, 5, 4)
HISTORY_WORKERS = (1, 3, 4, 5)
HISTORY_REJECT_EVERY = 6
HISTORY_WAITING_DAYS = 2

DEFAULT_PASSWORD = "kaaj-demo-pass"  # noqa: S105  (a published demo password, by design)
MODERATOR_EMAIL = f"moderator@{DEMO_DOMAIN}"
# Moderators must have two-step sign-in on (accounts.permissions.two_step_required), the demo
# moderator too: with this published key (base32) in any authenticator app, like the password.
MODERATOR_TOTP_SECRET = "KAAJDEMOKAAJDEMOKAAJDEMOKAAJDEMO"  # noqa: S105  (published, by design)


def moderator_login_line() -> str:
    """The demo moderator's login as seed_demo and make run print it."""
    return (
        f"{MODERATOR_EMAIL} (two-step sign-in: add the key {MODERATOR_TOTP_SECRET} "
        "to an authenticator app)"
    )


def demo_email(role: str, number: int) -> str:
    return f"{role}{number}@{DEMO_DOMAIN}"


# Statuses handed out in turn over all demo campaigns (employer by employer), so the default
# (2 employers, 6 campaigns each) shows every one.
STATUS_PLAN = (
    CampaignStatus.ACTIVE,
    CampaignStatus.COMPLETED,
    CampaignStatus.PAUSED,
    CampaignStatus.IN_REVIEW,
    CampaignStatus.CANCELLED,
    CampaignStatus.EXPIRED,
    CampaignStatus.REJECTED,
    CampaignStatus.DRAFT,
)
# What happens to each claimed task, in order, before the campaign reaches its status.
# What demo workers say of demo employers: (pay fairness, clarity, speed of review, comment).
DEMO_RATINGS = (
    (5, 4, 4, "Clear instructions and a quick review."),
    (3, 4, 2, "Fair pay, but the review took two days."),
    (4, 5, 5, ""),
    (2, 3, 3, "The rejection reason did not say what was missing."),
)
WORK_PLAN = {
    CampaignStatus.ACTIVE: ("approve", "reject", "dispute", "revision", "submit", "claim"),
    CampaignStatus.PAUSED: ("approve", "submit", "claim"),
    CampaignStatus.COMPLETED: ("approve", "approve"),
    CampaignStatus.CANCELLED: ("approve", "submit"),
    CampaignStatus.EXPIRED: ("approve", "reject"),
}
TITLES = {
    "watch-video": "Watch our two-minute product video",
    "youtube": "Subscribe to our cooking channel",
    "social-share": "Share our shop's opening post",
    "visit-website": "Visit our bakery's new website",
    "sign-up": "Sign up to our newsletter",
    "install-app": "Install our recipe app",
    "write-review": "Review a book you have read",
    "comment": "Comment on our blog post about tea",
    "create-account": "Create a free account on our forum",
    "survey": "Answer a five-question survey",
    "data-entry": "Copy the prices from a menu photo",
    "image-labelling": "Label ten photos: cat or dog",
    "other": "Tell us your favourite local market",
}


def demo_title_prefix(number: int) -> str:
    """Marks an employer's ``number``-th demo campaign: seed_demo skips it when present."""
    return f"[Demo {number}]"


@dataclass(frozen=True)
class CampaignPlan:
    employer: User
    number: int
    status: CampaignStatus
    spec: CampaignSpec

    @property
    def cost_cents(self) -> int:
        """What launching takes from the wallet (nothing for a draft)."""
        if self.status == CampaignStatus.DRAFT:
            return 0
        reward = self.spec.reward_cents
        return self.spec.positions * (reward + fee_for(reward))


def demo_png(seed: int) -> SimpleUploadedFile:
    """A small PNG of random grey blocks: each seed gives a different perceptual hash, so
    demo proofs are not flagged as copies of each other."""
    rng = random.Random(seed)  # noqa: S311  (demo pictures, not secrets)
    grid = Image.new("L", (9, 8))
    grid.putdata([rng.randrange(256) for _ in range(72)])
    out = io.BytesIO()
    grid.resize((180, 160), Image.Resampling.NEAREST).convert("RGB").save(out, format="PNG")
    return SimpleUploadedFile(f"proof-{seed}.png", out.getvalue(), content_type="image/png")


class Command(BaseCommand):
    help = "Create (or refresh) verified demo accounts. Running it twice creates nothing new."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employers", type=int, default=2, help="demo employers (2)")
        parser.add_argument("--workers", type=int, default=5, help="demo workers (5)")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password set on every demo account"
        )
        parser.add_argument(
            "--employer-balance-cents",
            type=int,
            default=10_000,
            help="top each demo employer's wallet up to this through a sandbox deposit (10000),"
            " plus what their new demo campaigns cost",
        )
        parser.add_argument(
            "--campaigns",
            type=int,
            default=6,
            help="demo campaigns per demo employer (6), statuses in turn: active, completed,"
            " paused, in review, cancelled, expired, rejected, draft",
        )
        parser.add_argument(
            "--levels",
            action="store_true",
            help="give demo workers 3, 4 and 5 the record of levels 1, 2 and 3: their tasks"
            " done and approved through the services (some seconds; make run does it)",
        )

    def handle(
        self,
        *args,
        employers: int,
        workers: int,
        password: str,
        employer_balance_cents: int = 10_000,
        campaigns: int = 6,
        levels: bool = False,
        **options,
    ) -> None:
        created = 0
        with transaction.atomic():
            for number in range(1, employers + 1):
                created += self._ensure(
                    demo_email("employer", number), password, f"Demo Employer {number}", "US", "en"
                )
            for number in range(1, workers + 1):
                created += self._ensure(
                    demo_email("worker", number),
                    password,
                    f"Demo Worker {number}",
                    "BD",
                    "bn" if number % 2 else "en",
                )
            moderator, new = user_ensure_verified(
                email=MODERATOR_EMAIL,
                password=password,
                display_name="Demo Moderator",
                country="BD",
            )
            moderator_grant(user=moderator)
            totp_activate(user=moderator, secret=MODERATOR_TOTP_SECRET)
            created += new
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ready ({created} new). Password for all: {password}")
        )
        self.stdout.write(
            f"  employers: {demo_email('employer', 1)} … "
            f"{demo_email('employer', max(employers, 1))}"
        )
        self.stdout.write(
            f"  workers:   {demo_email('worker', 1)} … {demo_email('worker', max(workers, 1))}"
        )
        self.stdout.write(f"  moderator: {moderator_login_line()}")
        plans = self._campaign_plans(employers, campaigns)
        self._fund_employers(employers, employer_balance_cents, plans)
        if employers and workers >= max(GOLD_WORKERS) and settings.PAYMENTS_PROVIDER == SANDBOX:
            self._seed_gold(moderator)  # before the other work takes the workers' open claims
        self._seed_campaigns(plans, workers)
        if employers and workers and campaigns and settings.PAYMENTS_PROVIDER == SANDBOX:
            self._seed_history(moderator)
        if employers and workers and campaigns:
            self._seed_tests(moderator, workers)
        if levels and employers and settings.PAYMENTS_PROVIDER == SANDBOX:
            self._seed_levels(workers)
        levels_recompute()  # the demo workers' levels, from the work just done
        if employers and workers >= 2 and settings.PAYMENTS_PROVIDER == SANDBOX:
            self._seed_warning()
        if employers and workers:
            self._seed_ratings()
        if employers and workers >= 3 and campaigns and settings.PAYMENTS_PROVIDER == SANDBOX:
            self._seed_groups(moderator)
        if workers:
            self._seed_searches()

    def _seed_tests(self, moderator: User, workers: int) -> None:
        """Kaaj's qualification test and demo employer 1's, an active campaign of theirs that
        requires it, demo worker 1 holding both and demo worker 2 with a failed try (once)."""
        employer = User.objects.get(email__iexact=demo_email("employer", 1))
        if Qualification.objects.filter(owner=employer).exists():
            self.stdout.write("Demo qualification tests ready (0 new).")
            return
        with transaction.atomic():
            platform = qualification_create(by=moderator, spec=KAAJ_TEST, platform=True)
            own = qualification_create(by=employer, spec=SIGNS_TEST)
            spec = replace(
                self._spec(
                    "[Demo] Tested:",
                    Category.objects.order_by("position", "slug").first(),
                    CampaignStatus.ACTIVE,
                ),
                qualifications=(own.pk,),
            )
            campaign = campaign_create(employer=employer, spec=spec)
            campaign = campaign_launch(campaign=campaign, by=employer)
            campaign_moderate(campaign=campaign, by=moderator, approve=True)
            first = User.objects.get(email__iexact=demo_email("worker", 1))
            for test in (platform, own):
                qualification_attempt(qualification=test, worker=first, answers=_right(test))
            if workers > 1:
                second = User.objects.get(email__iexact=demo_email("worker", 2))
                qualification_attempt(qualification=own, worker=second, answers=[0, "market"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo qualification tests ready: {platform.name!r}, {own.name!r} (required by"
                f" {campaign.title!r}); {first.email} passed both."
            )
        )

    def _seed_gold(self, moderator: User) -> None:
        """Demo employer 1's campaign with check tasks (GOLD_ROWS, at 10 % of claims), and
        demo workers 1, 3 and 4 working on it (GOLD_PLAN): a careful one, one who missed a
        check, and one stopped from it — so the employer's page shows every case (once).

        Its secret (which draws the check tasks) is the first of a fixed list under which
        each demo worker meets their check tasks within their first GOLD_CLAIMS claims, so
        the demo needs a few dozen paid tasks rather than hundreds; from then on the
        campaign serves check tasks at its rate like any other."""
        employer = User.objects.get(email__iexact=demo_email("employer", 1))
        title = "[Demo] Prices: Check a shop's price"
        if Campaign.objects.filter(employer=employer, title=title).exists():
            self.stdout.write("Demo check tasks ready (0 new).")
            return
        crew = [User.objects.get(email__iexact=demo_email("worker", n)) for n in GOLD_WORKERS]
        rows = [
            {"item": f"https://example.com/demo/shop/item-{n}", "_gold_price": ""}
            for n in range(1, GOLD_POSITIONS + 1)
        ] + [
            {"item": f"https://example.com/demo/shop/known-{n}", "_gold_price": answer}
            for n, answer in enumerate(GOLD_ROWS, start=1)
        ]
        spec = CampaignSpec(
            title=title,
            category=Category.objects.get(slug="visit-website"),
            instructions="Open {{item}} and type the price the page shows, with its currency.",
            proof_fields=[{"key": "price", "label": "The price shown", "kind": "text"}],
            reward_cents=10,
            positions=GOLD_POSITIONS,
            max_tasks_per_worker=GOLD_CLAIMS,
            task_inputs=tuple(rows),
            gold_rate=10,
            gold_min_answers=3,
            gold_min_accuracy=70,
        )
        self._top_up(
            employer,
            balances_of(employer).available_cents
            + GOLD_POSITIONS * (10 + fee_for(10))
            + 25
            + fee_for(25),  # the bonus below
        )
        with transaction.atomic():
            campaign = campaign_create(employer=employer, spec=spec)
            campaign = campaign_launch(campaign=campaign, by=employer)
            campaign = campaign_moderate(campaign=campaign, by=moderator, approve=True)
            secret = _gold_secret([worker.pk for worker in crew])
            Campaign.objects.filter(pk=campaign.pk).update(verification_secret=secret)
            campaign.verification_secret = secret
            for worker, plan in zip(crew, GOLD_PLAN, strict=True):
                self._gold_work(campaign, worker, plan)
            # The careful worker gets a bonus for one of their paid tasks.
            careful = (
                Assignment.objects.filter(campaign=campaign, worker=crew[0], is_gold=False)
                .order_by("id")
                .first()
            )
            bonus_pay(
                assignment=careful,
                by=employer,
                amount_cents=25,
                reason="Every price right, and the check tasks too. Thank you!",
                key=f"demo-bonus-{campaign.pk}",
            )
        lines = [
            f"{row.worker.email} {row.accuracy.right}/{row.accuracy.answered}"
            + (" (stopped)" if row.stopped else "")
            for row in gold_accuracies(campaign)
        ]
        self.stdout.write(
            self.style.SUCCESS(f"Demo check tasks ready: {title!r}: " + ", ".join(lines))
        )

    def _gold_work(self, campaign: Campaign, worker: User, plan: str) -> None:
        """The worker claims until they have answered ``plan``'s check tasks (R right, W
        wrong, in order), doing each paid task between, which the employer approves."""
        answered = 0
        while answered < len(plan):
            assignment = task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")
            if not assignment.is_gold:
                self._submit(assignment)
                submission_approve(assignment=assignment, by=campaign.employer)
                continue
            expected = assignment.task.input["_gold_price"]
            right = GOLD_EXAMPLES.get(expected, expected)
            typed = right if plan[answered] == "R" else "Tk 999"
            assignment_submit(
                assignment=assignment, worker=worker, answers={"price": typed}, files={}
            )
            answered += 1

    def _seed_history(self, moderator: User) -> None:
        """Demo employer 1's campaign with work sent on each of the last days (HISTORY_DAYS),
        reviewed a few hours after, so its statistics and the employer's dashboard draw two
        weeks rather than one bar. The work is done through the services, now, and its times
        are then moved back to the day each task stands for, as the demo's join dates are
        made up (the services take no clock; the ledger's rows keep theirs: append-only).
        Once."""
        employer = User.objects.get(email__iexact=demo_email("employer", 1))
        if Campaign.objects.filter(employer=employer, title=HISTORY_TITLE).exists():
            self.stdout.write("Demo statistics ready (0 new).")
            return
        emails = [demo_email("worker", n) for n in HISTORY_WORKERS]
        crew = list(User.objects.filter(email__in=emails).order_by("email"))
        if not crew:
            return
        positions = sum(HISTORY_DAYS) + 6  # some left open for the feed
        category = Category.objects.get(slug="survey")
        spec = replace(
            self._spec("[Demo] Daily:", category, CampaignStatus.ACTIVE),
            title=HISTORY_TITLE,
            proof_fields=[{"key": "stars", "label": "Stars, 1 to 5, and why", "kind": "text"}],
            positions=positions,
            max_tasks_per_worker=positions,
        )
        reward = spec.reward_cents
        self._top_up(
            employer,
            balances_of(employer).available_cents + positions * (reward + fee_for(reward)),
        )
        now, n, self._turn = timezone.now(), 0, 0
        with transaction.atomic():
            campaign = campaign_create(employer=employer, spec=spec)
            campaign = campaign_launch(campaign=campaign, by=employer)
            campaign = campaign_moderate(campaign=campaign, by=moderator, approve=True)
            for back, count in zip(range(len(HISTORY_DAYS) - 1, -1, -1), HISTORY_DAYS, strict=True):
                for k in range(count):
                    n += 1
                    claimed = now - timedelta(days=back, minutes=45 * (k + 1))
                    submitted = claimed + timedelta(minutes=3 + n * 7 % 19)
                    reviewed = None
                    if back >= HISTORY_WAITING_DAYS:
                        reviewed = submitted + timedelta(hours=1 + n * 5 % 11, minutes=n % 50)
                    self._history_task(campaign, crew, n, (claimed, submitted, reviewed))
        days = len(HISTORY_DAYS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo statistics ready: {HISTORY_TITLE!r}, {n} tasks over {days} days."
            )
        )

    def _history_task(self, campaign: Campaign, crew: list[User], n: int, times: tuple) -> None:
        """One task of :meth:`_seed_history`, by the next of ``crew`` who may claim: claimed,
        sent and reviewed (unless its review time is None) through the services, then its
        times and its history's moved to ``times`` (claimed, submitted, reviewed)."""
        claimed, submitted, reviewed = times
        assignment = self._claim(campaign, crew)
        if assignment is None:  # every one of them busy with other demo work
            return
        self._submit(assignment)
        if reviewed is not None and n % HISTORY_REJECT_EVERY == 0:
            reason = "The stars come without the reason the task asks for."
            submission_reject(assignment=assignment, by=campaign.employer, reason=reason)
        elif reviewed is not None:
            submission_approve(assignment=assignment, by=campaign.employer)
        row = Assignment.objects.get(pk=assignment.pk)
        moved = {
            "claimed_at": claimed,
            "expires_at": claimed + (row.expires_at - row.claimed_at),
            "submitted_at": submitted,
            "updated_at": reviewed or submitted,
        }
        if row.review_due_at is not None:
            moved["review_due_at"] = submitted + (row.review_due_at - row.submitted_at)
        if reviewed is not None:
            moved["reviewed_at"] = reviewed
        if row.dispute_until is not None:
            moved["dispute_until"] = reviewed + (row.dispute_until - row.reviewed_at)
        Assignment.objects.filter(pk=row.pk).update(**moved)
        Submission.objects.filter(assignment=row).update(created_at=submitted)
        events = AssignmentEvent.objects.filter(assignment=row)
        events.filter(to_status="claimed").update(created_at=claimed)
        events.filter(to_status="submitted").update(created_at=submitted)
        if reviewed is not None:
            events.exclude(to_status__in=("claimed", "submitted")).update(created_at=reviewed)

    def _seed_levels(self, workers: int) -> None:
        """Demo workers 3, 4 and 5 get the record of levels 1, 2 and 3: as many tasks of a
        practice campaign of demo employer 1's done and approved as the level needs, through
        the services, and an account as old as it asks (demo accounts' join dates are made
        up anyway). A worker already at the level is left alone."""
        employer = User.objects.get(email__iexact=demo_email("employer", 1))
        moderator = User.objects.get(email__iexact=MODERATOR_EMAIL)
        wanted = []
        for step in settings.WORKER_LEVELS:
            number = 2 + step["level"]
            if number > workers:
                break
            worker = User.objects.get(email__iexact=demo_email("worker", number))
            if worker.level < step["level"]:
                wanted.append((worker, step))
        if not wanted:
            self.stdout.write("Demo worker levels ready (0 new).")
            return
        count = sum(step["approved"] for _worker, step in wanted)
        category = Category.objects.get(slug="survey")
        spec = replace(
            self._spec("[Demo] Practice:", category, CampaignStatus.COMPLETED),
            proof_fields=[{"key": "answer", "label": "Your answer", "kind": "text"}],
            positions=count,
            max_tasks_per_worker=max(step["approved"] for _worker, step in wanted),
        )
        reward = spec.reward_cents
        self._top_up(
            employer, balances_of(employer).available_cents + count * (reward + fee_for(reward))
        )
        campaign = campaign_create(employer=employer, spec=spec)
        campaign = campaign_launch(campaign=campaign, by=employer)
        campaign = campaign_moderate(campaign=campaign, by=moderator, approve=True)
        for worker, step in wanted:
            User.objects.filter(pk=worker.pk).update(
                date_joined=timezone.now() - timedelta(days=step["days"] + 1)
            )
            for _ in range(step["approved"]):
                assignment = task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")
                self._submit(assignment)
                submission_approve(assignment=assignment, by=employer)
        campaigns_complete_due()
        levels_recompute(worker_ids=[worker.pk for worker, _step in wanted])
        self.stdout.write(
            self.style.SUCCESS(
                "Demo worker levels ready: "
                + ", ".join(f"{w.email} level {s['level']}" for w, s in wanted)
            )
        )

    # --- warnings before sanctions (workers.sanctions) ----------------------------------------

    def _seed_warning(self) -> None:
        """Demo worker 2 is warned for rejections: ten tasks of a campaign of demo employer
        2's (or 1's), seven rejected with a reason, through the services, and the ladder
        evaluated at the end (the rejections' receiver, after the commit, then finds nothing
        new to act on).
        Once: a worker already on the ladder is left alone."""
        worker = User.objects.get(email__iexact=demo_email("worker", 2))
        if Sanction.objects.filter(user=worker).exists():
            self.stdout.write("Demo warned worker ready (0 new).")
            return
        employers = User.objects.filter(
            email__in=[demo_email("employer", 2), demo_email("employer", 1)]
        )
        employer = employers.order_by("-email").first()
        moderator = User.objects.get(email__iexact=MODERATOR_EMAIL)
        count, rejected = 10, 7
        category = Category.objects.get(slug="survey")
        spec = replace(
            self._spec("[Demo] Careful:", category, CampaignStatus.ACTIVE),
            proof_fields=[{"key": "answer", "label": "Your answer", "kind": "text"}],
            positions=count,
            max_tasks_per_worker=count,
        )
        reward = spec.reward_cents
        self._top_up(
            employer, balances_of(employer).available_cents + count * (reward + fee_for(reward))
        )
        # One transaction: the ladder looks at the rejections once they all committed (its
        # receiver runs after commit). Committed one by one, the first ones warned the worker
        # and the next, rejections of work sent after the warning, paused their claims half
        # way through the ten.
        with transaction.atomic():
            campaign = campaign_create(employer=employer, spec=spec)
            campaign = campaign_launch(campaign=campaign, by=employer)
            campaign = campaign_moderate(campaign=campaign, by=moderator, approve=True)
            for n in range(count):
                assignment = task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")
                self._submit(assignment)
                if n < rejected:
                    submission_reject(
                        assignment=assignment,
                        by=employer,
                        reason="The answer does not match the page.",
                    )
                else:
                    submission_approve(assignment=assignment, by=employer)
            sanction_evaluate(user_id=worker.pk, side="worker")
        step = Sanction.objects.filter(user=worker).first()
        self.stdout.write(
            self.style.SUCCESS(f"Demo warned worker ready: {worker.email} ({step.step})")
            if step
            else f"Demo worker {worker.email} is under the warning line: not warned."
        )

    def _seed_ratings(self) -> None:
        """Demo workers rate the demo employers whose work on a campaign was decided (the
        first few pairs of campaign and worker), through the service; demo employer 1
        answers the first rating of theirs. A pair already rated is left alone."""
        workers = User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}", email__startswith="worker")
        decided = (
            Assignment.objects.filter(
                campaign__employer__email__endswith=f"@{DEMO_DOMAIN}",
                worker__in=workers,
                status__in=RATABLE_STATUSES,
                is_gold=False,
            )
            .values_list("campaign_id", "worker_id")
            .distinct()
            .order_by("campaign_id", "worker_id")[: len(DEMO_RATINGS)]
        )
        made = 0
        for (campaign_id, worker_id), (pay, clarity, speed, comment) in zip(
            decided, DEMO_RATINGS, strict=False
        ):
            if EmployerRating.objects.filter(campaign_id=campaign_id, worker_id=worker_id).exists():
                continue
            with transaction.atomic():
                rating, _created = rating_save(
                    campaign=Campaign.objects.get(pk=campaign_id),
                    worker=User.objects.get(pk=worker_id),
                    pay=pay,
                    clarity=clarity,
                    speed=speed,
                    comment=comment,
                )
                if rating.employer.email == demo_email("employer", 1) and not (
                    EmployerRating.objects.filter(employer=rating.employer)
                    .exclude(answered_at=None)
                    .exists()
                ):
                    rating_answer(
                        rating=rating,
                        by=rating.employer,
                        answer="Thank you! We now review every morning and evening.",
                    )
            made += 1
        self.stdout.write(self.style.SUCCESS(f"Demo ratings of employers ready ({made} new)."))

    def _seed_groups(self, moderator: User) -> None:
        """Demo employer 1's group of chosen workers (demo workers 1 and 3) and a private
        campaign open to it alone, live: the two see it in their feed, nobody else (once)."""
        employer = User.objects.get(email__iexact=demo_email("employer", 1))
        if WorkerGroup.objects.filter(owner=employer).exists():
            self.stdout.write("Demo group and private campaign ready (0 new).")
            return
        spec = replace(
            self._spec(
                "[Demo] Private:", Category.objects.get(slug="data-entry"), CampaignStatus.ACTIVE
            ),
            title="[Demo] Private: Type a Bengali shop receipt",
            instructions="Open the photo of the receipt and type every line, in Bengali.",
            proof_fields=[{"key": "lines", "label": "The receipt's lines", "kind": "text"}],
            positions=5,
        )
        reward = spec.reward_cents
        self._top_up(
            employer, balances_of(employer).available_cents + 5 * (reward + fee_for(reward))
        )
        with transaction.atomic():
            group = group_create(owner=employer, name="Careful Bangla typists")
            for number in (1, 3):
                worker = User.objects.get(email__iexact=demo_email("worker", number))
                group_member_add(group=group, worker=worker, by=employer)
            spec = replace(spec, groups=(group.pk,))
            campaign = campaign_create(employer=employer, spec=spec)
            campaign = campaign_launch(campaign=campaign, by=employer)
            campaign_moderate(campaign=campaign, by=moderator, approve=True)
        self.stdout.write(
            self.style.SUCCESS(f"Demo group {group.name!r} and its private campaign ready.")
        )

    def _seed_searches(self) -> None:
        """Demo worker 1's saved searches (once): Bengali words, and reviews paying 5 cents
        or more."""
        worker = User.objects.get(email__iexact=demo_email("worker", 1))
        if SavedSearch.objects.filter(worker=worker).exists():
            self.stdout.write("Demo saved searches ready (0 new).")
            return
        saved_search_save(worker=worker, name="ফেসবুক", filters=FeedFilters(q="ফেসবুক"))
        saved_search_save(
            worker=worker, name="Reviews", filters=FeedFilters(q="review", min_reward_cents=5)
        )
        self.stdout.write(self.style.SUCCESS("Demo saved searches ready (2 new)."))

    def _ensure(self, email: str, password: str, name: str, country: str, language: str) -> int:
        _, created = user_ensure_verified(
            email=email, password=password, display_name=name, country=country, language=language
        )
        return int(created)

    def _fund_employers(
        self, employers: int, target_cents: int, plans: Sequence[CampaignPlan] = ()
    ) -> None:
        """Top each demo employer's wallet up to ``target_cents`` plus what their new demo
        campaigns cost, with real sandbox deposits: ``deposit_start``, then the sandbox
        page's confirm (a signed event through the webhook handler). Outside any
        transaction, as ``deposit_start`` requires."""
        if employers <= 0:
            return
        if settings.PAYMENTS_PROVIDER != SANDBOX:
            self.stdout.write("  balances: not topped up, a real payment provider is configured")
            return
        for number in range(1, employers + 1):
            user = User.objects.get(email__iexact=demo_email("employer", number))
            goal = target_cents + sum(p.cost_cents for p in plans if p.employer.pk == user.pk)
            if goal > 0:
                self._top_up(user, goal)

    def _top_up(self, user: User, goal: int) -> None:
        """Sandbox deposits until ``user`` has ``goal`` available."""
        deposits = []
        while (balance := balances_of(user).available_cents) < goal:
            amount = min(
                max(goal - balance, settings.DEPOSIT_MINIMUM_CENTS),
                settings.DEPOSIT_MAXIMUM_CENTS,
            )
            deposit = sandbox_checkout_confirm(
                deposit=deposit_start(user=user, amount_cents=amount)
            )
            if deposit.status != DepositStatus.PAID:
                raise CommandError(f"sandbox deposit {deposit.pk} ended {deposit.status}")
            deposits.append(f"#{deposit.pk} {format_cents(amount)}")
        done = f"deposited {', '.join(deposits)}" if deposits else "nothing to deposit"
        self.stdout.write(f"  {user.email}: balance {format_cents(balance)} ({done}, sandbox)")

    # --- demo campaigns ----------------------------------------------------------------

    def _campaign_plans(self, employers: int, per_employer: int) -> list[CampaignPlan]:
        """The demo campaigns still missing: employer by employer, statuses and categories
        in turn. One already there (same employer, same title prefix) is skipped."""
        categories = list(Category.objects.order_by("position", "slug"))
        if not categories or per_employer <= 0:
            return []
        plans = []
        for e in range(employers):
            employer = User.objects.get(email__iexact=demo_email("employer", e + 1))
            for n in range(1, per_employer + 1):
                turn = e * per_employer + n - 1
                prefix = demo_title_prefix(n)
                if Campaign.objects.filter(employer=employer, title__startswith=prefix).exists():
                    continue
                status = STATUS_PLAN[turn % len(STATUS_PLAN)]
                category = categories[turn % len(categories)]
                plans.append(
                    CampaignPlan(employer, n, status, self._spec(prefix, category, status))
                )
        return plans

    def _spec(self, prefix: str, category: Category, status: CampaignStatus) -> CampaignSpec:
        title = TITLES.get(category.slug, category.name)
        return CampaignSpec(
            title=f"{prefix} {title}",
            category=category,
            instructions=(
                f"{title}. Follow the steps on the page carefully, then send the proof "
                "asked for below. This is a demo campaign: nothing real is paid."
            ),
            proof_fields=[dict(f) for f in category.proof_template],
            reward_cents=max(2 * category.min_reward_cents, 10),
            # Active ones keep open tasks for the demo workers' feeds, several per worker.
            positions={CampaignStatus.COMPLETED: 2, CampaignStatus.ACTIVE: 20}.get(status, 6),
            # A completed campaign needs all its tasks done even with a single demo worker.
            max_tasks_per_worker={CampaignStatus.COMPLETED: 2, CampaignStatus.ACTIVE: 3}.get(
                status, 1
            ),
        )

    def _seed_campaigns(self, plans: list[CampaignPlan], workers: int) -> None:
        if not plans:
            self.stdout.write("Demo campaigns ready (0 new).")
            return
        moderator = User.objects.get(email__iexact=MODERATOR_EMAIL)
        crew = [
            User.objects.get(email__iexact=demo_email("worker", n)) for n in range(1, workers + 1)
        ]
        self._turn = 0
        made = []
        for plan in plans:
            try:
                with transaction.atomic():  # a campaign is there whole, or not at all
                    campaign = self._build(plan, moderator, crew)
            except DomainError as error:
                self.stdout.write(f"  skipped {plan.spec.title}: {error}")
                continue
            made.append(campaign)
            self.stdout.write(f"  {campaign.employer.email}: {campaign.title} — {campaign.status}")
        self.stdout.write(self.style.SUCCESS(f"Demo campaigns ready ({len(made)} new)."))

    def _build(self, plan: CampaignPlan, moderator: User, crew: list[User]) -> Campaign:
        """Take one campaign from draft to its planned status, doing its work on the way."""
        employer, status, spec = plan.employer, plan.status, plan.spec
        if status == CampaignStatus.EXPIRED:
            # Long enough to claim and submit before the clock expires it (see _finish).
            spec = replace(spec, ends_at=timezone.now() + timedelta(minutes=2))
        campaign = campaign_create(employer=employer, spec=spec)
        if status == CampaignStatus.DRAFT:
            return campaign
        campaign = campaign_launch(campaign=campaign, by=employer)
        if status == CampaignStatus.IN_REVIEW:
            return campaign
        if status == CampaignStatus.REJECTED:
            return campaign_moderate(
                campaign=campaign,
                by=moderator,
                approve=False,
                reason="The instructions do not say which page to visit. Please add the link.",
            )
        campaign = campaign_moderate(campaign=campaign, by=moderator, approve=True)
        for outcome in WORK_PLAN.get(status, ()):
            self._work(campaign, outcome, crew)
        return self._finish(campaign, status)

    def _work(self, campaign: Campaign, outcome: str, crew: list[User]) -> None:
        """One demo worker claims a task and takes it as far as ``outcome``; nothing
        happens when no demo worker may claim (all busy, or none at all)."""
        assignment = self._claim(campaign, crew)
        if assignment is None or outcome == "claim":
            return
        self._submit(assignment)
        employer = campaign.employer
        if outcome == "approve":
            submission_approve(assignment=assignment, by=employer)
        elif outcome in ("reject", "dispute"):
            submission_reject(
                assignment=assignment,
                by=employer,
                reason="The screenshot does not show the finished task.",
            )
        if outcome == "dispute":  # an appeal for the moderators' queue, answered by the employer
            dispute = dispute_open(
                assignment=assignment,
                by=assignment.worker,
                reason="The screenshot shows the finished task: the last line is the receipt.",
            )
            dispute_respond(
                dispute=dispute,
                by=employer,
                statement="The receipt is cut off; we cannot see the order number.",
            )
        elif outcome == "revision":
            submission_request_revision(
                assignment=assignment, by=employer, reason="Please send the full link too."
            )

    def _claim(self, campaign: Campaign, crew: list[User]) -> Assignment | None:
        """Demo workers take turns, so claims spread out and stay under MAX_OPEN_CLAIMS."""
        for _ in crew:
            worker = crew[self._turn % len(crew)]
            self._turn += 1
            try:
                return task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")
            except DomainError:
                continue
        return None

    def _submit(self, assignment: Assignment) -> None:
        answers, files = {}, {}
        for field in assignment.campaign.proof_fields:
            key = field["key"]
            if field["kind"] == ProofKind.SCREENSHOT:
                files[key] = [demo_png(assignment.pk * 10 + len(files))]
            elif field["kind"] == ProofKind.URL:
                answers[key] = f"https://example.com/demo/{key}/{assignment.pk}"
            else:
                answers[key] = f"Done — {assignment.worker.display_name}"
        assignment_submit(
            assignment=assignment, worker=assignment.worker, answers=answers, files=files
        )

    def _finish(self, campaign: Campaign, status: CampaignStatus) -> Campaign:
        """The employer's last move, or the clock's."""
        if status == CampaignStatus.PAUSED:
            return campaign_pause(campaign=campaign, by=campaign.employer)
        if status == CampaignStatus.CANCELLED:
            return campaign_cancel(campaign=campaign, by=campaign.employer)
        if status == CampaignStatus.EXPIRED:
            # The clock's own job, run as of the end date (two minutes ahead): it may also
            # expire another campaign ending in those minutes, which it would do soon anyway.
            due = campaign.ends_at + timedelta(seconds=1)
            while campaigns_expire_due(now=due) and not self._reached(campaign, status):
                pass
        elif status == CampaignStatus.COMPLETED:
            while campaigns_complete_due() and not self._reached(campaign, status):
                pass
        campaign.refresh_from_db()
        return campaign

    @staticmethod
    def _reached(campaign: Campaign, status: CampaignStatus) -> bool:
        return Campaign.objects.filter(pk=campaign.pk, status=status).exists()
