"""Voice calls: Vietnamese number reading and announcements assembled from WAV clips.

Reading rules (northern standard, as heard at counters):

* 1–9: một hai ba bốn năm sáu bảy tám chín; 0 alone: không.
* 10–19: "mười" + unit, with 5 → "lăm" (15 mười lăm), 1 stays "một" (11 mười một),
  4 stays "bốn" (14 mười bốn).
* 20–99: "<tens> mươi" + unit, with 1 → "mốt" (21 hai mươi mốt), 5 → "lăm"
  (25 hai mươi lăm), 4 → "tư" (24 hai mươi tư). "tư" is our choice: it is what
  counter systems and northern speakers use, and it cannot be misheard as "một".
  Tens alone: 20 "hai mươi".
* Hundreds: "<n> trăm"; a zero tens digit before a unit reads "linh"
  (105 một trăm linh năm; 5 after "linh" stays "năm", 4 stays "bốn", 1 stays "một").
* Groups of three digits with "nghìn", "triệu", "tỷ"; a non-leading group below 100
  reads its hundreds as "không trăm" (1023 một nghìn không trăm hai mươi ba,
  2005 hai nghìn không trăm linh năm); an all-zero group is skipped (1000 một nghìn).

Clips: ``tools/make_sounds.py`` renders one WAV per word or phrase into
``resources/sounds/`` (file name from :func:`clip_name`); :func:`assemble_announcement`
joins them with the standard ``wave`` module. Playing is the UI's job (QtMultimedia);
:class:`WavFileAnnouncer` hands the bytes to a callback and never raises.
"""

from __future__ import annotations

import io
import logging
import unicodedata
import wave
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from desk_app.devices.api import Announcer, CallAnnouncement

log = logging.getLogger(__name__)

SOUNDS_DIR = Path(__file__).resolve().parents[2] / "resources" / "sounds"

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu")  # then "tỷ", recursively

#: How letters of ticket prefixes are read (Vietnamese letter names).
LETTER_NAMES: dict[str, str] = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê",
    "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o",
    "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u", "V": "vê",
    "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip

PHRASE_CALL = "mời công dân có số thứ tự"
PHRASE_COUNTER = "đến quầy số"


def _read_below_100(n: int, *, after_hundred: bool) -> list[str]:
    tens, unit = divmod(n, 10)
    if tens == 0:
        if unit == 0:
            return []
        return ["linh", DIGITS[unit]] if after_hundred else [DIGITS[unit]]
    if tens == 1:
        words = ["mười"]
        if unit == 5:
            words.append("lăm")
        elif unit:
            words.append(DIGITS[unit])
        return words
    words = [DIGITS[tens], "mươi"]
    if unit == 1:
        words.append("mốt")
    elif unit == 4:
        words.append("tư")
    elif unit == 5:
        words.append("lăm")
    elif unit:
        words.append(DIGITS[unit])
    return words


