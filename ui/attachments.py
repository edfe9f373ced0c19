"""Digitised papers of one dossier: scan, pick or drop files, order pages, attach, view, detach.

Sources: files (picker and drag-and-drop: JPEG, PNG, PDF), a watched folder a
network scanner saves into (polled from a worker), a SANE scanner and, where one
exists, the station's camera. Images are staged as pages (order and rotation
editable) and become one PDF per component; a PDF is attached as it is. Every
disk read, conversion and write runs in ``ui.workers``; the viewer is QtPdf.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.attachments.model import ROLE_COMPONENT, ROLE_RESULT, Attachment
from desk_app.attachments.pdf import ACCEPTED_SUFFIXES, PDF_MIME, PageImage, sniff_mime
from desk_app.attachments.sources import FolderWatch, list_scanners, scan_page
from desk_app.attachments.store import DiskUsage
from desk_app.domain.lifecycle import EventKind
from ui.workers import describe_error, run_op

THUMB = 96
POLL_MS = 1500
SOURCE_LABELS = {
    "scanner": "Máy quét",
    "folder": "Thư mục máy quét",
    "file": "Tệp",
    "camera": "Máy ảnh",
    "reuse": "Tái sử dụng",
    "signing": "Ký số",
}


def describe_attachment_event(kind: EventKind, payload: dict[str, Any]) -> str:
    """Timeline text of ATTACHED / DETACHED / RESULT_SIGNED."""
    if kind is EventKind.ATTACHED:
        what = payload.get("component_name", "")
        text = f"{what}: {payload.get('pages', 0)} trang"
        if payload.get("reused"):
            text += " (tái sử dụng bản đã số hóa)"
        return text
    if kind is EventKind.DETACHED:
        reason = payload.get("reason", "")
        return "Gỡ tệp đính kèm" + (f". Lý do: {reason}" if reason else "")
    if kind is EventKind.RESULT_SIGNED:
        signer = payload.get("signer") or {}
        name = signer.get("subject", "") if isinstance(signer, dict) else ""
        return f"Kết quả số {payload.get('result_code', '')}, người ký: {name}"
    return ""


def _thumbnail(data: bytes, rotation: int) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.draft("L", (THUMB * 2, THUMB * 2))
        small = img.convert("L")
        small.thumbnail((THUMB, THUMB))
        if rotation:
            small = small.rotate(-rotation, expand=True)
        buf = io.BytesIO()
        small.save(buf, "PNG")
        return buf.getvalue()


@dataclass
class StagedItem:
    """A page image (joined with the other pages) or a whole PDF (attached as it is)."""

    name: str
    data: bytes
    mime: str
    rotation: int = 0
    thumb: bytes = b""

    @property
    def is_pdf(self) -> bool:
        return self.mime == PDF_MIME


def load_files(paths: list[Path]) -> list[StagedItem]:
    """Worker side: read and sniff the files, make thumbnails (raises DomainError)."""
    items = []
    for path in paths:
        data = path.read_bytes()
        mime = sniff_mime(data)
        thumb = b"" if mime == PDF_MIME else _thumbnail(data, 0)
        items.append(StagedItem(path.name, data, mime, 0, thumb))
    return items


class PagesList(QListWidget):
    """Staged pages as thumbnails; drag to reorder."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("staged_pages")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setMovement(QListWidget.Movement.Snap)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setFixedHeight(THUMB + 48)
        self.setWrapping(False)
        self.setFlow(QListWidget.Flow.LeftToRight)

    def staged(self) -> list[StagedItem]:
        out = []
        for i in range(self.count()):
            item = self.item(i)
            out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def add(self, staged: StagedItem) -> None:
        item = QListWidgetItem(staged.name if staged.is_pdf else f"Trang {self.count() + 1}")
        item.setData(Qt.ItemDataRole.UserRole, staged)
        item.setToolTip(staged.name)
        self._set_icon(item, staged)
        self.addItem(item)

    @staticmethod
    def _set_icon(item: QListWidgetItem, staged: StagedItem) -> None:
        if staged.thumb:
            pix = QPixmap()
            pix.loadFromData(staged.thumb, "PNG")
            item.setIcon(QIcon(pix))

    def rotate_selected(self, degrees: int) -> None:
        from ui.workers import run_op as _run

        for item in self.selectedItems():
            staged: StagedItem = item.data(Qt.ItemDataRole.UserRole)
            if staged.is_pdf:
                continue
            staged.rotation = (staged.rotation + degrees) % 360

            def done(thumb: bytes, item: QListWidgetItem = item, staged: StagedItem = staged) -> None:
                staged.thumb = thumb
                self._set_icon(item, staged)

            _run(lambda s=staged: _thumbnail(s.data, s.rotation), done, owner=self)

    def move_selected(self, step: int) -> None:
        rows = sorted(self.row(i) for i in self.selectedItems())
        if not rows:
            return
        row = rows[0]
        target = row + step
        if 0 <= target < self.count():
            item = self.takeItem(row)
            self.insertItem(target, item)
            self.setCurrentItem(item)

    def remove_selected(self) -> None:
        for item in self.selectedItems():
            self.takeItem(self.row(item))


