"""Draws the web app's icons (marketplace/static/img/icon-*.png) from Kaaj's mark, the white
"K" on a teal rounded square of favicon.svg: ``python -m marketplace.icons`` rewrites them.

The PNGs are committed (a phone asks for PNG icons; an SVG alone is not enough for every
launcher); this module is how they were made, to redraw them if the mark changes. Pillow's
default font has no Bengali, so the icons carry the "K" of favicon.svg, not the header's কা.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = "#0f766e"  # --brand in kaaj.css, theme_color in the manifest
INK = "#ffffff"
IMG = Path(__file__).resolve().parent / "static" / "img"
# (file name, size in px, maskable): a maskable icon is cropped by the launcher to any shape
# within the middle 80 %, so it is full-bleed with the letter well inside that circle.
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
]


def draw(size: int, *, maskable: bool) -> Image.Image:
    """One icon: favicon.svg's mark (rounded square, radius 7/32) scaled to ``size``."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    if maskable:
        canvas.rectangle((0, 0, size, size), fill=BRAND)
        letter = size * 0.40
    else:
        canvas.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 7 // 32, fill=BRAND)
        letter = size * 0.56
    font = ImageFont.load_default(size=letter)
    canvas.text((size / 2, size / 2), "K", font=font, fill=INK, anchor="mm")
    return image


def main() -> None:
    for name, size, maskable in ICONS:
        draw(size, maskable=maskable).save(IMG / name, optimize=True)
        print(IMG / name)


if __name__ == "__main__":
    main()