def _read_group(n: int, *, leading: bool) -> list[str]:
    """Words of a three-digit group 1..999; ``leading`` = no group before it."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and leading:
        return _read_below_100(rest, after_hundred=False)
    words = [DIGITS[hundreds], "trăm"]
    return words + _read_below_100(rest, after_hundred=True)


def number_words(n: int) -> list[str]:
    """:func:`read_number_vi` as a list of single words (one clip each)."""
    if n < 0:
        return ["âm", *number_words(-n)]
    if n == 0:
        return ["không"]
    if n >= 1_000_000_000:
        high, low = divmod(n, 1_000_000_000)
        words = [*number_words(high), "tỷ"]
        if low:
            words += _groups(low, leading=False)
        return words
    return _groups(n, leading=True)


def _groups(n: int, *, leading: bool) -> list[str]:
    groups: list[int] = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        words += _read_group(g, leading=leading and not words)
        if SCALES[i]:
            words.append(SCALES[i])
    return words


def read_number_vi(n: int) -> str:
    """Read an integer the Vietnamese way: 1023 → "một nghìn không trăm hai mươi ba"."""
    return " ".join(number_words(n))


def announcement_words(ticket_number: str, counter_no: int) -> list[str]:
    """Clip words for "Mời công dân có số thứ tự … đến quầy số …".

    Letters are read by name, then the digits as one number: "A023" → "a", "hai",
    "mươi", "ba". Leading zeros are not read.
    """
    words = [PHRASE_CALL]
    digits = ""
    for ch in unicodedata.normalize("NFC", ticket_number.strip()).upper():
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            words += number_words(int(digits))
            digits = ""
        if ch in LETTER_NAMES:
            words.append(LETTER_NAMES[ch])
    if digits:
        words += number_words(int(digits))
    words.append(PHRASE_COUNTER)
    words += number_words(counter_no)
    return words


# --- clips ----------------------------------------------------------------------------------
_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_MARKS = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # circumflex doubles the vowel


def clip_name(word: str) -> str:
    """ASCII file stem for a word, in Telex so that e.g. "mười" ≠ "mươi" ("muwowif", "muwowi")."""
    out: list[str] = []
    for syllable in unicodedata.normalize("NFC", word.lower()).split():
        tone = ""
        letters = ""
        for ch in syllable:
            if ch == "đ":
                letters += "dd"
                continue
            decomposed = unicodedata.normalize("NFD", ch)
            base = decomposed[0]
            letters += base if base.isascii() and base.isalnum() else ""
            for mark in decomposed[1:]:
                if mark in _TONES:
                    tone = _TONES[mark]
                elif mark == "\u0302":
                    letters += base
                elif mark in ("\u0306", "\u031b"):
                    letters += "w"
        out.append(letters + tone)
    return "_".join(out)


def all_clip_words() -> list[str]:
    """Every word or phrase an announcement can need (what make_sounds.py renders)."""
    words = [PHRASE_CALL, PHRASE_COUNTER, *DIGITS, "mốt", "tư", "lăm", "mười", "mươi", "trăm", "linh",
             "nghìn", "triệu", "tỷ", "âm", *LETTER_NAMES.values()]  # fmt: skip
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    return list(seen)


@lru_cache(maxsize=128)
def _load_clip(path: Path) -> tuple[tuple[int, int, int], bytes]:
    with wave.open(str(path), "rb") as w:
        return (w.getnchannels(), w.getsampwidth(), w.getframerate()), w.readframes(w.getnframes())


def assemble_announcement(words: Iterable[str], sounds_dir: Path | None = None, gap_ms: int = 60) -> bytes:
    """One WAV (bytes) made of the words' clips, with a short pause between words.

    A missing clip is skipped with a warning (the rest of the call is still useful).
    Raises ``FileNotFoundError`` only when no clip at all is found.
    """
    folder = SOUNDS_DIR if sounds_dir is None else sounds_dir
    params: tuple[int, int, int] | None = None
    chunks: list[bytes] = []
    for word in words:
        path = folder / f"{clip_name(word)}.wav"
        if not path.exists():
            log.warning("no sound clip for %r (%s)", word, path.name)
            continue
        clip_params, frames = _load_clip(path)
        if params is None:
            params = clip_params
        elif clip_params != params:
            log.warning("clip %s has format %s, expected %s: skipped", path.name, clip_params, params)
            continue
        if chunks:
            channels, width, rate = params
            chunks.append(b"\x00" * (rate * gap_ms // 1000) * channels * width)
        chunks.append(frames)
    if params is None:
        raise FileNotFoundError(f"no sound clips in {folder}")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(params[0])
        w.setsampwidth(params[1])
        w.setframerate(params[2])
        w.writeframes(b"".join(chunks))
    return out.getvalue()


class WavFileAnnouncer:
    """``Announcer`` that assembles the call from clips and hands the WAV to ``play``.

    ``play`` is supplied by the UI (e.g. a QtMultimedia player). Any failure, missing
    clips or missing sound hardware included, is logged and swallowed: a silent call
    is better than a counter that stops working.
    """

    def __init__(self, play: Callable[[bytes], None], sounds_dir: Path | None = None) -> None:
        self.play = play
        self.sounds_dir = sounds_dir

    def words(self, call: CallAnnouncement) -> Sequence[str]:
        return announcement_words(call.ticket_number, call.counter_no)

    def announce(self, call: CallAnnouncement) -> None:
        try:
            data = assemble_announcement(self.words(call), self.sounds_dir)
            self.play(data)
        except Exception:  # noqa: BLE001 - see class docstring
            log.warning("voice announcement for %s failed", call.ticket_number, exc_info=True)


if TYPE_CHECKING:  # mypy proves the announcer fulfils the lead's contract

    def _conforms(announcer: WavFileAnnouncer) -> Announcer:
        return announcer
