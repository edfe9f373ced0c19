"""Announcements without sound hardware stay silent and never raise."""

from __future__ import annotations

from desk_app.devices.api import CallAnnouncement
from desk_app.devices.voice import WavFileAnnouncer
from ui.sound import QtWavPlayer


def test_announcement_plays_or_stays_silent(qtbot) -> None:  # type: ignore[no-untyped-def]
    player = QtWavPlayer()
    announcer = WavFileAnnouncer(player.play)
    with qtbot.waitSignal(player.finished, timeout=15_000):
        announcer.announce(CallAnnouncement("A023", 3))


def test_garbage_bytes_do_not_break_the_player(qtbot) -> None:  # type: ignore[no-untyped-def]
    player = QtWavPlayer()
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(b"not a wav file")
