"""Qt side of printing: preview, direct printing and "save as PDF" of the PDFs from ``printing``.

The PDF made by reportlab is the single source: the preview, the system printer
and the saved file all show the same bytes. Pages reach a ``QPrinter`` by
rendering each PDF page with QtPdf (``QPdfDocument.render``) to an image at the
printer's resolution (capped, 300 dpi by default) and drawing it on the page.

Threads (what runs where, and why it is allowed):
    * Rendering the form (``printing.render_form`` / ``render_logbook``) is pure
      Python and runs in a ``QThreadPool`` worker.
    * Direct printing also runs in that worker: the ``QPrinter`` is created,
      painted and destroyed in the worker thread. Qt documents QPainter on
      QImage, QPrinter and QPicture as usable outside the GUI thread (only
      QWidget/QPixmap painting is GUI-thread-only). ``QPdfDocument`` is created
      and used in that same thread; QtPdf serialises its PDFium calls with a
      global lock. Pass ``threaded=False`` to ``PrintBridge`` to paint on the
      GUI thread instead if a vendor driver misbehaves off the main thread.
    * The preview dialog is a widget, so it lives on the GUI thread: the bytes
      are produced in the worker, then the dialog opens and its
      ``paintRequested`` handler paints on the GUI thread.
    * Results come back as signals emitted from the worker; the bridge lives in
      the GUI thread, so Qt queues them there (the ``CollectionOp`` pattern).

Files: the preview and the printer read the PDF from memory, so nothing is
left in the system temp folder. Errors: an environment fault (printer missing,
offline, out of paper, driver refusing the job) becomes ``PrintError`` with a
Vietnamese message; the PDF is then kept in the officer's documents folder
(``MotCua`` under ``platformdirs.user_documents_dir()``) and that path is part of
the message, so the counter can print it from another machine.

"Lưu PDF…" opens Qt's own file dialog with Vietnamese labels in the documents
folder, with a readable ASCII file name (``Mau01-<mã hồ sơ>.pdf``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import platformdirs
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QObject,
    QPointF,
    QRectF,
    QRunnable,
    QSize,
    QSizeF,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QWidget

log = logging.getLogger("motcua.print")

DEFAULT_DPI = 300
KEPT_SUBDIR = "MotCua"

PrinterFactory = Callable[[str], QPrinter]


class PrintError(Exception):
    """An environment fault while printing; ``message`` is for the counter officer (Vietnamese)."""

    def __init__(self, message: str, pdf_path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pdf_path = pdf_path

    def with_path(self, pdf_path: Path) -> PrintError:
        return PrintError(f"{self.message}\nBản PDF đã được lưu tại: {pdf_path}", pdf_path)


# ---------------------------------------------------------------- files
def documents_dir() -> Path:
    """The officer's documents folder (e.g. ~/Documents, or ``Tài liệu`` on a Vietnamese desktop)."""
    return Path(platformdirs.user_documents_dir())


def safe_file_name(name: str) -> str:
    """ASCII but readable: 'Sổ theo dõi – 01/11' -> 'So-theo-doi-01-11'."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in text if not unicodedata.combining(ch))
    safe = re.sub(r"[^0-9A-Za-z._-]+", "-", plain).strip("-.")
    return safe or "ban-in"


def keep_pdf(pdf: bytes, name: str = "ban-in") -> Path:
    """Keep a PDF that could not be printed in the documents folder; returns the path."""
    folder = documents_dir() / KEPT_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_file_name(name)}-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"
    path.write_bytes(pdf)
    return path


def save_pdf(pdf: bytes, path: str | Path) -> Path:
    """Write the PDF to ``path``; raise ``PrintError`` with a clear message on failure."""
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")
    try:
        target.write_bytes(pdf)
    except OSError as exc:
        raise PrintError(f"Không lưu được tệp PDF “{target}”: {exc.strerror or exc}.") from exc
    return target


# ---------------------------------------------------------------- painting
PdfData = bytes | Path


def _load(pdf: PdfData) -> QPdfDocument:
    """A QtPdf document from a file or from memory (no temporary file)."""
    doc = QPdfDocument()
    if isinstance(pdf, Path):
        error = doc.load(str(pdf))
    else:
        buffer = QBuffer(doc)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        doc.load(buffer)
        error = doc.error()
    if error != QPdfDocument.Error.None_ or doc.pageCount() == 0:
        raise PrintError(f"Không đọc được tệp PDF để in (lỗi {error.name}).")
    return doc


def configure_printer(printer: QPrinter, page_size_pt: QSizeF) -> None:
    """Paper size and orientation from the PDF's first page; full page (the PDF has its own margins)."""
    w, h = page_size_pt.width(), page_size_pt.height()
    portrait = QSizeF(min(w, h), max(w, h))
    size = QPageSize(portrait, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    orientation = QPageLayout.Orientation.Landscape if w > h else QPageLayout.Orientation.Portrait
    printer.setFullPage(True)
    printer.setPageLayout(QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0)))


