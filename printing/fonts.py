"""Bundled Vietnamese-capable fonts, registered with reportlab once per process.

Liberation Serif/Sans (SIL OFL 1.1, see ``resources/fonts/LICENSE-Liberation.txt``)
cover every precomposed Vietnamese letter. Text must be NFC so that each letter
maps to one precomposed glyph; decomposed input (e.g. from some Windows IMEs or
macOS file names) would otherwise be drawn as base letter + combining mark, which
reportlab places badly. ``nfc`` is applied to every string the forms print.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"

SERIF = "MCSerif"
SERIF_BOLD = "MCSerif-Bold"
SERIF_ITALIC = "MCSerif-Italic"
SERIF_BOLD_ITALIC = "MCSerif-BoldItalic"
SANS = "MCSans"
SANS_BOLD = "MCSans-Bold"

_FILES = {
    SERIF: "LiberationSerif-Regular.ttf",
    SERIF_BOLD: "LiberationSerif-Bold.ttf",
    SERIF_ITALIC: "LiberationSerif-Italic.ttf",
    SERIF_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
    SANS: "LiberationSans-Regular.ttf",
    SANS_BOLD: "LiberationSans-Bold.ttf",
}

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the bundled TTFs and the <b>/<i> family mappings (idempotent, thread-safe).

    Parsing a TTF costs tens of milliseconds, so it happens once per process and
    every later render reuses reportlab's font registry.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        addMapping(SERIF, 0, 0, SERIF)
        addMapping(SERIF, 1, 0, SERIF_BOLD)
        addMapping(SERIF, 0, 1, SERIF_ITALIC)
        addMapping(SERIF, 1, 1, SERIF_BOLD_ITALIC)
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, SANS)
        addMapping(SANS, 1, 1, SANS_BOLD)
        _registered = True


def nfc(text: object) -> str:
    """``str(text)`` normalised to NFC (``None`` becomes the empty string)."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", str(text))


def missing_glyphs(text: str, font_name: str = SERIF) -> set[str]:
    """Characters of ``nfc(text)`` that the registered font cannot draw (whitespace ignored)."""
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    cmap = font.face.charToGlyph
    return {ch for ch in nfc(text) if not ch.isspace() and ord(ch) not in cmap}
