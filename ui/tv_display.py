"""TV display (second screen): now serving per counter, the last calls, the new call flashing.

Polls the queue (``status`` + ``recent_calls``) in a worker every ``poll_ms``.
Calls newer than the last one seen are announced through the ``Announcer`` (and
shown on a ``DisplayBoard``) if given, one at a time on a private single-thread
pool so a spoken call never blocks the screen or overlaps the next one. Calls
that happened before the window opened are shown but not spoken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QRunnable, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from desk_app.devices.api import Announcer, CallAnnouncement, DisplayBoard
from desk_app.queue.models import CallRecord, QueueStatus, QueueUnavailable
from ui.workers import run_op

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
BG = "#0a1f44"
PANEL = "#12306b"
ACCENT = "#ffd54f"
STYLE = f"""
#tv {{ background: {BG}; }}
#tv QLabel {{ color: white; }}
#tv QFrame#panel {{ background: {PANEL}; border-radius: 14px; }}
"""


class _Announce(QRunnable):
    def __init__(self, call: CallAnnouncement, announcer: Announcer | None, board: DisplayBoard | None):
        super().__init__()
        self.call, self.announcer, self.board = call, announcer, board

    def run(self) -> None:
        # Devices must not break the display: their faults are theirs to log.
        for fn in (
            self.board.show_call if self.board else None,
            self.announcer.announce if self.announcer else None,
        ):
            if fn is not None:
                try:
                    fn(self.call)
                except Exception:  # noqa: BLE001
                    import logging

                    logging.getLogger(__name__).exception("announcement failed")


DESIGN_SIZE = (1920, 1080)  # sizes below are for a full-HD screen and scale with the window


def _style(lab: QLabel, size: int, bold: bool, color: str) -> None:
    # Top padding: stacked Vietnamese capitals (Ố, Ầ) rise above the font's ascent and
    # would be clipped by a tight label.
    lab.setStyleSheet(
        f"font-size:{size}px; color:{color}; padding-top:{max(2, size // 5)}px;"
        f"{'font-weight:bold;' if bold else ''}"
    )


def _label(
    text: str,
    size: int,
    bold: bool = False,
    color: str = "white",
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> QLabel:
    lab = QLabel(text)
    _style(lab, size, bold, color)
    lab.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    return lab


def scale_for(width: int, height: int) -> float:
    """How much to scale the full-HD design for a window of this size (1280×720 → ⅔, 4K → 2)."""
    return max(0.4, min(width / DESIGN_SIZE[0], height / DESIGN_SIZE[1]))


class TvDisplayWindow(QWidget):
    """The waiting-room screen (no signals; read-only)."""

    def __init__(
        self,
        client: Any,
        announcer: Announcer | None = None,
        *,
        board: DisplayBoard | None = None,
        poll_ms: int = 1000,
        recent_n: int = 8,
        title: str = "",
        flash_ms: int = 6000,
        clock: Any = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.client = client
        self.announcer = announcer
        self.board = board
        self.recent_n = recent_n
        self.pool = pool
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone(dt.timedelta(hours=7))))
        self.last_seq: int | None = None  # None until the first poll: old calls are not spoken
        self.announced: list[CallAnnouncement] = []
        self._polling = False
        self._flash_left = 0
        self._voice = QThreadPool(self)
        self._voice.setMaxThreadCount(1)
        self.setObjectName("tv")
        self.setWindowTitle("Màn hình gọi số")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.scale = 1.0
        self._scaled: list[tuple[QLabel, int, bool, str]] = []  # fixed labels: (label, size, bold, colour)
        self._last: tuple[QueueStatus, list[CallRecord]] | None = None
        self._highlight_on = False
        self._build(title)
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self.poll)
        self._flash_timer = QTimer(self, interval=500)
        self._flash_timer.timeout.connect(self._flash_step)
        self._flash_total = max(flash_ms // 500, 1)
        self._clock_timer = QTimer(self, interval=1000)
        self._clock_timer.timeout.connect(self._tick)
        self._clock_timer.start()
        self._tick()
        if poll_ms > 0:
            self._timer.start()
        self._load_title(title)
        self.poll()

    # ------------------------------------------------------------------ layout
    def px(self, size: int) -> int:
        """A design size (pixels on a full-HD screen) at the current scale."""
        return max(9, round(size * self.scale))

    def _fixed(self, text: str, size: int, bold: bool = False, color: str = "white", **kw: Any) -> QLabel:
        lab = _label(text, self.px(size), bold, color, **kw)
        self._scaled.append((lab, size, bold, color))
        return lab

    def _build(self, title: str) -> None:
        root = QVBoxLayout(self)
        # Any window size: the content scales in resizeEvent, so the layout must not pin the
        # window to the full-HD minimum (it was 1767×814, cut off on a 1280×720 TV).
        root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.root = root
        top = QHBoxLayout()
        self.title = self._fixed(title or "Bộ phận Một cửa", 40, True)
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.clock_label = self._fixed("", 32, True, ACCENT, align=Qt.AlignmentFlag.AlignRight)
        top.addWidget(self.clock_label)
        root.addLayout(top)

        self.highlight = QFrame(objectName="highlight")
        hl = QVBoxLayout(self.highlight)
        self.highlight_text = _label(
            "Xin mời công dân chú ý nghe gọi số", 54, True, "white", Qt.AlignmentFlag.AlignCenter
        )
        self.highlight_text.setObjectName("highlight_text")
        self.highlight_text.setWordWrap(True)
        hl.addWidget(self.highlight_text)
        self._set_highlight_colors(False)
        root.addWidget(self.highlight)

        body = QHBoxLayout()
        self.body = body
        left = QFrame(objectName="panel")
        ll = QVBoxLayout(left)
        self.serving_title = self._fixed("ĐANG PHỤC VỤ", 30, True, ACCENT)
        ll.addWidget(self.serving_title)
        self.counter_grid = QGridLayout()
        self.counter_grid.setVerticalSpacing(10)
        ll.addLayout(self.counter_grid)
        ll.addStretch(1)
        body.addWidget(left, 3)
        right = QFrame(objectName="panel")
        rl = QVBoxLayout(right)
        self.recent_title = self._fixed("SỐ VỪA GỌI", 30, True, ACCENT)
        rl.addWidget(self.recent_title)
        self.recent_grid = QGridLayout()
        self.recent_grid.setVerticalSpacing(6)
        rl.addLayout(self.recent_grid)
        rl.addStretch(1)
        body.addWidget(right, 2)
        root.addLayout(body, 1)

        self.footer = _label(
            "Công dân vui lòng giữ phiếu số thứ tự và theo dõi màn hình, loa gọi số.",
            24,
            False,
            "#cfd8dc",
            Qt.AlignmentFlag.AlignCenter,
        )
        self.footer.setObjectName("footer")
        self.footer.setWordWrap(True)
        root.addWidget(self.footer)
        self._footer_error = False
        self._apply_scale()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        scale = scale_for(self.width(), self.height())
        if abs(scale - self.scale) > 0.02:
            self.scale = scale
            self._apply_scale()

    def _apply_scale(self) -> None:
        """Restyle every label for the current scale and refill the grids."""
        px = self.px
        self.root.setContentsMargins(px(36), px(24), px(36), px(24))
        self.root.setSpacing(px(18))
        self.body.setSpacing(px(18))
        self.highlight.setMinimumHeight(px(150))
        for lab, size, bold, color in self._scaled:
            _style(lab, px(size), bold, color)
        self._set_highlight_colors(self._highlight_on)
        self._style_footer()
        if self._last is not None:
            self._fill_counters(self._last[0])
            self._fill_recent(self._last[1])

    def _style_footer(self) -> None:
        if self._footer_error:
            self.footer.setStyleSheet(
                f"font-size:{self.px(24)}px; color:white; background:#b00020; border-radius:8px;padding:6px;"
            )
        else:
            self.footer.setStyleSheet(f"font-size:{self.px(24)}px; color:#cfd8dc;")

    def _set_highlight_colors(self, on: bool) -> None:
        self._highlight_on = on
        bg, fg = (ACCENT, BG) if on else ("#1b4aa0", "white")
        self.highlight.setStyleSheet(f"#highlight {{ background:{bg}; border-radius:{self.px(16)}px; }}")
        self.highlight_text.setStyleSheet(
            f"font-size:{self.px(64)}px; font-weight:bold; color:{fg}; padding-top:{self.px(12)}px;"
        )

    def _load_title(self, title: str) -> None:
        if title:
            return
        run_op(
            self.client.config,
            lambda cfg: self.title.setText(cfg.office_name),
            lambda _exc: None,
            owner=self,
            pool=self.pool,
        )

    def _tick(self) -> None:
        now = self.clock()
        self.clock_label.setText(f"{now:%H:%M}  {WEEKDAYS[now.weekday()]}, {now:%d/%m/%Y}")

    # ------------------------------------------------------------------ polling
    def poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        client, n = self.client, self.recent_n

        def work() -> tuple[QueueStatus, list[CallRecord]]:
            return client.status(), client.recent_calls(n)

        run_op(work, self._show, self._failed, owner=self, pool=self.pool)

    def _failed(self, exc: BaseException) -> None:
        self._polling = False
        if isinstance(exc, QueueUnavailable):
            self.footer.setText("Mất kết nối máy chủ xếp hàng — đang thử kết nối lại…")
            self._footer_error = True
            self._style_footer()

    def _show(self, result: tuple[QueueStatus, list[CallRecord]]) -> None:
        self._polling = False
        status, calls = result
        self.footer.setText("Công dân vui lòng giữ phiếu số thứ tự và theo dõi màn hình, loa gọi số.")
        self._footer_error = False
        self._style_footer()
        self._last = (status, calls)
        self._fill_counters(status)
        self._fill_recent(calls)
        newest = calls[0] if calls else None
        if self.last_seq is None:  # first look: show, do not speak history
            self.last_seq = newest.seq if newest else 0
            if newest:
                self.highlight_text.setText(self._call_text(newest))
            return
        fresh = [c for c in reversed(calls) if c.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = fresh[-1].seq
        self.highlight_text.setText(self._call_text(fresh[-1]))
        self._flash_left = self._flash_total
        self._flash_timer.start()
        self._set_highlight_colors(True)
        for c in fresh:
            call = CallAnnouncement(c.label, c.counter_no, c.service_name)
            self.announced.append(call)
            if self.announcer is not None or self.board is not None:
                self._voice.start(_Announce(call, self.announcer, self.board))

    @staticmethod
    def _call_text(c: CallRecord) -> str:
        return f"Mời số {c.label}  →  Quầy {c.counter_no}"

    def _flash_step(self) -> None:
        self._flash_left -= 1
        self._set_highlight_colors(self._flash_left > 0 and self._flash_left % 2 == 0)
        if self._flash_left <= 0:
            self._flash_timer.stop()
            self._set_highlight_colors(False)

    def _clear(self, grid: QGridLayout) -> None:
        while grid.count():
            item = grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    def _fill_counters(self, status: QueueStatus) -> None:
        self._clear(self.counter_grid)
        n = max(len(status.counters), 1)
        big = max(36, min(84, 560 // n // 2))  # fit 4–10 counters on a 1080p screen
        px = self.px
        self.counter_grid.setVerticalSpacing(px(10))
        for row, c in enumerate(status.counters):
            self.counter_grid.addWidget(_label(c.name.upper(), px(big * 3 // 5), True), row, 0)
            self.counter_grid.addWidget(
                _label(
                    c.label or "—",
                    px(big),
                    True,
                    ACCENT if c.label else "#90a4ae",
                    Qt.AlignmentFlag.AlignCenter,
                ),
                row,
                1,
            )
            state = {"called": "Mời vào", "recalled": "Gọi lại", "serving": "Đang phục vụ"}.get(c.state, "")
            self.counter_grid.addWidget(_label(state, px(big * 2 // 5), False, "#cfd8dc"), row, 2)
        self.counter_grid.setColumnStretch(0, 3)
        self.counter_grid.setColumnStretch(1, 3)
        self.counter_grid.setColumnStretch(2, 3)

    def _fill_recent(self, calls: list[CallRecord]) -> None:
        self._clear(self.recent_grid)
        px = self.px
        self.recent_grid.setVerticalSpacing(px(6))
        for row, c in enumerate(calls):
            color = ACCENT if row == 0 else "white"
            self.recent_grid.addWidget(_label(c.label, px(50 if row == 0 else 40), True, color), row, 0)
            self.recent_grid.addWidget(
                _label(f"Quầy {c.counter_no}", px(42 if row == 0 else 36), row == 0, color), row, 1
            )
            self.recent_grid.addWidget(
                _label(c.at[11:16], px(30), False, "#cfd8dc", Qt.AlignmentFlag.AlignRight), row, 2
            )

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        self._flash_timer.stop()
        self._clock_timer.stop()
        self._voice.waitForDone(3000)
        super().closeEvent(event)
