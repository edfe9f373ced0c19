"""Vietnamese text for cheap hardware: printer code pages and an ASCII fold for LED boards.

Two printer code pages are in use at counters (see docs/DOMAIN "Hardware seen at counters"):

* **CP1258** (Windows Vietnamese; ESC t 52 on Epson, 27/94/35 on some clones). It holds
  the vowels with circumflex/breve/horn precomposed and a few toned letters (à, á, …),
  and builds every other toned letter from a base letter plus one *combining tone
  mark* byte. Python's ``cp1258`` codec only encodes what the page holds literally, so
  we try the NFC letter first and otherwise send ``base + tone mark``.
* **TCVN-3 (ABC, TCVN 5712:1993 "VN3")**: one byte per lowercase toned letter; capital
  letters with tone marks live in a second font. Epson exposes the two as code pages 30
  (lowercase set) and 31 (capital set at the same positions); the byte layout below is
  the TCVN3 table as printed by Epson (cross-checked in the tests with the
  escpos-printer-db data shipped in python-escpos).

Anything a page cannot hold becomes ``?`` (the same thing the printer would do).
"""

from __future__ import annotations

import unicodedata

# Combining tone marks of Vietnamese (huyền, sắc, ngã, hỏi, nặng).
TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")

# --- TCVN-3 -------------------------------------------------------------------------
# Rows: base letter, then the byte for: no tone, huyền (grave), hỏi (hook), ngã (tilde),
# sắc (acute), nặng (dot below). None = plain ASCII letter (no tone).
_TCVN3_ROWS: dict[str, tuple[int | None, int, int, int, int, int]] = {
    "a": (None, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (None, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (None, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (None, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (None, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (None, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TONE_ORDER = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")


def _build_tcvn3() -> tuple[dict[str, int], dict[str, int]]:
    lower: dict[str, int] = {"đ": 0xAE}
    for base, codes in _TCVN3_ROWS.items():
        for tone, code in zip(_TONE_ORDER, codes, strict=True):
            if code is not None:
                lower[unicodedata.normalize("NFC", base + tone)] = code
    # The capital font (Epson page 31) puts capitals at the lowercase positions, except
    # Ă Â Đ, which sit at the classic TCVN3 capital slots 0xA1, 0xA2, 0xA7.
    upper = {ch.upper(): code for ch, code in lower.items()}
    upper.update({"Ă": 0xA1, "Â": 0xA2, "Đ": 0xA7})
    return lower, upper


TCVN3_LOWER, TCVN3_UPPER = _build_tcvn3()
TCVN3_LOWER_DECODE = {code: ch for ch, code in TCVN3_LOWER.items()}
TCVN3_UPPER_DECODE = {code: ch for ch, code in TCVN3_UPPER.items()}


def encode_tcvn3_runs(text: str) -> list[tuple[str, bytes]]:
    """Split ``text`` into runs for the two TCVN-3 pages: ``[("lower"|"upper"|"any", bytes)]``.

    ASCII fits either page ("any"), so it never forces a page switch; the caller
    merges "any" runs into whichever page is current.
    """
    runs: list[tuple[str, bytearray]] = []
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 0x80:
            page, code = "any", ord(ch)
        elif ch in TCVN3_LOWER:
            page, code = "lower", TCVN3_LOWER[ch]
        elif ch in TCVN3_UPPER:
            page, code = "upper", TCVN3_UPPER[ch]
        else:
            page, code = "any", ord("?")
        if runs and runs[-1][0] == page:
            runs[-1][1].append(code)
        else:
            runs.append((page, bytearray([code])))
    return [(page, bytes(data)) for page, data in runs]


def decode_tcvn3(data: bytes, upper_page: bool) -> str:
    table = TCVN3_UPPER_DECODE if upper_page else TCVN3_LOWER_DECODE
    return "".join(chr(b) if b < 0x80 else table.get(b, "?") for b in data)


# --- CP1258 --------------------------------------------------------------------------
def encode_cp1258(text: str) -> bytes:
    """Encode NFC Vietnamese to CP1258: composed letter where the page has it, else base + tone."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = [m for m in decomposed if m in TONE_MARKS]
        base = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in TONE_MARKS))
        try:
            out += (base + "".join(tones)).encode("cp1258")
        except UnicodeEncodeError:
            out += b"?"
    return bytes(out)


def decode_cp1258(data: bytes) -> str:
    return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


# --- ASCII fold for LED boards ---------------------------------------------------------
_EXPLICIT = str.maketrans({"đ": "d", "Đ": "D"})


def fold_ascii(text: str, upper: bool = True) -> str:
    """Vietnamese → printable ASCII: drop tone/vowel marks, đ→d; other characters → '?'.

    "Quầy số 3" → "QUAY SO 3". LED boards carry only digits and capital ASCII.
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).translate(_EXPLICIT))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if upper:
        stripped = stripped.upper()
    return "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in stripped)


def is_ascii(text: str) -> bool:
    return all(ord(ch) < 0x80 for ch in text)
