"""Start-up stays lean: what the first screen does not need is not imported before it is usable.

The child process starts the counter window the way ``ui.app.main`` and
``bench/bench_ui.py`` do (offscreen): ``start_gui``, the core, the window shown
and started, then it waits for the first list page, the moment the benchmark
calls "usable". What is in ``sys.modules`` then is what start-up paid for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers.fakes import birth_request, child_pythonpath

ROOT = Path(__file__).resolve().parents[2]

#: Imported only by what the first screen does not show: charts and report rules (Thống kê tab),
#: PDF and Excel exports, the notice channels (e-mail, SMS, Zalo), the sync client and the
#: server's wire schema, attachments and signing, migrations (checked by reading the version
#: table), sound, printing.
DEFERRED = (
    "PySide6.QtCharts",
    "PySide6.QtMultimedia",
    "PySide6.QtPrintSupport",
    "reportlab",
    "openpyxl",
    "alembic",
    "httpx",
    "smtplib",
    "pydantic",
    "printing",
    "desk_app.reports",
    "desk_app.domain.wire",
    "desk_app.notices.channels",
    "desk_app.sync",
    "desk_app.attachments",
    "ui.statistics",
    "ui.attachments",
    "ui.print_bridge",
    "ui.sound",
)

CHILD = """
import json, sys
from PySide6.QtCore import QEventLoop, QTimer
from ui.app import start_gui

qapp = start_gui()
from desk_app.bootstrap import open_station
from ui.main_window import CounterWindow

app = open_station(sys.argv[1])
account = next(a for a in app.accounts.list() if a.username == "canbo1")
window = CounterWindow(app, account)
window.show()
window.start()
if not window.find.model.rows:
    loop = QEventLoop()
    window.find.model.pageLoaded.connect(loop.quit)
    QTimer.singleShot(20_000, loop.quit)
    loop.exec()
usable = {
    "visible": window.isVisible(),
    "enabled": window.isEnabled(),
    "rows": len(window.find.model.rows),
    "scanner": window.scanner_installed,
    # a snapshot: Qt worker threads may be importing meanwhile
    "loaded": sorted(m for m in list(sys.modules)
                     if m.split(".")[0] in ("PySide6", "desk_app", "ui", "printing") or "." not in m),
}
window.shutdown()
app.close()
print("USABLE " + json.dumps(usable))
"""


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_counter_window_is_usable_without_the_deferred_modules(app: Any) -> None:
    app.intake.receive("canbo1", birth_request())  # the list's first page is not empty
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=child_pythonpath(ROOT),
        MOTCUA_DATA_DIR=str(app.db.path.parent),
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(app.db.path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("USABLE ")), None)
    assert line is not None, out.stderr[-3000:]
    usable = json.loads(line[len("USABLE ") :])
    # Usable as before: shown, taking input, the list's first page there, the scanner listening.
    assert usable["visible"] and usable["enabled"] and usable["rows"] == 1 and usable["scanner"]
    assert [name for name in DEFERRED if _loaded(usable["loaded"], name)] == []


def test_statistics_tab_is_built_when_first_opened(window: Any, qtbot: Any) -> None:
    assert window.statistics is None
    window.tabs.setCurrentWidget(window.statistics_scroll)
    assert window.statistics is not None and window.statistics_scroll.widget() is window.statistics
    # Its first show reads the choices and computes the current period, as before.
    qtbot.waitUntil(
        lambda: window.statistics.report is not None and not window.statistics.busy, timeout=10_000
    )
    built = window.statistics
    window.show_find()
    window.tabs.setCurrentWidget(window.statistics_scroll)
    assert window.statistics is built  # built once