def paint_pdf(pdf: PdfData, printer: QPrinter, dpi: int = DEFAULT_DPI, configure: bool = True) -> int:
    """Paint every page of the PDF (bytes or file) onto ``printer``; return the number of pages.

    Call from one thread only (the one that owns ``printer``). Raises ``PrintError``.
    """
    doc = _load(pdf)
    try:
        if configure:
            configure_printer(printer, doc.pagePointSize(0))
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError(
                "Không mở được máy in: máy in đang tắt, mất kết nối hoặc trình điều khiển từ chối lệnh in."
            )
        try:
            res = min(printer.resolution(), dpi)
            options = QPdfDocumentRenderOptions()
            for i in range(doc.pageCount()):
                if i and not printer.newPage():
                    raise PrintError("Máy in báo lỗi khi sang trang mới (hết giấy hoặc kẹt giấy?).")
                pt = doc.pagePointSize(i)
                image = doc.render(
                    i, QSize(round(pt.width() * res / 72), round(pt.height() * res / 72)), options
                )
                if image.isNull():
                    raise PrintError(f"Không dựng được hình trang {i + 1} để in.")
                target = printer.paperRect(QPrinter.Unit.DevicePixel)
                # keep the aspect ratio; centre on the paper
                scale = min(target.width() / pt.width(), target.height() / pt.height())
                w, h = pt.width() * scale, pt.height() * scale
                origin = QPointF(
                    target.x() + (target.width() - w) / 2, target.y() + (target.height() - h) / 2
                )
                painter.drawImage(QRectF(origin, QSizeF(w, h)), image)
        finally:
            painter.end()
        if printer.printerState() == QPrinter.PrinterState.Error:
            raise PrintError("Máy in báo lỗi trong khi in. Kiểm tra giấy, mực và kết nối của máy in.")
        return doc.pageCount()
    finally:
        doc.close()


def system_printer(printer_name: str) -> QPrinter:
    """A ``QPrinter`` for the named system printer ('' = default); ``PrintError`` if none is found."""
    info = QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        if printer_name:
            raise PrintError(
                f"Không tìm thấy máy in “{printer_name}”. Kiểm tra máy in đã bật, đã cắm cáp "
                "và tên máy in trong phần Cài đặt."
            )
        raise PrintError("Máy tính chưa có máy in mặc định. Hãy chọn máy in trong phần Cài đặt.")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    if not printer.isValid():
        raise PrintError(f"Máy in “{info.printerName()}” không sẵn sàng.")
    return printer


def print_pdf(
    pdf: bytes,
    printer_name: str = "",
    job_name: str = "MotCua",
    printer_factory: PrinterFactory = system_printer,
    dpi: int = DEFAULT_DPI,
) -> int:
    """Print the PDF bytes synchronously in the calling thread; return the page count.

    On failure the PDF is kept in the documents folder and the raised
    ``PrintError`` names that file.
    """
    try:
        printer = printer_factory(printer_name)
        printer.setDocName(job_name)
        pages = paint_pdf(pdf, printer, dpi=dpi)
    except PrintError as exc:
        log.warning("print failed (%s): %s", printer_name or "default", exc.message)
        raise exc.with_path(keep_pdf(pdf, job_name)) from exc
    log.info("printed %d page(s) of %s on %s", pages, job_name, printer_name or "default printer")
    return pages


# ---------------------------------------------------------------- worker
class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 (reported on the GUI thread, never lost)
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


PdfSource = bytes | Callable[[], bytes]


