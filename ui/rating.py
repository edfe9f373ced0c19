"""The rating screen: a small window facing the citizen (second screen, tablet or kiosk).

When the officer returns a result (or finishes a ticket), the counter calls
``ask_rating``: the window asks "Ông/bà có hài lòng…?" with three large buttons,
then optional reasons and a comment, and records a RATED event through
``app.ratings`` in a worker. It plays a short Vietnamese voice prompt when the
station has an audio output and stays silent otherwise. Without an answer it
gives up after ``timeout_s`` seconds and goes back to its idle "Cảm ơn" face:
nothing is recorded, nothing blocks the counter.

Signals (RatingWindow):
    rated(object): the RATED DossierEvent stored.
    timedOut(): the citizen did not answer in time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.lifecycle import RATING_REASONS, RatingLevel
from ui.workers import describe_error, run_op

log = logging.getLogger(__name__)

META_RATING_SCREEN = "settings.rating_screen"  # true: the counter asks for a rating after a return
META_RATING_VOICE = "settings.rating_voice"  # false: no spoken prompt (default: spoken when audio exists)
PROMPT_CLIP = Path(__file__).resolve().parent.parent / "resources" / "sounds" / "moiwf_ddanhs_gias.wav"
DEFAULT_TIMEOUT_S = 60
QUESTION = "Ông/bà có hài lòng với việc tiếp nhận, giải quyết hồ sơ?"
IDLE_TEXT = "Cảm ơn ông/bà đã đến làm thủ tục."
THANKS_TEXT = "Cảm ơn ông/bà đã đánh giá!"

_REASON_STYLE = "QCheckBox {font-size: 18px; padding: 4px} QCheckBox::indicator { width: 22px; height: 22px }"
_BUTTON_COLOURS = {
    RatingLevel.VERY_SATISFIED: "#1b5e20",
    RatingLevel.SATISFIED: "#2e7d32",
    RatingLevel.DISSATISFIED: "#b00020",
}


class RatingWindow(QWidget):
    rated = Signal(object)
    timedOut = Signal()

    def __init__(
        self, app: Any, *, source: str = "counter", timeout_s: int = DEFAULT_TIMEOUT_S, voice: bool = True
    ) -> None:
        super().__init__()
        self.app = app
        self.source = source
        self.voice = voice
        self.setWindowTitle("Đánh giá mức độ hài lòng")
        # It faces the citizen on another screen: never take the officer's keyboard focus.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setObjectName("rating_window")
        self.code = ""
        self.ticket_id = ""
        self.queue: Any = None
        self.level: RatingLevel | None = None
        self._player: Any = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(timeout_s * 1000)
        self.timer.timeout.connect(self._timed_out)

        self.stack = QStackedWidget(self)
        self.idle = QLabel(IDLE_TEXT)
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.idle.setWordWrap(True)
        self.idle.setStyleSheet("font-size: 28px;")

        ask = QWidget()
        ask_layout = QVBoxLayout(ask)
        self.question = QLabel(QUESTION)
        self.question.setWordWrap(True)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.question.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.subject = QLabel("")
        self.subject.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subject.setStyleSheet("font-size: 18px; color: #444;")
        ask_layout.addWidget(self.question)
        ask_layout.addWidget(self.subject)
        row = QHBoxLayout()
        self.buttons: dict[RatingLevel, QPushButton] = {}
        for level in RatingLevel:
            button = QPushButton(level.label)
            button.setMinimumSize(180, 120)
            button.setStyleSheet(
                f"font-size: 24px; font-weight: bold; color: white; background: {_BUTTON_COLOURS[level]};"
                "border-radius: 12px; padding: 12px;"
            )
            button.clicked.connect(lambda _c=False, lv=level: self.choose(lv))
            self.buttons[level] = button
            row.addWidget(button)
        ask_layout.addLayout(row)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        self.detail_title = QLabel("")
        self.detail_title.setStyleSheet("font-size: 22px; font-weight: bold;")
        detail_layout.addWidget(self.detail_title)
        hint = "font-size: 16px;"
        reasons_label = QLabel("Lý do (không bắt buộc):")
        reasons_label.setStyleSheet(hint)
        detail_layout.addWidget(reasons_label)
        self.reasons: dict[str, QCheckBox] = {}
        for reason in RATING_REASONS:
            box = QCheckBox(reason)
            box.setStyleSheet(_REASON_STYLE)
            self.reasons[reason] = box
            detail_layout.addWidget(box)
        comment_label = QLabel("Ý kiến khác (không bắt buộc):")
        comment_label.setStyleSheet(hint)
        detail_layout.addWidget(comment_label)
        self.comment = QPlainTextEdit()
        self.comment.setMaximumHeight(90)
        self.comment.textChanged.connect(self._touched)
        detail_layout.addWidget(self.comment)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020; font-size: 16px;")
        self.error.setWordWrap(True)
        detail_layout.addWidget(self.error)
        send_row = QHBoxLayout()
        self.back = QPushButton("Chọn lại")
        self.back.setMinimumHeight(60)
        self.back.setStyleSheet("font-size: 18px;")
        self.back.clicked.connect(lambda: self.stack.setCurrentIndex(1))
        self.send = QPushButton("Gửi đánh giá")
        self.send.setMinimumHeight(60)
        self.send.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.send.clicked.connect(self.submit)
        send_row.addWidget(self.back)
        send_row.addWidget(self.send)
        detail_layout.addLayout(send_row)

        self.stack.addWidget(self.idle)  # 0
        self.stack.addWidget(ask)  # 1
        self.stack.addWidget(detail)  # 2
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self.resize(800, 480)

    # ------------------------------------------------------------------ flow
    def ask(self, code: str, ticket_id: str = "", subject: str = "", queue: Any = None) -> None:
        """Ask about dossier ``code`` (already returned), or, without a code, about the visit
        of queue ticket ``ticket_id`` (recorded through ``queue``)."""
        self.code, self.ticket_id, self.level, self.queue = code, ticket_id, None, queue
        self.subject.setText(subject or (f"Hồ sơ {code}" if code else "Lượt phục vụ tại quầy"))
        for box in self.reasons.values():
            box.setChecked(False)
        self.comment.setPlainText("")
        self.error.setText("")
        self.send.setEnabled(True)
        self.stack.setCurrentIndex(1)
        self.timer.start()
        self.show()
        if self.voice:
            self._say_prompt()

    @property
    def asking(self) -> bool:
        return self.stack.currentIndex() in (1, 2)

    def choose(self, level: RatingLevel) -> None:
        self.level = level
        self.detail_title.setText(f"Ông/bà chọn: {level.label}")
        self.stack.setCurrentIndex(2)
        self.timer.start()  # a fresh timeout for the details

    def selected_reasons(self) -> list[str]:
        return [reason for reason, box in self.reasons.items() if box.isChecked()]

    def submit(self) -> None:
        if self.level is None or not (self.code or (self.ticket_id and self.queue is not None)):
            return
        self.timer.stop()
        self.send.setEnabled(False)
        level, code, reasons = self.level.value, self.code, self.selected_reasons()
        comment, source, ticket, queue = self.comment.toPlainText(), self.source, self.ticket_id, self.queue

        def record(app: Any = self.app) -> Any:
            if not code:
                return app.ratings.rate_visit(queue, ticket, level, reasons, comment, source=source)
            return app.ratings.rate(code, level, reasons, comment, source=source, ticket_id=ticket)

        run_op(record, self._done, self._failed, owner=self)

    def _done(self, event: Any) -> None:
        self.idle.setText(THANKS_TEXT)
        self.stack.setCurrentIndex(0)
        self.code = ""
        self.rated.emit(event)

    def _failed(self, exc: BaseException) -> None:
        self.send.setEnabled(True)
        self.error.setText(describe_error(exc))
        self.timer.start()

    def _touched(self) -> None:
        if self.asking:
            self.timer.start()  # typing keeps the window open

    def _timed_out(self) -> None:
        self.code, self.level = "", None
        self.idle.setText(IDLE_TEXT)
        self.stack.setCurrentIndex(0)
        self.timedOut.emit()

    def _say_prompt(self) -> None:
        if not PROMPT_CLIP.exists():
            return
        try:
            if self._player is None:
                from ui.sound import QtWavPlayer

                self._player = QtWavPlayer(self)
            self._player.play(PROMPT_CLIP.read_bytes())
        except Exception:  # noqa: BLE001 - a voice prompt is optional; the screen still asks
            log.warning("rating prompt could not be played", exc_info=True)


_window: RatingWindow | None = None


def rating_screen_enabled(app: Any) -> bool:
    with app.station.uow(write=False) as uow:
        return bool(uow.meta.get_json(META_RATING_SCREEN, False))


def _settings(app: Any) -> tuple[bool, bool]:
    """(ask for ratings, speak the prompt): the station has the "rating" role or the setting."""
    from desk_app.roles import load_device_settings

    with app.station.uow(write=False) as uow:
        screen = bool(uow.meta.get_json(META_RATING_SCREEN, False))
        voice = bool(uow.meta.get_json(META_RATING_VOICE, True))
    return screen or "rating" in load_device_settings(app).roles, voice


def rating_window(app: Any, voice: bool = True) -> RatingWindow:
    """The station's one rating window (created on first use)."""
    global _window
    if _window is None or _window.app is not app:
        _window = RatingWindow(app, voice=voice)
        screens = QGuiApplication.screens()
        if len(screens) > 1:  # the screen facing the citizen: the last one, not the officer's
            _window.setGeometry(screens[-1].availableGeometry())
    _window.voice = voice
    return _window


def ask_rating(app: Any, code: str, ticket_id: str = "", subject: str = "", queue: Any = None) -> None:
    """Hook for the counter: ask for a rating when the station has a rating screen.

    The setting is read in a worker (the GUI thread does no disk I/O); the window
    opens when the answer comes back.
    """

    def opened(settings: Any) -> None:
        enabled, voice = settings
        if enabled:
            rating_window(app, voice).ask(code, ticket_id, subject, queue)

    run_op(lambda: _settings(app), opened, lambda _exc: None)


def ask_after_ticket(app: Any, ticket: Any, queue: Any) -> None:
    """Hook for the calling panel: a finished ticket is rated on its dossier, else as a visit."""
    dossier_ids = list(getattr(ticket, "dossier_ids", None) or [])
    if dossier_ids:
        ask_rating(app, dossier_ids[-1], ticket.id)
    elif hasattr(queue, "rate"):
        ask_rating(app, "", ticket.id, queue=queue)


def close_rating_window() -> None:
    global _window
    if _window is not None:
        _window.timer.stop()
        _window.close()
        _window.deleteLater()
        _window = None
