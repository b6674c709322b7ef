"""Builders the API tests share: request bodies, real pictures, a submitted assignment."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from tasks import services
from workers.claims import task_claim

from .helpers import active_campaign

SHOT_FIELDS = [
    {"key": "username", "label": "Your username", "kind": "text", "required": True},
    {"key": "screenshot", "label": "Screenshot", "kind": "screenshot", "required": False},
]


def campaign_body(**overrides) -> dict:
    body = {
        "title": "Sign up to our newsletter",
        "category": "sign-up",
        "instructions": "Open https://example.com and sign up with your email address.",
        "reward_cents": 50,
        "positions": 2,
        "proof_fields": SHOT_FIELDS,
    }
    body.update(overrides)
    return body


def png(seed: int = 0, name: str = "proof.png") -> SimpleUploadedFile:
    """A real PNG made by Pillow: stripes whose layout depends on ``seed``, so different
    seeds give pictures that do not look alike."""
    image = Image.new("RGB", (120, 90), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        x = (seed * 37 + n * 23) % 120
        draw.rectangle([x, 0, x + 8 + seed % 7, 90], fill=(20 * n, 255 - 30 * n, (seed * 50) % 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def submitted(employer, worker, moderator, *, campaign=None, shot: int | None = None, **options):
    """An assignment of ``worker`` on an active campaign of ``employer``, proof submitted."""
    campaign = campaign or active_campaign(employer, moderator, proof_fields=SHOT_FIELDS, **options)
    assignment = task_claim(campaign=campaign, worker=worker)
    files = {} if shot is None else {"screenshot": [png(shot)]}
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": "karim"}, files=files
    )
    assignment.refresh_from_db()
    return assignment
