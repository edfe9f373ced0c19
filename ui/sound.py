"""Play announcement WAVs with QtMultimedia; silent (never failing) without a sound device.

``QtWavPlayer.play`` is the callback ``desk_app.devices.voice.WavFileAnnouncer``
expects. Calls queue up so two announcements never talk over each other.
"""

from __future__ import annotations

import logging
from collections import deque

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal, Slot

log = logging.getLogger(__name__)


class QtWavPlayer(QObject):
    """Plays WAV bytes one after another on the default audio output.

    Signals:
        finished: one clip finished (or was skipped because there is no output).
    """

    finished = Signal()
    _enqueue = Signal(bytes)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: deque[bytes] = deque()
        self._player = None
        self._audio = None
        self._buffer: QBuffer | None = None
        self._busy = False
        self.available = False
        self._enqueue.connect(self._on_enqueue)  # play() may be called from worker threads
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

            if not QMediaDevices.audioOutputs():
                log.info("no audio output device: announcements stay silent")
                return
            self._audio = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._audio)
            self._player.mediaStatusChanged.connect(self._on_status)
            self._player.errorOccurred.connect(self._on_error)
            self.available = True
        except Exception:  # noqa: BLE001 - missing libpulse / backend: stay silent
            log.warning("QtMultimedia unavailable: announcements stay silent", exc_info=True)

    def play(self, wav: bytes) -> None:
        self._enqueue.emit(bytes(wav))

    @Slot(bytes)
    def _on_enqueue(self, wav: bytes) -> None:
        if not self.available:
            self.finished.emit()
            return
        self._queue.append(wav)
        if not self._busy:
            self._next()

    def _next(self) -> None:
        if not self._queue or self._player is None:
            self._busy = False
            return
        self._busy = True
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(self._queue.popleft()))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._player.setSourceDevice(self._buffer)
        self._player.play()

    def _on_status(self, status: object) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia):
            self.finished.emit()
            self._next()

    def _on_error(self, *_args: object) -> None:
        log.warning("audio playback failed: %s", self._player.errorString() if self._player else "")
        self.finished.emit()
        self._next()
