"""The limits of a campaign: one set, for every way in.

The campaign service enforces every number here (``tasks.services.campaigns``), so a caller
that skips the page's form and the API's serializer is refused too. The form and the
serializer take their bounds from this module as well, only to put a message next to the
field before the service is asked; they never hold a number of their own. Before these were
gathered the page and the API disagreed (instructions 5,000 or 10,000 characters, up to 100,000
positions or 2.1 billion, ...); where they did, the stricter copy won unless real use needs
more, and each number says why it is what it is.

The rows of an uploaded file (task inputs) are limited by the ``CAMPAIGN_CSV_MAX_ROWS``
setting, which stays a setting: an operator may raise it for a big server (one task a row,
so never past POSITIONS_MAX).
"""

from __future__ import annotations

import re

from django.conf import settings
from django_countries import countries

# The largest PostgreSQL ``integer``: the columns of Campaign's amounts and counts.
INT_MAX = 2_147_483_647

# The model's column (varchar 120); a title is read in a feed on a phone.
TITLE_MAX_CHARS = 120

# The page's 5,000 won over the API's 10,000: a micro-task is explained in a few paragraphs,
# read on a cheap phone over a slow connection, and every feed item carries them.
INSTRUCTIONS_MAX_CHARS = 5_000

# A reward is at least the category's minimum (Category.min_reward_cents, checked by the
# service) and at most what Campaign.reward_cents (a PostgreSQL integer) holds.
REWARD_MIN_CENTS = 1
REWARD_MAX_CENTS = INT_MAX

# The page's 100,000 won over the API's 2.1 billion: launching creates every task in the one
# transaction that funds the escrow (``tasks.lifecycle.tasks.tasks_create``, rows written
# 1,000 at a time), and 100,000 rows is what that transaction writes in a few seconds while
# it holds the employer's wallet (measured: a launch of 100,000 took 6 s on a busy two-core
# test machine); the same bound holds for one request to add positions. A bigger job adds
# positions again once it runs.
POSITIONS_MIN = 1
POSITIONS_MAX = 100_000

# The page's 1,000 won over the API's 32,767 (only the smallint column's end): the cap is
# there to spread a campaign's work over many workers (against task hoarding), and a cap of
# a thousand tasks of one campaign already leaves one worker a week's full-time work.
MAX_TASKS_PER_WORKER_MIN = 1
MAX_TASKS_PER_WORKER_MAX = 1_000

# The page's minimum (5 minutes: a claim that expires sooner expires while the worker reads
# the instructions) and the API's maximum (30 days: a task such as "use the app for a week,
# then review it" needs days; longer would hold a position nobody else can claim).
TIME_TO_COMPLETE_MINUTES_MIN = 5
TIME_TO_COMPLETE_MINUTES_MAX = 30 * 24 * 60

# The page's 30 days won over the API's 90: work not reviewed in time is approved
# automatically, and an employer who leaves workers waiting longer than a month is the
# complaint this clock answers (Mechanical Turk's longest auto-approval is 30 days too).
TIME_TO_RATE_HOURS_MIN = 1
TIME_TO_RATE_HOURS_MAX = 30 * 24

# A percentage.
MIN_SUCCESS_RATE_MIN = 0
MIN_SUCCESS_RATE_MAX = 100

# The page's 5 won over the API's 20: each proof is one more input to fill on a phone, and 5
# is also how many screenshots a submission may carry (SCREENSHOTS_PER_SUBMISSION). The page
# shows exactly this many rows.
PROOF_FIELDS_MAX = 5
# Both copies agreed: a key is a short name in answers and in the results' CSV header; a
# label is one sentence saying what to send.
PROOF_KEY_MAX_CHARS = 40
PROOF_LABEL_MAX_CHARS = 200
# One text or link answer. The service's 2,000 won over the API serializer's 5,000 (the page
# had none of its own): a username, a link or a short review fits.
PROOF_ANSWER_MAX_CHARS = 2_000

# Task inputs (the rows of an uploaded CSV, or ``task_inputs`` in the API). Both ways now see
# the same shape: every row has the same named columns (a CSV can have nothing else), at most
# TASK_INPUT_COLUMNS_MAX of them, each name at most TASK_INPUT_COLUMN_MAX_CHARS; a value is
# at most TASK_INPUT_VALUE_MAX_CHARS (the API's 2,000: a URL, or an item to review; the file
# had no bound but its size). The file itself may have TASK_FILE_MAX_BYTES, as JSON bodies
# are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE.
TASK_INPUT_COLUMNS_MAX = 50
TASK_INPUT_COLUMN_MAX_CHARS = 100
TASK_INPUT_VALUE_MAX_CHARS = 2_000
TASK_FILE_MAX_BYTES = 1024 * 1024

# What a campaign gets when its employer says nothing (the page's first values, the API's
# defaults, CampaignSpec's): one task a worker, an hour to do it, three days to review it.
MAX_TASKS_PER_WORKER_DEFAULT = 1
TIME_TO_COMPLETE_MINUTES_DEFAULT = 60
TIME_TO_RATE_HOURS_DEFAULT = 72
MIN_SUCCESS_RATE_DEFAULT = 0

