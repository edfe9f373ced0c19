"""Regenerate the counter window screenshots in docs/screenshots/.

    .venv/bin/python tools/screenshots.py [--db PATH] [--out docs/screenshots] [--dossiers 400]

Without ``--db`` a fresh demo database (demo unit, catalogue, accounts and a
few hundred dossiers) is built in a temporary folder. Runs offscreen (no
display needed); under Xvfb set QT_QPA_PLATFORM=xcb to use the real platform.
Writes login.png and settings.png, and intake, list and detail at 1366×768 (intake.png, …)
and at 1280×720 (intake-1280x720.png, …).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Demo data is "relative to today": fix today so the screenshots do not change
# from one day to the next (and never land on a weekend or Tết by chance).
os.environ.setdefault("MOTCUA_FAKE_NOW", "2026-11-25T09:30:00+07:00")

# The counter window as it is maximised on the two common office screens: the screen
# less a 40-px taskbar and a 28-px title bar (grab() shows the client area only).
SIZES = [("", (1366, 768 - 68)), ("-1280x720", (1280, 720 - 68))]


def settle(qapp, seconds: float = 0.4) -> None:  # type: ignore[no-untyped-def]  # noqa: ARG001
    """Run the event loop for a while (workers report back meanwhile).

    Not ``processEvents()`` in a loop: in PySide6 6.12 every call drops one
    reference to ``None`` and a long loop ends in "deallocating None".
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def type_into(widget, text: str) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    for ch in text:
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--dossiers", type=int, default=400)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    from desk_app.bootstrap import open_station
    from desk_app.domain.lifecycle import Status
    from desk_app.services.demo import ensure_demo
    from desk_app.services.queries import DossierFilter
    from ui.app import has_dossiers
    from ui.form_printing import FormPrinter
    from ui.login import LoginDialog
    from ui.main_window import CounterWindow

    db = args.db or Path(tempfile.mkdtemp(prefix="motcua-shots-")) / "station.sqlite3"
    app = open_station(db)
    if not has_dossiers(app):
        ensure_demo(app, args.dossiers, quiet=True)
    args.out.mkdir(parents=True, exist_ok=True)
    FormPrinter.preview = lambda *_args: None  # type: ignore[method-assign]  # no modal previews here

    login = LoginDialog(
        app,
        "canbo1",
        "canbo123",
        "Dữ liệu mẫu – tài khoản: canbo1/canbo123, giamsat/giamsat123, admin/admin123",
    )
    login.show()
    settle(qapp)
    login.grab().save(str(args.out / "login.png"))
    login.close()

    account = app.accounts.authenticate("giamsat", "giamsat123")
    window = CounterWindow(app, account)
    window.resize(*SIZES[0][1])
    window.show()
    window.start()
    settle(qapp, 1.0)

    # intake: a procedure with a per-page fee, an applicant half typed with one mistake
    form = window.intake
    type_into(form.proc_search, "chung thuc ban sao")
    settle(qapp, 0.2)
    form.set_procedure(form.proc_list.currentItem().data(0x0100))
    type_into(form.full_name, "Trần Thị Bích Ngọc")
    type_into(form.id_number, "079185012345")
    form.birth_date.setText("02/09/1985")
    type_into(form.phone, "090812345")
    form._touch("phone")
    form.province.set_code("79")
    form._province_changed("79")
    form.copies.setValue(2)
    form.pages.setValue(4)
    form.mark_all_received()
    form.proc_search.setFocus()
    # detail: an open dossier that went through a supplement round, so that actions show
    rows = (
        app.queries.page(DossierFilter(statuses=[Status.SUPPLEMENTED.value]), 5)
        or app.queries.page(DossierFilter(statuses=[Status.TRANSFERRED.value]), 5)
        or app.queries.page(DossierFilter(), 1)
    )
    written = []
    for suffix, size in SIZES:
        window.resize(*size)
        window.show_intake()
        settle(qapp, 0.4)
        for name, show in (
            ("intake", window.show_intake),
            ("list", window.show_find),
            ("detail", lambda: window.open_dossier(rows[0].code)),
        ):
            show()
            settle(qapp, 1.0)
            path = args.out / f"{name}{suffix}.png"
            window.grab().save(str(path))
            written.append(path)
    window.resize(*SIZES[0][1])
    settle(qapp, 0.3)

    window.open_settings()
    settle(qapp, 0.5)
    window.settings_dialog.tabs.setCurrentIndex(2)
    settle(qapp, 0.2)
    window.settings_dialog.grab().save(str(args.out / "settings.png"))
    window.settings_dialog.close()
    window.shutdown()
    window.close()
    app.close()
    for path in [args.out / "login.png", *written, args.out / "settings.png"]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
