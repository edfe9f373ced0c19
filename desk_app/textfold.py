"""Text normalisation for storage (NFC) and diacritic-insensitive search.

Vietnamese letters decompose under NFD into a base letter plus combining marks,
except ``đ``/``Đ`` which is a letter of its own and must be folded explicitly.
"""

from __future__ import annotations

import re
import unicodedata

_WS_RE = re.compile(r"\s+")
_TOKEN_SPLIT_RE = re.compile(r"[\W_]+")
# đ/Đ are separate letters; Ð (U+00D0, eth) and ɖ show up in text converted from
# legacy TCVN3/VNI encodings in place of Đ/đ.
_EXPLICIT = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d", "ɖ": "d", "Ɖ": "d"})


def normalize_text(text: str) -> str:
    """NFC, trimmed, internal whitespace runs collapsed to one space; case kept."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Search key: no diacritics, đ→d, lowercase, collapsed whitespace.

    "Nguyễn Văn Dũng" -> "nguyen van dung"; "ĐẶNG" -> "dang".
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.translate(_EXPLICIT).lower()
    # lower() can itself produce combining marks (e.g. "İ" -> "i̇"): strip again.
    folded = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    return _WS_RE.sub(" ", folded).strip()


def tokens_for_search(text: str) -> list[str]:
    """Folded words (letters/digits) of ``text``, de-duplicated, in first-seen order.

    Punctuation separates words: "Lê Thị Ánh-Tuyết, 0912" -> ["le", "thi", "anh", "tuyet", "0912"].
    """
    seen: dict[str, None] = {}
    for tok in _TOKEN_SPLIT_RE.split(fold(text)):
        if tok:
            seen.setdefault(tok, None)
    return list(seen)
