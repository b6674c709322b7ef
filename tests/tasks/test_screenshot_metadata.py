"""A screenshot keeps its pixels and nothing else: no EXIF (GPS, camera, orientation), no
colour profile, no text chunk survives the re-encoding, in any of the three formats."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from tasks.proofs import image_clean


def _with_metadata(kind: str) -> bytes:
    image = Image.new("RGB", (48, 32), (200, 40, 40))
    image.paste((20, 90, 200), (0, 0, 24, 32))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0112] = 1  # upright
    exif[0x8825] = {2: (23.0, 48.0, 0.0)}  # GPS: a latitude
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    options = {"exif": exif.tobytes(), "icc_profile": profile}
    if kind == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "the worker's home address")
        options["pnginfo"] = text
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_no_metadata_survives_the_re_encoding(kind):
    sent = _with_metadata(kind)
    with Image.open(io.BytesIO(sent)) as original:  # the test picture does carry it
        assert original.getexif() and original.info.get("icc_profile")

    clean = image_clean(SimpleUploadedFile("shot", sent))

    with Image.open(io.BytesIO(clean.content.read())) as stored:
        assert stored.format == kind and stored.size == (48, 32)
        assert not stored.getexif()
        assert not stored.info.get("icc_profile") and not stored.info.get("exif")
        assert "Comment" not in stored.info
        left, right = (
            stored.convert("RGB").getpixel((4, 4)),
            stored.convert("RGB").getpixel((40, 4)),
        )
        assert left[2] > left[0] and right[0] > right[2]  # the pixels themselves are kept
