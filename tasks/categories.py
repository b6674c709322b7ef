"""The kinds of task Kaaj offers, with a minimum reward and the proof they usually need.

The rows are created by migration 0002 from CATEGORIES; names are shown through
CATEGORY_NAMES so they follow the reader's language.
"""

from django.utils.translation import gettext_lazy as _

SHOT = {"kind": "screenshot", "required": True}
LINK = {"kind": "url", "required": True}
TEXT = {"kind": "text", "required": True}


def field(key: str, label: str, spec: dict) -> dict:
    return {"key": key, "label": label, **spec}


# slug, English name, minimum reward (cents), proof template
CATEGORIES = [
    ("watch-video", "Watch a video", 5, [field("screenshot", "Screenshot of the video", SHOT)]),
    (
        "youtube",
        "YouTube view or subscribe",
        8,
        [
            field("channel", "Your YouTube channel name", TEXT),
            field("screenshot", "Screenshot showing you subscribed", SHOT),
        ],
    ),
    (
        "social-share",
        "Social media share or follow",
        6,
        [
            field("profile", "Link to your profile", LINK),
            field("screenshot", "Screenshot of the share or follow", SHOT),
        ],
    ),
    (
        "visit-website",
        "Visit a website",
        4,
        [field("answer", "What did you find on the page?", TEXT)],
    ),
    (
        "sign-up",
        "Sign up to a site",
        20,
        [
            field("username", "The username you signed up with", TEXT),
            field("screenshot", "Screenshot after signing up", SHOT),
        ],
    ),
    (
        "install-app",
        "Install an app",
        25,
        [field("screenshot", "Screenshot of the installed app", SHOT)],
    ),
    (
        "write-review",
        "Write a review",
        30,
        [
            field("review_link", "Link to your review", LINK),
            field("screenshot", "Screenshot of your review", SHOT),
        ],
    ),
    ("comment", "Leave a comment", 6, [field("comment_link", "Link to your comment", LINK)]),
    (
        "create-account",
        "Create an account (email, channel)",
        20,
        [
            field("account", "The account's name or address", TEXT),
            field("screenshot", "Screenshot of the new account", SHOT),
        ],
    ),
    ("survey", "Survey", 15, [field("code", "The code shown at the end of the survey", TEXT)]),
    ("data-entry", "Data entry", 10, [field("answer", "Your answer", TEXT)]),
    ("image-labelling", "Image labelling", 3, [field("label", "Your label", TEXT)]),
    ("other", "Other", 5, [field("proof", "Your proof", TEXT)]),
]

CATEGORY_NAMES = {
    "watch-video": _("Watch a video"),
    "youtube": _("YouTube view or subscribe"),
    "social-share": _("Social media share or follow"),
    "visit-website": _("Visit a website"),
    "sign-up": _("Sign up to a site"),
    "install-app": _("Install an app"),
    "write-review": _("Write a review"),
    "comment": _("Leave a comment"),
    "create-account": _("Create an account (email, channel)"),
    "survey": _("Survey"),
    "data-entry": _("Data entry"),
    "image-labelling": _("Image labelling"),
    "other": _("Other"),
}


def categories_ensure(category_model=None) -> None:
    """Create the categories that are missing (the migration's job; also used by tests,
    whose transactional flushes empty the table)."""
    if category_model is None:
        from tasks.models import Category as category_model
    if category_model.objects.count() >= len(CATEGORIES):
        return
    for position, (slug, name, minimum, template) in enumerate(CATEGORIES):
        category_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "min_reward_cents": minimum,
                "proof_template": template,
                "position": position,
            },
        )
