"""Dossier codes ``<agency id>-<yymmdd>-<NNNN>`` and the offline-safe numbering scheme.

Scheme (unique per unit per day with several counters offline at once):

* The day's sequence 0001–9999 is split in two. **Leased range** 0001–8999:
  a lease authority (the central server once the station is enrolled, the
  station's own store before that) hands each device disjoint *blocks*
  (``LEASE_BLOCK`` numbers). A device may hold blocks for today and the next
  working day, fetched while online, so it can go on numbering offline.
* **Fallback range** 9000–9999: split into ``FALLBACK_SLOTS`` slices of
  ``FALLBACK_SIZE`` numbers; every device of a unit gets its own slot number
  at enrolment. When its leases run out and the authority is out of reach, a
  device numbers from its own slice, which no one else ever uses.
* Authorities never lease from the fallback range and never lease a number
  twice, so codes from different devices can't collide, online or not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from desk_app.domain.errors import CodeSpaceExhausted, ValidationError
from desk_app.domain.model import validate_agency_id

MAX_SEQ = 9999
LEASED_MAX = 8999
LEASE_BLOCK = 20
FALLBACK_START = 9000
FALLBACK_SLOTS = 20
FALLBACK_SIZE = (MAX_SEQ - FALLBACK_START + 1) // FALLBACK_SLOTS  # 50

CODE_RE = re.compile(r"^(\d{3}\.\d{2}\.\d{2}\.H\d{2})-(\d{6})-(\d{4})$")


@dataclass(frozen=True)
class DossierCode:
    agency: str
    day: dt.date
    seq: int

    def __str__(self) -> str:
        return format_code(self.agency, self.day, self.seq)


def day_key(day: dt.date) -> str:
    return day.strftime("%y%m%d")


def format_code(agency: str, day: dt.date, seq: int) -> str:
    validate_agency_id(agency)
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence out of range: {seq}")
    return f"{agency}-{day_key(day)}-{seq:04d}"


def parse_code(text: str) -> DossierCode:
    """Parse a scanned or typed code; raises ``ValidationError`` in Vietnamese."""
    cleaned = (text or "").strip().upper()
    match = CODE_RE.match(cleaned)
    if not match:
        raise ValidationError(
            "code",
            f"“{text.strip()}” không phải là mã hồ sơ hợp lệ (dạng ddd.dd.dd.Hdd-yymmdd-NNNN).",
        )
    agency, yymmdd, seq = match.groups()
    try:
        day = dt.datetime.strptime(yymmdd, "%y%m%d").date()
    except ValueError:
        raise ValidationError(
            "code", f"Mã hồ sơ “{cleaned}” có ngày tiếp nhận không hợp lệ ({yymmdd})."
        ) from None
    if int(seq) == 0:
        raise ValidationError("code", f"Mã hồ sơ “{cleaned}” có số thứ tự 0000 không hợp lệ.")
    return DossierCode(agency, day, int(seq))


def fallback_range(slot: int) -> tuple[int, int]:
    if not 0 <= slot < FALLBACK_SLOTS:
        raise ValueError(f"fallback slot must be 0..{FALLBACK_SLOTS - 1}, got {slot}")
    start = FALLBACK_START + slot * FALLBACK_SIZE
    return start, start + FALLBACK_SIZE - 1


@dataclass(frozen=True)
class Lease:
    """A block of one day's numbers held by one device; ``next`` is unused yet."""

    id: str
    day: str  # yymmdd
    start: int
    end: int  # inclusive
    next: int
    source: str  # server | local | fallback

    @property
    def remaining(self) -> int:
        return max(self.end - self.next + 1, 0)


class AuthorityUnavailable(Exception):
    """The lease authority could not be reached (offline)."""


class BlockAuthority:
    """Hands out disjoint blocks of the leased range for (unit, day).

    Pure state machine used by the station's own store and by the central
    server; persistence is the caller's business (``next_free`` per day).
    """

    @staticmethod
    def grant(next_free: int, size: int = LEASE_BLOCK) -> tuple[int, int, int]:
        """Return ``(start, end, new_next_free)`` or raise ``CodeSpaceExhausted``."""
        if next_free > LEASED_MAX:
            raise CodeSpaceExhausted("Đã hết dải số hồ sơ được cấp trong ngày.")
        end = min(next_free + size - 1, LEASED_MAX)
        return next_free, end, end + 1


@dataclass(frozen=True)
class Allocation:
    seq: int
    lease: Lease  # the lease after taking ``seq`` (insert it if new, else update)
    is_new_lease: bool


def allocate(
    leases: Sequence[Lease],
    day: str,
    slot: int,
    request_block: Callable[[], tuple[int, int]] | None,
    new_id: Callable[[], str],
    block_source: str = "server",
) -> Allocation:
    """Take the next number for ``day``.

    Order: an open server/local lease; else a new block from the authority
    (``request_block`` raises ``AuthorityUnavailable`` when offline); else this
    device's fallback slice. Raises ``CodeSpaceExhausted`` when all are used.
    """
    todays = [lease for lease in leases if lease.day == day]
    for lease in sorted(todays, key=lambda item: (item.source == "fallback", item.start)):
        if lease.source != "fallback" and lease.remaining:
            return Allocation(lease.next, replace(lease, next=lease.next + 1), False)
    if request_block is not None:
        try:
            start, end = request_block()
        except (AuthorityUnavailable, CodeSpaceExhausted):
            pass
        else:
            lease = Lease(new_id(), day, start, end, start + 1, block_source)
            return Allocation(start, lease, True)
    for lease in todays:
        if lease.source == "fallback":
            if lease.remaining:
                return Allocation(lease.next, replace(lease, next=lease.next + 1), False)
            raise CodeSpaceExhausted(
                "Máy đã dùng hết dải số dự phòng khi mất kết nối. "
                "Hãy kết nối lại máy chủ để được cấp thêm số."
            )
    start, end = fallback_range(slot)
    return Allocation(start, Lease(new_id(), day, start, end, start + 1, "fallback"), True)
