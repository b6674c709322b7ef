"""A submission's proof as people read it: each answer and screenshot under the label the
employer wrote for its proof field ("Your account's name"), never the internal key
(``account``). One include for the worker's, the employer's and the moderator's pages."""

from __future__ import annotations

from django import template

from tasks.models import Campaign, Submission

register = template.Library()


def proof_labels(campaign: Campaign) -> dict[str, str]:
    """Each proof field's key → its label (the key itself where the label is empty)."""
    return {f["key"]: f.get("label") or f["key"] for f in campaign.proof_fields or ()}


@register.inclusion_tag("tasks/includes/proof_answers.html")
def proof_answers(submission: Submission, campaign: Campaign, *, links: bool = True) -> dict:
    """``{% proof_answers submission campaign %}``: the answers in the order of the campaign's
    proof fields (answers to fields no longer there last, under their key), then the
    screenshots, each named by its field's label. ``links=False`` prints answers as plain text
    (the worker's own page: their own links need no linking)."""
    labels = proof_labels(campaign)
    order = {key: n for n, key in enumerate(labels)}
    answers = sorted(
        (submission.answers or {}).items(), key=lambda item: order.get(item[0], len(order))
    )
    return {
        "answers": [(labels.get(key, key), value) for key, value in answers],
        "screenshots": [
            (shot, labels.get(shot.field_key, shot.field_key))
            for shot in submission.screenshots.all()
        ],
        "links": links,
    }