class PrintBridge(QObject):
    """Preview / print / save PDFs for the desk UI, without blocking the GUI thread.

    Signals:
        printed(str, int): job name, page count — the job reached the printer.
        failed(str, str): Vietnamese message, path of the saved PDF ('' if none).
        rendered(bytes): PDF bytes produced by a worker (preview / save).
        saved(str): path of a PDF saved from the "Lưu PDF…" dialog.
    """

    printed = Signal(str, int)
    failed = Signal(str, str)
    rendered = Signal(bytes)
    saved = Signal(str)

    def __init__(
        self,
        printer_name: str = "",
        parent: QObject | None = None,
        *,
        printer_factory: PrinterFactory = system_printer,
        threaded: bool = True,
        pool: QThreadPool | None = None,
        dpi: int = DEFAULT_DPI,
    ) -> None:
        super().__init__(parent)
        self.printer_name = printer_name
        self.printer_factory = printer_factory
        self.threaded = threaded
        self.pool = pool or QThreadPool.globalInstance()
        self.dpi = dpi
        self._relays: set[_Relay] = set()

    # -- plumbing
    def _run(
        self,
        fn: Callable[[], object],
        on_done: Callable[[object], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        if not self.threaded:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 (same reporting as the threaded path)
                on_error(exc)
            else:
                on_done(result)
            return
        relay = _Relay()  # created here, so it lives in (and delivers to) the GUI thread
        self._relays.add(relay)

        def done(result: object) -> None:
            self._relays.discard(relay)
            on_done(result)

        def failed(exc: object) -> None:
            self._relays.discard(relay)
            on_error(exc if isinstance(exc, BaseException) else RuntimeError(str(exc)))

        relay.done.connect(done)
        relay.failed.connect(failed)
        self.pool.start(_Job(fn, relay))

    def _report(self, exc: BaseException, job_name: str, pdf: bytes | None = None) -> None:
        if isinstance(exc, PrintError):
            path = exc.pdf_path
            self.failed.emit(exc.message, str(path) if path else "")
            return
        log.exception("printing bug in %s", job_name, exc_info=exc)
        path = keep_pdf(pdf, job_name) if pdf else None
        message = "Lỗi khi tạo bản in. Vui lòng thử lại hoặc báo quản trị."
        if path:
            message += f"\nBản PDF đã được lưu tại: {path}"
        self.failed.emit(message, str(path) if path else "")

    # -- public API
    def print_document(self, source: PdfSource, job_name: str = "MotCua") -> None:
        """Render (if ``source`` is a callable) and print on ``printer_name`` off the GUI thread."""

        def work() -> int:
            pdf = source() if callable(source) else source
            return print_pdf(pdf, self.printer_name, job_name, self.printer_factory, self.dpi)

        self._run(
            work,
            lambda pages: self.printed.emit(job_name, int(pages)),  # type: ignore[call-overload]
            lambda exc: self._report(exc, job_name, source if isinstance(source, bytes) else None),
        )

    def render(self, source: Callable[[], bytes], job_name: str = "MotCua") -> None:
        """Render in a worker; ``rendered`` carries the bytes (e.g. before ``preview``/``save_as``)."""
        self._run(source, lambda pdf: self.rendered.emit(pdf), lambda exc: self._report(exc, job_name))

    def preview_dialog(
        self, pdf: bytes, parent: QWidget | None = None, job_name: str = "MotCua"
    ) -> QPrintPreviewDialog:
        """A print preview of ``pdf`` (not yet shown); printing from it uses the dialog's printer."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        info = QPrinterInfo.printerInfo(self.printer_name) if self.printer_name else QPrinterInfo()
        if not info.isNull():
            printer.setPrinterName(info.printerName())
        printer.setDocName(job_name)
        doc = _load(pdf)
        configure_printer(printer, doc.pagePointSize(0))
        doc.close()
        dialog = QPrintPreviewDialog(printer, parent)
        dialog.setWindowTitle(f"Xem trước bản in – {job_name}")
        dialog._motcua_printer = printer  # type: ignore[attr-defined]  # keep it alive with the dialog

        def paint(target: QPrinter) -> None:
            try:
                paint_pdf(pdf, target, dpi=self.dpi, configure=False)
            except PrintError as exc:
                path = keep_pdf(pdf, job_name)
                self.failed.emit(exc.with_path(path).message, str(path))

        dialog.paintRequested.connect(paint)
        return dialog

    def preview(self, source: PdfSource, parent: QWidget | None = None, job_name: str = "MotCua") -> None:
        """Render off the GUI thread, then open the modal preview on the GUI thread."""
        if isinstance(source, bytes):
            self.preview_dialog(source, parent, job_name).exec()
            return
        self._run(
            source,
            lambda pdf: self.preview_dialog(pdf, parent, job_name).exec(),  # type: ignore[arg-type]
            lambda exc: self._report(exc, job_name),
        )

    def save_dialog(
        self, pdf: bytes, parent: QWidget | None = None, file_name: str = "ban-in.pdf"
    ) -> QFileDialog:
        """Qt's own save dialog, in Vietnamese, in the documents folder; shown with ``open()``.

        Choosing a file writes the PDF and emits ``saved(path)`` (``failed`` on a disk error).
        """
        dialog = QFileDialog(parent, "Lưu bản in thành tệp PDF")
        dialog.setObjectName("save_pdf_dialog")
        dialog.setOption(
            QFileDialog.Option.DontUseNativeDialog, True
        )  # the same Vietnamese labels everywhere
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("Tệp PDF (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        folder = documents_dir()
        folder.mkdir(parents=True, exist_ok=True)
        dialog.setDirectory(str(folder))
        dialog.selectFile(file_name)
        for label, text in (
            (QFileDialog.DialogLabel.LookIn, "Thư mục:"),
            (QFileDialog.DialogLabel.FileName, "Tên tệp:"),
            (QFileDialog.DialogLabel.FileType, "Loại tệp:"),
            (QFileDialog.DialogLabel.Accept, "Lưu"),
            (QFileDialog.DialogLabel.Reject, "Hủy"),
        ):
            dialog.setLabelText(label, text)

        def chosen(name: str) -> None:
            try:
                path = save_pdf(pdf, name)
            except PrintError as exc:
                self.failed.emit(exc.message, "")
                return
            self.saved.emit(str(path))

        dialog.fileSelected.connect(chosen)
        return dialog
