"""Code 128 and QR flowables, each drawn as ONE filled vector path.

reportlab's own widgets emit one ``rect`` operator per bar / module and build a
drawing tree; a single path keeps the PDF small and the render fast (a QR of
version 4 has ~1,300 dark modules). Horizontal runs of dark modules are merged
into one rectangle, which also avoids hairline seams between modules when a
printer driver rasterises the page.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.constants
from reportlab.graphics.barcode.code128 import Code128Auto
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from printing.fonts import SANS, nfc, register_fonts


@lru_cache(maxsize=256)
def code128_bars(value: str) -> tuple[tuple[tuple[int, int], ...], int]:
    """Bars of ``value`` as ((start module, width in modules), ...) and the total modules."""
    symbol = Code128Auto(value, quiet=0)
    symbol.validate()
    symbol.encode()
    decomposed = symbol.decompose()
    bars: list[tuple[int, int]] = []
    left = 0
    for ch in decomposed:
        if "a" <= ch <= "z":
            left += ord(ch) - ord("a") + 1
        elif "A" <= ch <= "Z":
            width = ord(ch) - ord("A") + 1
            bars.append((left, width))
            left += width
    return tuple(bars), left


@lru_cache(maxsize=256)
def qr_runs(data: str) -> tuple[tuple[tuple[int, int, int], ...], int]:
    """Dark runs of the QR matrix as ((row, first col, length), ...) and the module count."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, box_size=1)
    qr.add_data(data.encode("utf-8"))
    qr.make(fit=True)
    matrix = qr.get_matrix()
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        c = 0
        n = len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return tuple(runs), len(matrix)


class Code128Flowable(Flowable):
    """A Code 128 symbol with its human-readable text centred underneath.

    ``module`` is the narrowest bar width; 0.25 mm reads reliably on 600 dpi
    laser prints and on 200 dpi scans. Quiet zones (10 modules) are kept blank.
    """

    def __init__(
        self,
        value: str,
        module: float = 0.26 * mm,
        bar_height: float = 9 * mm,
        font_size: float = 8.5,
        show_text: bool = True,
    ) -> None:
        super().__init__()
        self.value = value
        self.module = module
        self.bar_height = bar_height
        self.font_size = font_size
        self.show_text = show_text
        self._bars, self._modules = code128_bars(value)
        self.quiet = 10 * module
        self.width = self._modules * module + 2 * self.quiet
        self.text_height = font_size * 1.25 if show_text else 0.0
        self.height = bar_height + self.text_height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: ARG002, N803 (reportlab API)
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        m = self.module
        y0 = self.text_height
        path = canv.beginPath()
        for start, width in self._bars:
            path.rect(self.quiet + start * m, y0, width * m, self.bar_height)
        canv.saveState()
        canv.setFillColorRGB(0, 0, 0)
        canv.drawPath(path, stroke=0, fill=1)
        if self.show_text:
            register_fonts()
            canv.setFont(SANS, self.font_size)
            canv.drawCentredString(self.width / 2, self.font_size * 0.3, nfc(self.value))
        canv.restoreState()


class QRFlowable(Flowable):
    """A QR code (error correction M, UTF-8 bytes) of ``size`` points including a 4-module quiet zone."""

    def __init__(self, data: str, size: float = 24 * mm) -> None:
        super().__init__()
        self.data = data
        self._runs, self._count = qr_runs(data)
        self.size = size
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: ARG002, N803 (reportlab API)
        return self.size, self.size

    def draw(self) -> None:
        canv = self.canv
        module = self.size / (self._count + 8)
        top = self.size - 4 * module
        left = 4 * module
        path = canv.beginPath()
        for row, col, length in self._runs:
            path.rect(left + col * module, top - (row + 1) * module, length * module, module)
        canv.saveState()
        canv.setFillColorRGB(0, 0, 0)
        canv.drawPath(path, stroke=0, fill=1)
        canv.restoreState()
