"""Vietnamese for Qt's own dialogs (print preview, print, page setup, file dialog, standard buttons).

Qt ships no ``qtbase_vi``; if a Qt build has one it is loaded, and the program's
own ``resources/translations/qt_vi.qm`` (source ``qt_vi.ts``, compiled with
``pyside6-lrelease``) is installed on top of it, so the officer never meets an
English "Print Preview" or "Cancel".
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

log = logging.getLogger("motcua.ui")

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "resources" / "translations"


def install_qt_translations(app: QCoreApplication) -> list[str]:
    """Install the Vietnamese translators found; returns their names (in load order)."""
    loaded: list[str] = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name, directory in (("qtbase_vi", qt_dir), ("qt_vi", str(SHIPPED_DIR))):
        translator = QTranslator()
        if translator.load(name, directory) and app.installTranslator(translator):
            translator.setParent(app)  # kept alive as long as the application
            loaded.append(name)
    if not loaded:
        log.warning("no Vietnamese translation for Qt's dialogs found")
    return loaded
