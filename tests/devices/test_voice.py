from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.devices.api import CallAnnouncement
from desk_app.devices.voice import (
    SOUNDS_DIR,
    WavFileAnnouncer,
    all_clip_words,
    announcement_words,
    assemble_announcement,
    clip_name,
    number_words,
    read_number_vi,
)

TABLE = {
    0: "không",
    4: "bốn",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    55: "năm mươi lăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    1000: "một nghìn",
    1023: "một nghìn không trăm hai mươi ba",
    2005: "hai nghìn không trăm linh năm",
    10_010: "mười nghìn không trăm mười",
    100_000: "một trăm nghìn",
    1_000_000: "một triệu",
    1_000_005: "một triệu không trăm linh năm",
    1_500_000_000: "một tỷ năm trăm triệu",
}


@pytest.mark.parametrize(("n", "words"), TABLE.items())
def test_reading_table(n: int, words: str) -> None:
    assert read_number_vi(n) == words


@given(st.integers(0, 99_999))
def test_reading_rules(n: int) -> None:
    text = read_number_vi(n)
    words = text.split()
    assert " ".join(number_words(n)) == text
    assert "mươi năm" not in text  # x5 with x ≥ 2 is "lăm"
    assert "mười năm" not in text
    assert "mười mốt" not in text  # 11 is "mười một"
    assert "linh lăm" not in text and "linh mốt" not in text and "linh tư" not in text
    for i, w in enumerate(words):
        if w == "mốt":
            assert words[i - 1] == "mươi"  # only after tens ≥ 2
        if w == "mươi":
            assert words[i - 1] not in ("không", "một")  # 10..19 use "mười"
        if w == "lăm":
            assert words[i - 1] in ("mười", "mươi")
    if n % 100 == 1 and n % 1000 > 20:
        assert words[-1] in ("mốt", "một")
    if n >= 1000 and 0 < n % 1000 < 100:
        assert "không trăm" in text
    assert all(w in set(all_clip_words()) for w in words)  # every word has a clip


def test_announcement_words() -> None:
    assert announcement_words("A023", 3) == [
        "mời công dân có số thứ tự", "a", "hai", "mươi", "ba", "đến quầy số", "ba",
    ]  # fmt: skip
    assert announcement_words("1023", 12)[1:-3] == ["một", "nghìn", "không", "trăm", "hai", "mươi", "ba"]
    assert announcement_words("B105", 1)[1:3] == ["bê", "một"]


def test_clip_names_are_unique_and_all_clips_exist() -> None:
    words = all_clip_words()
    names = [clip_name(w) for w in words]
    assert len(set(names)) == len(names)
    assert clip_name("mười") != clip_name("mươi")
    for name in names:
        with wave.open(str(SOUNDS_DIR / f"{name}.wav"), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
    readme = (SOUNDS_DIR / "README.md").read_text(encoding="utf-8")
    assert all(f"`{n}.wav`" in readme for n in names)


def test_assemble_is_one_valid_wav() -> None:
    words = announcement_words("A023", 3)
    data = assemble_announcement(words)
    with wave.open(io.BytesIO(data), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
    clips = 0.0
    for word in words:
        with wave.open(str(SOUNDS_DIR / f"{clip_name(word)}.wav"), "rb") as w:
            clips += w.getnframes() / w.getframerate()
    assert seconds == pytest.approx(clips + 0.06 * (len(words) - 1), abs=0.01)


def test_announcer_hands_bytes_over_and_never_raises(tmp_path: Path) -> None:
    played: list[bytes] = []
    WavFileAnnouncer(played.append).announce(CallAnnouncement("A023", 3))
    assert played and played[0][:4] == b"RIFF"

    def no_sound_device(_data: bytes) -> None:
        raise OSError("no audio device")

    WavFileAnnouncer(no_sound_device).announce(CallAnnouncement("A023", 3))  # silent, no exception
    WavFileAnnouncer(played.append, sounds_dir=tmp_path).announce(CallAnnouncement("A1", 1))  # no clips
    assert len(played) == 1
