"""The report rules stay pure so the central server can run them over its own copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = ["desk_app.reports." + m for m in ("facts", "indicators", "periods", "periodic", "rows")]
FORBIDDEN = ("desk_app.store", "desk_app.services", "sqlalchemy", "PySide6", "printing", "ui")

PROBE = """
import importlib, sys
for name in sys.argv[1].split(","):
    importlib.import_module(name)
forbidden = tuple(sys.argv[2].split(","))
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(forbidden)}))
"""


def test_rules_import_neither_the_store_nor_sqlalchemy_nor_qt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(PURE), ",".join(FORBIDDEN)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.strip() == "[]"
