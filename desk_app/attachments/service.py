"""Attaching digitised papers to a dossier, detaching them, reusing earlier ones.

The file is stored first (content-addressed, fsynced); then one transaction
records the event, its outbox row and the file's row. A failure before the
commit leaves at most an unreferenced file, never an event without its file.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desk_app.attachments.model import (
    ROLE_COMPONENT,
    ROLE_RESULT,
    SOURCES,
    Attachment,
    Digitisation,
    current_attachments,
    digitisation,
)
from desk_app.attachments.pdf import PDF_MIME, PageImage, images_to_pdf, normalise_document
from desk_app.attachments.store import DiskUsage, FileStore, FileStoreError, sha256_hex
from desk_app.domain.errors import DomainError, NotFound
from desk_app.domain.lifecycle import DossierEvent, EventKind, decide, fold
from desk_app.domain.model import Dossier
from desk_app.ids import uuid7
from desk_app.services.intake import _outbox_row, ensure_dossier
from desk_app.services.station import Station
from desk_app.store import schema as s
from desk_app.store.repositories import iso, summary_values
from desk_app.store.uow import UnitOfWork
from desk_app.textfold import normalize_text

META_SCANNER_FOLDER = "scanner_folder"


@dataclass(frozen=True)
class ReuseCandidate:
    """An earlier digitised paper of the same applicant (same ID number)."""

    attachment: Attachment
    dossier_code: str
    procedure_name: str
    available: bool  # the file is on this station


class AttachmentService:
    def __init__(self, station: Station, files: FileStore | None = None):
        self.station = station
        self.files = files or FileStore.beside(station.db.path)

    # ------------------------------------------------------------------ reading
    def list(self, code_or_id: str) -> list[Attachment]:
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
        return current_attachments(events)

    def digitisation(self, code_or_id: str) -> Digitisation:
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
        return digitisation(events)

    def read(self, sha256: str) -> bytes:
        return self.files.read(sha256)

    def usage(self) -> DiskUsage:
        return self.files.usage()

    # The folder a network scanner saves into, remembered per station.
    def scanner_folder(self) -> str:
        with self.station.uow(write=False) as uow:
            return uow.meta.get(META_SCANNER_FOLDER) or ""

    def set_scanner_folder(self, folder: str) -> None:
        with self.station.uow() as uow:
            uow.meta.set(META_SCANNER_FOLDER, folder)
            uow.commit()

    # ------------------------------------------------------------------ writing
    def attach_pages(
        self,
        actor: str,
        code_or_id: str,
        pages: Sequence[PageImage],
        *,
        component_key: str = "",
        role: str = ROLE_COMPONENT,
        source: str = "scanner",
    ) -> Attachment:
        """Several scanned images of one paper become one PDF, in the given order and rotation."""
        pdf = images_to_pdf(pages)
        return self._attach(actor, code_or_id, pdf, len(pages), component_key, role, source)

    def attach_file(
        self,
        actor: str,
        code_or_id: str,
        data: bytes,
        *,
        component_key: str = "",
        role: str = ROLE_COMPONENT,
        source: str = "file",
    ) -> Attachment:
        """A JPEG, PNG (made into a one-page PDF) or a PDF kept as it is."""
        pdf, _mime, pages = normalise_document(data)
        return self._attach(actor, code_or_id, pdf, pages, component_key, role, source)

    def _attach(
        self,
        actor: str,
        code_or_id: str,
        pdf: bytes,
        pages: int,
        component_key: str,
        role: str,
        source: str,
        extra: Mapping[str, Any] | None = None,
    ) -> Attachment:
        if role not in (ROLE_COMPONENT, ROLE_RESULT):
            raise DomainError("Loại tệp đính kèm không hợp lệ.")
        if source not in SOURCES:
            raise DomainError("Nguồn tệp đính kèm không hợp lệ.")
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
        component_name = self._component_name(dossier, component_key, role)
        sha = self.files.put(pdf)  # before the transaction: never an event without its file
        payload: dict[str, Any] = {
            "attachment_id": uuid7(),
            "role": role,
            "component_key": component_key if role == ROLE_COMPONENT else "",
            "component_name": component_name,
            "sha256": sha,
            "size": len(pdf),
            "mime": PDF_MIME,
            "pages": pages,
            "source": source,
            "reused": False,
            **(extra or {}),
        }
        event = self._record(actor, dossier.id, EventKind.ATTACHED, payload, file_row=(sha, len(pdf), pages))
        return current_attachments([event])[0]

    @staticmethod
    def _component_name(dossier: Dossier, key: str, role: str) -> str:
        if role == ROLE_RESULT:
            return "Kết quả giải quyết"
        for comp in dossier.components:
            if comp.key == key:
                return comp.name
        raise DomainError("Chọn thành phần hồ sơ để đính kèm bản số hóa.")

    def detach(self, actor: str, code_or_id: str, attachment_id: str, reason: str = "") -> DossierEvent:
        """Removing is an event too: the file and its ATTACHED event stay in the history."""
        reason = normalize_text(reason)
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
        current = {a.attachment_id: a for a in current_attachments(events)}
        att = current.get(attachment_id)
        if att is None:
            raise NotFound("Tệp đính kèm không còn trong hồ sơ.")
        if att.signed:
            raise DomainError("Không gỡ kết quả điện tử đã ký số; hãy ký lại một kết quả mới nếu cần.")
        payload = {"attachment_id": attachment_id, "sha256": att.sha256, "reason": reason}
        return self._record(actor, dossier.id, EventKind.DETACHED, payload)

    def reusable(self, code_or_id: str) -> builtins.list[ReuseCandidate]:
        """Earlier digitised papers of the same applicant's other dossiers (by ID number)."""
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            id_number = dossier.applicant.id_number
            if not id_number:
                return []
            rows = uow.conn.execute(
                select(s.dossiers.c.id, s.dossiers.c.code, s.dossiers.c.procedure_name)
                .where(s.dossiers.c.applicant_id_number == id_number, s.dossiers.c.id != dossier.id)
                .order_by(s.dossiers.c.received_at.desc())
            ).all()
            found: builtins.list[ReuseCandidate] = []
            seen: set[str] = set()
            for row in rows:
                for att in current_attachments(uow.dossiers.events(row.id)):
                    if att.role != ROLE_COMPONENT or att.sha256 in seen:
                        continue
                    seen.add(att.sha256)
                    found.append(
                        ReuseCandidate(att, row.code, row.procedure_name, self.files.has(att.sha256))
                    )
        return found

    def reuse(
        self, actor: str, code_or_id: str, candidate: ReuseCandidate, *, component_key: str
    ) -> Attachment:
        """Attach an earlier paper again, flagged as reused (QĐ 766 'được số hóa' / tái sử dụng)."""
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            source = uow.dossiers.get(candidate.attachment.dossier_id)
        if source is None or source.applicant.id_number != dossier.applicant.id_number:
            raise DomainError("Chỉ tái sử dụng giấy tờ đã số hóa của cùng người nộp (cùng số giấy tờ).")
        att = candidate.attachment
        payload = {
            "attachment_id": uuid7(),
            "role": ROLE_COMPONENT,
            "component_key": component_key,
            "component_name": self._component_name(dossier, component_key, ROLE_COMPONENT),
            "sha256": att.sha256,
            "size": att.size,
            "mime": att.mime,
            "pages": att.pages,
            "source": "reuse",
            "reused": True,
            "reused_from": {"dossier_id": att.dossier_id, "attachment_id": att.attachment_id},
        }
        event = self._record(actor, dossier.id, EventKind.ATTACHED, payload)
        return current_attachments([event])[0]

    def record_signed_result(
        self,
        actor: str,
        code_or_id: str,
        signed_pdf: bytes,
        *,
        result_code: str,
        signer: Mapping[str, str],
        method: str,
        unsigned_sha256: str = "",
    ) -> Attachment:
        """The signed e-result, its result code (số, ký hiệu) and the signer, as one event."""
        result_code = normalize_text(result_code)
        if not result_code:
            raise DomainError("Nhập số, ký hiệu của văn bản kết quả trước khi ký.")
        _pdf, _mime, pages = normalise_document(signed_pdf)
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
        sha = self.files.put(signed_pdf)
        payload = {
            "attachment_id": uuid7(),
            "role": ROLE_RESULT,
            "sha256": sha,
            "size": len(signed_pdf),
            "mime": PDF_MIME,
            "pages": pages,
            "result_code": result_code,
            "signer": dict(signer),
            "method": method,
            "unsigned_sha256": unsigned_sha256,
        }
        event = self._record(
            actor, dossier.id, EventKind.RESULT_SIGNED, payload, file_row=(sha, len(signed_pdf), pages)
        )
        return current_attachments([event])[0]

    def sign_result(
        self,
        actor: str,
        code_or_id: str,
        unsigned_pdf: bytes,
        signer: Any,
        *,
        result_code: str,
        method: str,
    ) -> Attachment:
        """Sign the result PDF with ``signer`` (PKCS#12 or PKCS#11, see ``desk_app.signing``),
        store it and record RESULT_SIGNED. Works offline."""
        from desk_app.signing import sign_pdf, signer_info, signing_certificate

        if not normalize_text(result_code):
            raise DomainError("Nhập số, ký hiệu của văn bản kết quả trước khi ký.")
        unsigned, _mime, _pages = normalise_document(unsigned_pdf)
        location = ""
        if self.station.is_initialised:
            location = self.station.unit.place or self.station.unit.name
        signed = sign_pdf(unsigned, signer, clock=self.station.now, location=location)
        info = signer_info(signing_certificate(signer))
        return self.record_signed_result(
            actor,
            code_or_id,
            signed,
            result_code=result_code,
            signer=info.as_payload(),
            method=method,
            unsigned_sha256=sha256_hex(unsigned),
        )

    # ------------------------------------------------------------------ internals
    def _record(
        self,
        actor: str,
        dossier_id: str,
        kind: EventKind,
        payload: dict[str, Any],
        file_row: tuple[str, int, int] | None = None,
    ) -> DossierEvent:
        now = self.station.now()
        now_s = iso(now) or ""
        with self.station.uow() as uow:
            events = uow.dossiers.events(dossier_id)
            decide(fold(events), kind)
            event = DossierEvent(
                id=uuid7(),
                dossier_id=dossier_id,
                kind=kind,
                at=now,
                actor=actor,
                device_id=self.station.device_id,
                hlc=self.station.hlc.now(),
                payload=payload,
            )
            uow.dossiers.add_event(event)
            uow.dossiers.update_summary(dossier_id, **summary_values(fold([*events, event])))
            uow.outbox.add_many([_outbox_row(event, now_s)])
            if file_row is not None:
                record_file(uow, *file_row, now=now, dossier_id=dossier_id)
            uow.audit.add(uuid7(), now_s, actor, f"dossier.{kind.value}", dossier_id)
            uow.commit()
        return event


def record_file(
    uow: UnitOfWork, sha256: str, size: int, pages: int, *, now: dt.datetime, dossier_id: str
) -> None:
    stmt = sqlite_insert(s.files).values(
        sha256=sha256,
        size=size,
        mime=PDF_MIME,
        pages=pages,
        dossier_id=dossier_id,
        created_at=iso(now),
        present=True,
    )
    uow.conn.execute(stmt.on_conflict_do_update(index_elements=["sha256"], set_={"present": True}))


__all__ = ["AttachmentService", "FileStoreError", "ReuseCandidate"]
