"""Structure rules: the core, printing and the server never need a screen."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_WIDGETS = re.compile(
    r"^\s*(from|import)\s+PySide6(\.(QtWidgets|QtGui|QtPrintSupport|QtMultimedia))?\b", re.M
)


def test_no_qt_imports_outside_ui() -> None:
    offenders = []
    for package in ("desk_app", "printing", "central"):
        for path in (ROOT / package).rglob("*.py"):
            if QT_WIDGETS.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_core_imports_without_pyside() -> None:
    code = (
        "import sys, desk_app.cli, desk_app.bootstrap, desk_app.services.workflow, printing;"
        "print([m for m in sys.modules if m.startswith('PySide6')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_user_facing_sources_are_nfc() -> None:
    import unicodedata

    bad = []
    for package in ("desk_app", "ui", "printing", "central"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if not unicodedata.is_normalized("NFC", text):
                bad.append(str(path.relative_to(ROOT)))
    assert bad == []