# A campaign may ask for a worker level (workers.levels): 0, anyone, to the top one set.
MIN_LEVEL_MIN = 0
MIN_LEVEL_MAX = max(step["level"] for step in settings.WORKER_LEVELS)

# Check tasks (tasks.gold): the percentage of a worker's claims that are check tasks, up to
# one in two (more would leave little paid work); the stop's answers before judging (at
# least one, at most a hundred) and accuracy (a percentage).
GOLD_RATE_MIN, GOLD_RATE_MAX = 0, 50
GOLD_MIN_ANSWERS_MIN, GOLD_MIN_ANSWERS_MAX = 1, 100
GOLD_MIN_ACCURACY_MIN, GOLD_MIN_ACCURACY_MAX = 1, 100
GOLD_MIN_ANSWERS_DEFAULT, GOLD_MIN_ACCURACY_DEFAULT = 3, 70

# The numbers of a campaign and their (least, greatest) values, as the service checks them.
NUMBERS = {
    "positions": (POSITIONS_MIN, POSITIONS_MAX),
    "max_tasks_per_worker": (MAX_TASKS_PER_WORKER_MIN, MAX_TASKS_PER_WORKER_MAX),
    "time_to_complete_minutes": (TIME_TO_COMPLETE_MINUTES_MIN, TIME_TO_COMPLETE_MINUTES_MAX),
    "time_to_rate_hours": (TIME_TO_RATE_HOURS_MIN, TIME_TO_RATE_HOURS_MAX),
    "min_success_rate": (MIN_SUCCESS_RATE_MIN, MIN_SUCCESS_RATE_MAX),
    "min_level": (MIN_LEVEL_MIN, MIN_LEVEL_MAX),
    "gold_rate": (GOLD_RATE_MIN, GOLD_RATE_MAX),
    "gold_min_answers": (GOLD_MIN_ANSWERS_MIN, GOLD_MIN_ANSWERS_MAX),
    "gold_min_accuracy": (GOLD_MIN_ACCURACY_MIN, GOLD_MIN_ACCURACY_MAX),
}

# Targeting: at most every country once (the page chooses them by name from the list).
COUNTRIES_MAX = len(countries)
# Qualification tests a campaign may require (each one more test a worker must pass first).
QUALIFICATIONS_MAX = 5

# Groups of chosen workers (tasks.services.groups): a name as short as a test's; as many
# groups as an employer can tell apart on a phone; members enough for a large regular crew;
# a private campaign opened to a few groups at most.
GROUP_NAME_MAX_CHARS = 80
GROUPS_MAX = 50
GROUP_MEMBERS_MAX = 5_000
CAMPAIGN_GROUPS_MAX = 5

# A bonus (tasks.services.bonuses): a thank-you on top of a task's reward, from a cent to $100
# (in the deployment's currency): more is no longer a bonus but pay outside any campaign's
# escrow, which a moderator should see first. The idempotency key a client sends with it is
# a short token (a UUID fits), as Stripe's are.
BONUS_MIN_CENTS = 1
BONUS_MAX_CENTS = 10_000
BONUS_KEY_MAX_CHARS = 100

# A reason the other side reads (a rejection, a revision request, a dispute's statements):
# long enough to quote the instructions back, short enough to read on a phone.
REASON_MAX_CHARS = 2_000
# Submissions reviewed by one bulk request: a page of the review queue and more, while one
# request's transactions stay short.
BULK_REVIEW_MAX = 200

# A worker's rating of an employer (tasks.services.ratings): each score from 1 to 5, as
# stores and app markets rate; a comment and the employer's answer are a few sentences read
# on a phone under the scores. The rating (and the answer) can be changed for a week after
# it was first given: long enough to calm down after a decision, short enough that a rating
# is not a lever held over the employer for good.
RATING_SCORE_MIN, RATING_SCORE_MAX = 1, 5
RATING_COMMENT_MAX_CHARS = 1_000
RATING_ANSWER_MAX_CHARS = 1_000
RATING_EDIT_DAYS = 7

# ``{{column}}`` (spaces inside the braces allowed) in the instructions is replaced by that
# column of the task's input; with task inputs, every placeholder must name one of their
# columns (the service checks it).
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def placeholders(text: str) -> set[str]:
    """The column names ``{{column}}`` placeholders in ``text`` ask for."""
    return set(PLACEHOLDER.findall(text or ""))


# Columns of the task file whose name starts with this are for Kaaj and the employer only,
# never shown to the worker nor usable as {{column}}; ``_code`` is the code a task's page shows
# at its end, which a verification-code proof must match.
HIDDEN_COLUMN_PREFIX = "_"
CODE_COLUMN = "_code"


def hidden_columns_dropped(row: dict) -> dict:
    return {name: value for name, value in row.items() if not name.startswith(HIDDEN_COLUMN_PREFIX)}