class AttachmentsDialog(QDialog):
    """The papers of one dossier.

    Signals:
        attached(object): an ``Attachment`` was recorded.
        message(str): a Vietnamese status line.
    """

    attached = Signal(object)
    message = Signal(str)

    def __init__(
        self,
        app: Any,
        actor: str,
        dossier: Any,
        parent: QWidget | None = None,
        officer_names: dict[str, str] | None = None,
    ):
        super().__init__(parent)
        self.app = app
        self.actor = actor
        self.dossier = dossier
        self.officer_names = officer_names or {}
        self.watch: FolderWatch | None = None
        self._polling = False
        self._pdf_buffer: QBuffer | None = None
        self.attachments: list[Attachment] = []
        self.setObjectName("attachments_dialog")
        self.setWindowTitle(f"Bản số hóa – hồ sơ {dossier.code}")
        self.setAcceptDrops(True)
        self.resize(1200, 700)
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        top.addWidget(QLabel("Thành phần:"))
        self.component = QComboBox()
        self.component.setObjectName("attach_component")
        for comp in dossier.components:
            self.component.addItem(comp.name, (ROLE_COMPONENT, comp.key))
        self.component.addItem("Kết quả giải quyết", (ROLE_RESULT, ""))
        top.addWidget(self.component, 1)
        self.pick_button = QPushButton("Chọn tệp…")
        self.pick_button.clicked.connect(self.pick_files)
        self.scan_button = QPushButton("Quét từ máy quét")
        self.scan_button.clicked.connect(self.scan)
        self.folder_button = QPushButton("Thư mục máy quét…")
        self.folder_button.clicked.connect(self.pick_folder)
        self.camera_button = QPushButton("Chụp bằng máy ảnh")
        self.camera_button.clicked.connect(self.open_camera)
        for b in (self.pick_button, self.scan_button, self.folder_button, self.camera_button):
            top.addWidget(b)
        layout.addLayout(top)
        self.folder_label = QLabel("Kéo thả tệp JPEG, PNG, PDF vào đây, hoặc chọn nguồn ở trên.")
        self.folder_label.setObjectName("folder_label")
        layout.addWidget(self.folder_label)

        staging = QGroupBox("Trang chờ đính kèm (kéo để đổi thứ tự)")
        sl = QVBoxLayout(staging)
        self.pages = PagesList()
        sl.addWidget(self.pages)
        row = QHBoxLayout()
        for text, slot in (
            ("Xoay trái", lambda: self.pages.rotate_selected(-90)),
            ("Xoay phải", lambda: self.pages.rotate_selected(90)),
            ("◀ Lên trước", lambda: self.pages.move_selected(-1)),
            ("Ra sau ▶", lambda: self.pages.move_selected(1)),
            ("Bỏ trang", self.pages.remove_selected),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        row.addStretch(1)
        self.attach_button = QPushButton("Ghép và đính kèm")
        self.attach_button.setObjectName("attach_button")
        self.attach_button.setDefault(True)
        self.attach_button.clicked.connect(self.attach_staged)
        row.addWidget(self.attach_button)
        sl.addLayout(row)
        layout.addWidget(staging)

        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.list = QTreeWidget()
        self.list.setObjectName("attachments_list")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Thành phần", "Trang", "Nguồn", "Người đính kèm", "Thời gian"])
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.currentItemChanged.connect(lambda *_: self.show_current())
        ll.addWidget(self.list, 1)
        actions = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Lý do gỡ (ví dụ: quét nhầm)")
        actions.addWidget(self.reason, 1)
        self.detach_button = QPushButton("Gỡ tệp")
        self.detach_button.clicked.connect(self.detach_current)
        actions.addWidget(self.detach_button)
        self.reuse_button = QPushButton("Tái sử dụng giấy tờ đã số hóa…")
        self.reuse_button.setObjectName("reuse_button")
        self.reuse_button.clicked.connect(self.offer_reuse)
        actions.addWidget(self.reuse_button)
        self.sign_button = QPushButton("Ký số kết quả…")
        self.sign_button.setObjectName("sign_button")
        self.sign_button.clicked.connect(self.sign_current)
        self.sign_receipt_button = QPushButton("Ký số giấy tiếp nhận…")
        self.sign_receipt_button.setObjectName("sign_receipt_button")
        self.sign_receipt_button.clicked.connect(self.sign_receipt)
        ll.addLayout(actions)
        signing = QHBoxLayout()  # its own row: the detach row keeps room for the reason
        signing.addStretch(1)
        signing.addWidget(self.sign_button)
        signing.addWidget(self.sign_receipt_button)
        ll.addLayout(signing)
        self.reuse_list = QTreeWidget()
        self.reuse_list.setObjectName("reuse_list")
        self.reuse_list.setRootIsDecorated(False)
        self.reuse_list.setHeaderLabels(["Giấy tờ đã số hóa", "Hồ sơ", "Trang"])
        self.reuse_list.itemActivated.connect(lambda item, _col: self.reuse(item))
        self.reuse_list.hide()
        ll.addWidget(self.reuse_list)
        split.addWidget(left)
        self.pdf = QPdfDocument(self)
        self.viewer = QPdfView(self)
        self.viewer.setObjectName("attachment_viewer")
        self.viewer.setDocument(self.pdf)
        self.viewer.setPageMode(QPdfView.PageMode.MultiPage)
        self.viewer.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        split.addWidget(self.viewer)
        split.setSizes([600, 600])
        layout.addWidget(split, 1)
        self.status_line = QLabel("")
        self.status_line.setObjectName("attachments_status")
        self.status_line.setWordWrap(True)
        layout.addWidget(self.status_line)
        self.message.connect(self.status_line.setText)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll_folder)
        self.reload()

        # Carry on watching the folder picked last time on this station.
        def remembered() -> str:
            folder: str = app.attachments.scanner_folder()
            return folder if folder and Path(folder).is_dir() else ""  # a share may be gone

        run_op(remembered, self._resume_watch, self._error, owner=self)

    # ------------------------------------------------------------------ sources
    def pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Chọn tệp số hóa", "", "Ảnh quét, PDF (*.jpg *.jpeg *.png *.pdf)"
        )
        if names:
            self.add_files([Path(n) for n in names], source="file")

    def add_files(self, paths: list[Path], source: str = "file") -> None:
        self._source = source
        run_op(lambda: load_files(paths), self._staged, self._error, owner=self)

    def _staged(self, items: list[StagedItem]) -> None:
        for item in items:
            self.pages.add(item)
        self.message.emit(f"Đã thêm {len(items)} tệp vào danh sách chờ đính kèm.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.toLocalFile().lower().endswith(ACCEPTED_SUFFIXES) for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls()]
        paths = [p for p in paths if p.name.lower().endswith(ACCEPTED_SUFFIXES)]
        if paths:
            self.add_files(paths, source="file")
            event.acceptProposedAction()
        else:
            self.message.emit("Chỉ nhận tệp JPEG, PNG hoặc PDF.")

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Thư mục máy quét lưu tệp")
        if folder:
            self.watch_folder(Path(folder))

    def _resume_watch(self, folder: str) -> None:
        if folder and self.watch is None:
            self.watch_folder(Path(folder), remember=False)

    def watch_folder(self, folder: Path, remember: bool = True) -> None:
        """Stage every page the scanner saves into ``folder`` from now on."""
        svc = self.app.attachments

        def start() -> FolderWatch:
            watch = FolderWatch.starting_now(folder)
            if remember:
                svc.set_scanner_folder(str(folder))
            return watch

        def started(watch: FolderWatch) -> None:
            self.watch = watch
            self.folder_label.setText(f"Đang theo dõi thư mục máy quét: {folder}")
            self.timer.start()

        run_op(start, started, self._error, owner=self)

    def poll_folder(self) -> None:
        watch = self.watch
        if watch is None or self._polling:
            return
        self._polling = True

        def poll() -> list[StagedItem]:
            return load_files(watch.poll())

        def done(items: list[StagedItem]) -> None:
            self._polling = False
            if items:
                self._source = "folder"
                self._staged(items)

        def failed(exc: BaseException) -> None:
            self._polling = False
            self._error(exc)

        run_op(poll, done, failed, owner=self)

    def scan(self) -> None:
        self.message.emit("Đang quét…")

        def work() -> list[StagedItem]:
            list_scanners()  # a clear message when there is none
            page = scan_page()
            return [StagedItem("Trang quét", page, "image/png", 0, _thumbnail(page, 0))]

        def done(items: list[StagedItem]) -> None:
            self._source = "scanner"
            self._staged(items)

        run_op(work, done, self._error, owner=self)

    def open_camera(self) -> None:
        from ui.attachments_camera import capture_page

        data = capture_page(self)
        if data is None:
            self.message.emit("Không tìm thấy máy ảnh trên máy tính này.")
            return
        self._source = "camera"
        run_op(
            lambda: StagedItem("Ảnh chụp", data, "image/png", 0, _thumbnail(data, 0)),
            lambda item: self._staged([item]),
            self._error,
            owner=self,
        )

    # ------------------------------------------------------------------ attaching
    def attach_staged(self) -> None:
        staged = self.pages.staged()
        if not staged:
            self.message.emit("Chưa có trang nào để đính kèm.")
            return
        role, key = self.component.currentData()
        source = getattr(self, "_source", "file")
        images = [PageImage(s.data, s.rotation) for s in staged if not s.is_pdf]
        pdfs = [s.data for s in staged if s.is_pdf]
        code = self.dossier.code
        svc = self.app.attachments
        self.attach_button.setEnabled(False)
        self.message.emit("Đang ghép trang và lưu tệp…")

        def work() -> list[Attachment]:
            out = []
            if images:
                out.append(
                    svc.attach_pages(self.actor, code, images, component_key=key, role=role, source=source)
                )
            for data in pdfs:
                out.append(
                    svc.attach_file(self.actor, code, data, component_key=key, role=role, source=source)
                )
            return out

        def done(atts: list[Attachment]) -> None:
            self.attach_button.setEnabled(True)
            self.pages.clear()
            for att in atts:
                self.attached.emit(att)
            self.message.emit(f"Đã đính kèm {len(atts)} tệp vào “{self.component.currentText()}”.")
            self.reload(select_last=True)

        def failed(exc: BaseException) -> None:
            self.attach_button.setEnabled(True)
            self._error(exc)

        run_op(work, done, failed, owner=self)

    def reload(self, select_last: bool = False) -> None:
        code = self.dossier.code
        run_op(
            lambda: self.app.attachments.list(code),
            lambda a: self._listed(a, select_last),
            self._error,
            owner=self,
        )

    def _listed(self, atts: list[Attachment], select_last: bool) -> None:
        self.attachments = atts
        self.list.clear()
        for att in atts:
            name = att.component_name + (" (đã ký số)" if att.signed else "")
            source = SOURCE_LABELS.get(att.source, att.source)
            who = self.officer_names.get(att.actor, att.actor)
            item = QTreeWidgetItem([name, str(att.pages), source, who, f"{att.at:%H:%M %d/%m/%Y}"])
            item.setData(0, Qt.ItemDataRole.UserRole, att)
            self.list.addTopLevelItem(item)
        target = self.list.topLevelItem(len(atts) - 1 if select_last else 0) if atts else None
        if target is not None:
            self.list.setCurrentItem(target)

    def current(self) -> Attachment | None:
        item = self.list.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    def show_current(self) -> None:
        att = self.current()
        if att is None:
            return
        app = self.app

        def load() -> bytes:
            if not app.attachments.files.has(att.sha256):
                # A routed dossier's file: fetched from the server when first viewed.
                from desk_app.attachments.store import FileStoreError
                from desk_app.sync.client import SyncError
                from desk_app.sync.files import fetch_from_server

                try:
                    fetch_from_server(app.station, att.sha256, att.dossier_id, att.pages)
                except SyncError as exc:  # offline or not enrolled: say so, in Vietnamese
                    raise FileStoreError(str(exc)) from exc
            data: bytes = app.attachments.read(att.sha256)
            return data

        run_op(load, self._show_pdf, self._error, owner=self)

    def _show_pdf(self, data: bytes) -> None:
        self.pdf.close()
        old = self._pdf_buffer
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._pdf_buffer = buffer
        self.pdf.load(buffer)
        if old is not None:
            old.close()
            old.deleteLater()

    def detach_current(self) -> None:
        att = self.current()
        if att is None:
            return
        reason = self.reason.text()
        code = self.dossier.code

        def done(_event: Any) -> None:
            self.reason.clear()
            self.message.emit("Đã gỡ tệp (vẫn lưu trong lịch sử hồ sơ).")
            self.pdf.close()
            self.reload()

        run_op(
            lambda: self.app.attachments.detach(self.actor, code, att.attachment_id, reason),
            done,
            self._error,
            owner=self,
        )

    def sign_current(self) -> Any:
        """Sign the selected result file (attach or scan the result first)."""
        from ui.attachments_sign import SignResultDialog

        att = self.current()
        if att is None or att.role != ROLE_RESULT or att.signed:
            self.message.emit("Chọn tệp kết quả chưa ký (thành phần “Kết quả giải quyết”) để ký số.")
            return None
        dialog = SignResultDialog(self.app, self.actor, self.dossier, att, self)
        dialog.signed.connect(self._signed)
        dialog.show()
        return dialog

    def sign_receipt(self) -> Any:
        """Optional: the receipt (Mẫu 01) signed, saved as a PDF for the applicant."""
        from ui.attachments_sign import SignReceiptDialog

        dialog = SignReceiptDialog(self.app, self.actor, self.dossier, self)
        dialog.saved.connect(lambda path: self.message.emit(f"Đã lưu giấy tiếp nhận đã ký: {path}"))
        dialog.show()
        return dialog

    def _signed(self, att: Attachment) -> None:
        self.attached.emit(att)
        self.reload(select_last=True)

    def offer_reuse(self) -> None:
        code = self.dossier.code
        run_op(lambda: self.app.attachments.reusable(code), self._offers, self._error, owner=self)

    def _offers(self, offers: list[Any]) -> None:
        self.reuse_list.clear()
        if not offers:
            self.reuse_list.hide()
            self.message.emit("Người nộp chưa có giấy tờ nào đã số hóa ở hồ sơ trước.")
            return
        for offer in offers:
            att = offer.attachment
            item = QTreeWidgetItem([att.component_name, offer.dossier_code, str(att.pages)])
            item.setData(0, Qt.ItemDataRole.UserRole, offer)
            self.reuse_list.addTopLevelItem(item)
        self.reuse_list.show()
        self.message.emit(
            f"Có {len(offers)} giấy tờ đã số hóa của người nộp: chọn thành phần rồi bấm đúp để tái sử dụng."
        )

    def reuse(self, item: QTreeWidgetItem) -> None:
        offer = item.data(0, Qt.ItemDataRole.UserRole)
        role, key = self.component.currentData()
        if role != ROLE_COMPONENT:
            self.message.emit("Chọn thành phần hồ sơ để tái sử dụng giấy tờ.")
            return
        code = self.dossier.code

        def done(att: Attachment) -> None:
            self.attached.emit(att)
            self.message.emit("Đã tái sử dụng giấy tờ đã số hóa.")
            self.reload(select_last=True)

        run_op(
            lambda: self.app.attachments.reuse(self.actor, code, offer, component_key=key),
            done,
            self._error,
            owner=self,
        )

    def _error(self, exc: BaseException) -> None:
        self.message.emit(describe_error(exc))

    def done(self, result: int) -> None:  # noqa: D102 - stop polling when the dialog closes
        self.timer.stop()
        self.watch = None
        super().done(result)


def format_usage(usage: DiskUsage) -> str:
    def size(n: int) -> str:
        if n >= 2**30:
            return f"{n / 2**30:.1f} GB".replace(".", ",")
        return f"{n / 2**20:.1f} MB".replace(".", ",")

    return f"{usage.files} tệp, {size(usage.bytes_used)}; ổ đĩa còn trống {size(usage.bytes_free)}"


def disk_usage_label(app: Any, parent: QWidget) -> QLabel:
    """Settings: how much the station's digitised files take and what is left (filled off the GUI thread)."""
    label = QLabel("Đang tính dung lượng…", parent)
    label.setObjectName("disk_usage")
    run_op(
        lambda: format_usage(app.attachments.usage()),
        label.setText,
        lambda exc: label.setText(describe_error(exc)),
        owner=label,
    )
    return label


def open_attachments(
    parent: QWidget, app: Any, actor: str, dossier: Any, officer_names: dict[str, str] | None = None
) -> AttachmentsDialog | None:
    """The hook the dossier detail and the intake form call."""
    if dossier is None:
        return None
    dialog = AttachmentsDialog(app, actor, dossier, parent, officer_names)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
