"""Scanned pages made by the tests: an A4 page of 'text' lines with a little noise."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def a4_page(number: int, dpi: int = 300, fmt: str = "PNG", seed: int = 0) -> bytes:
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    img = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed * 1000 + number)
    margin = dpi
    line_h = dpi // 6
    y = margin
    # A thick page mark so that tests can tell pages (and their rotation) apart.
    draw.rectangle((margin, margin // 3, margin + number * dpi // 4, margin // 3 + dpi // 8), fill=0)
    while y < height - margin:
        x = margin
        while x < width - margin:
            word = rng.randint(dpi // 8, dpi // 2)
            draw.rectangle((x, y, min(x + word, width - margin), y + line_h // 2), fill=rng.randint(10, 60))
            x += word + dpi // 12
        y += line_h
    for _ in range(2000):  # scanner dust
        draw.point((rng.randrange(width), rng.randrange(height)), fill=rng.randint(150, 220))
    buf = io.BytesIO()
    img.save(buf, fmt, dpi=(dpi, dpi), **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()
