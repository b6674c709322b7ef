"""Proof checking: answers against a campaign's proof fields, and screenshots by content.

A screenshot is accepted only if Pillow can open it as JPEG, PNG or WebP within the size and
pixel limits of the settings. It is turned upright (EXIF orientation), re-encoded (which
drops EXIF, GPS and any other metadata) and stored under a random name in a folder that is
never served directly.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tasks.limits import PROOF_ANSWER_MAX_CHARS
from tasks.models import ProofKind

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    content_type: str
    width: int
    height: int
    phash: int


def answers_clean(
    proof_fields: list[dict], answers: dict, files: dict, *, kept: Collection[str] = ()
) -> tuple[dict, dict]:
    """Validate a submission; returns (text answers, {key: [CleanImage]}).

    Raises ValidationError with messages per field key.
    """
    clean_answers, images, errors = proof_check(proof_fields, answers, files, kept=kept)
    if errors:
        raise ValidationError(errors)
    return clean_answers, images


def proof_check(
    proof_fields: list[dict],
    answers: dict,
    files: dict,
    *,
    kept: Collection[str] = (),
    code: str | None = None,
) -> tuple[dict, dict, dict]:
    """Check every proof of a submission and report them all: (text answers, {key:
    [CleanImage]} for the screenshots that passed, {key: [message]} for what did not).

    ``kept`` names the screenshot fields already answered by a screenshot kept from an
    earlier try (``KeptScreenshot``): a required one needs no new upload then. ``code`` is
    the task's own verification code, which a verification-code proof must match (case and
    spaces aside).
    """
    errors: dict[str, list[str]] = {}
    clean_answers: dict[str, str] = {}
    images: dict[str, list[CleanImage]] = {}
    for field in proof_fields:
        key, kind, required = field["key"], field["kind"], field.get("required", True)
        if kind == ProofKind.SCREENSHOT:
            uploads = files.get(key) or []
            if required and not uploads and key not in kept:
                errors[key] = [_("Add the screenshot.")]
                continue
            try:
                images[key] = [image_clean(upload) for upload in uploads[:1]]
            except ValidationError as error:
                errors[key] = list(error.messages)
            continue
        value = str(answers.get(key, "") or "").strip()
        if not value:
            if required:
                errors[key] = [_("This proof is required.")]
            continue
        if len(value) > PROOF_ANSWER_MAX_CHARS:
            errors[key] = [_("Keep it under %(n)s characters.") % {"n": PROOF_ANSWER_MAX_CHARS}]
        elif kind == ProofKind.URL:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                errors[key] = [_("Enter a full link, starting with https://")]
        elif kind == ProofKind.VERIFICATION_CODE and not codes_match(value, code):
            errors[key] = [
                _("This is not the code the task gives at its end: check it and type it again.")
            ]
        clean_answers[key] = value
    unknown = set(answers) - {f["key"] for f in proof_fields}
    if unknown:
        errors["answers"] = [
            _("Unknown proof fields: %(keys)s") % {"keys": ", ".join(sorted(unknown))}
        ]
    return clean_answers, {key: shots for key, shots in images.items() if shots}, errors


def codes_match(typed: str, expected: str | None) -> bool:
    """A typed verification code against the task's: the same once case and spaces are set
    aside ("ab 12" is "AB12"); never when the task has none."""
    if not expected:
        return False
    return "".join(typed.split()).casefold() == "".join(expected.split()).casefold()


def image_clean(upload) -> CleanImage:
    """Open, check and re-encode one uploaded screenshot (ValidationError if it is not one)."""
    if upload.size > settings.SCREENSHOT_MAX_BYTES:
        raise ValidationError(
            _("The screenshot is larger than %(mb)s MB.")
            % {"mb": settings.SCREENSHOT_MAX_BYTES // (1024 * 1024)}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if kind not in FORMATS:
                raise ValidationError(_("Send a JPEG, PNG or WebP picture."))
            if image.width * image.height > settings.SCREENSHOT_MAX_PIXELS:
                raise ValidationError(_("The screenshot has too many pixels."))
            image.load()
            # A phone's photo may be stored sideways with an EXIF note to turn it: turn the
            # pixels themselves, since the note goes with the rest of the metadata (in place:
            # an upright picture is not copied).
            ImageOps.exif_transpose(image, in_place=True)
            clean = _without_metadata(image, kind)
            phash = difference_hash(image)
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(_("This file is not a picture we can read.")) from error
    return CleanImage(ContentFile(clean), FORMATS[kind], width, height, phash)


def _without_metadata(image: Image.Image, kind: str) -> bytes:
    """Re-encode the pixels alone: no EXIF, GPS, comments or colour profile survive."""
    mode = "RGBA" if image.mode in ("RGBA", "LA", "P") and kind != "JPEG" else "RGB"
    pixels = image if image.mode == mode else image.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    # PNG at zlib's default level: optimize=True made a phone's 1080 x 2000 screenshot take
    # about 320 ms instead of 65 ms of the request, for files some 7% smaller.
    # WebP at method 2 rather than libwebp's default 4: a 862 x 1600 screenshot from
    # proof.js took about 90 ms to re-encode, now about 49 ms, for files some 3% larger.
    options = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85, "method": 2}}.get(kind, {})
    fresh.save(out, format=kind, **options)
    return out.getvalue()


def difference_hash(image: Image.Image) -> int:
    """A 64-bit perceptual hash (dHash): similar pictures differ in few bits.

    Stored as a signed 64-bit integer (PostgreSQL's bigint).
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left > right)
    return bits - (1 << 64) if bits >= 1 << 63 else bits
