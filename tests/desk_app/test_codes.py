"""Dossier codes: format, parsing, and uniqueness across offline devices."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app import codes
from desk_app.codes import AuthorityUnavailable, BlockAuthority, Lease, allocate, fallback_range
from desk_app.domain.errors import CodeSpaceExhausted, ValidationError
from desk_app.domain.model import validate_agency_id


def test_format_and_parse_round_trip() -> None:
    code = codes.format_code("000.21.31.H56", dt.date(2026, 11, 22), 7)
    assert code == "000.21.31.H56-261122-0007"
    parsed = codes.parse_code(" 000.21.31.h56-261122-0007 ")
    assert (parsed.agency, parsed.day, parsed.seq) == ("000.21.31.H56", dt.date(2026, 11, 22), 7)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ABC",
        "000.21.31.H56-261122-7",
        "000.21.31.H56-261322-0001",
        "000.21.31.H56-261122-0000",
        "1.001193.000.00.00.H12",
        "8935236012345",
    ],
)
def test_parse_rejects_with_vietnamese_message(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        codes.parse_code(bad)
    assert "mã hồ sơ" in str(info.value).lower()


@pytest.mark.parametrize("agency", ["000.21.31.H56", "000.00.00.H12", "123.45.67.H01"])
def test_agency_ids_accepted(agency: str) -> None:
    assert validate_agency_id(agency) == agency


@pytest.mark.parametrize("agency", ["000.21.31.56", "00.21.31.H56", "000.21.31.H5", "000-21-31-H56", ""])
def test_agency_ids_rejected(agency: str) -> None:
    with pytest.raises(ValidationError, match="Mã định danh cơ quan"):
        validate_agency_id(agency)


def test_fallback_slices_are_disjoint_and_outside_leased_range() -> None:
    seen: set[int] = set()
    for slot in range(codes.FALLBACK_SLOTS):
        start, end = fallback_range(slot)
        numbers = set(range(start, end + 1))
        assert not numbers & seen
        assert start > codes.LEASED_MAX and end <= codes.MAX_SEQ
        seen |= numbers
    with pytest.raises(ValueError):
        fallback_range(codes.FALLBACK_SLOTS)


def test_authority_never_grants_past_leased_range() -> None:
    start, end, nxt = BlockAuthority.grant(8990)
    assert (start, end, nxt) == (8990, 8999, 9000)
    with pytest.raises(CodeSpaceExhausted):
        BlockAuthority.grant(nxt)


class Device:
    """One counter with its leases; the authority is the shared server/station."""

    def __init__(self, slot: int):
        self.slot = slot
        self.leases: list[Lease] = []
        self.online = True
        self.ids = (f"{slot}-{n}" for n in itertools.count())

    def issue(self, authority: dict[str, int], day: str) -> int:
        def request() -> tuple[int, int]:
            if not self.online:
                raise AuthorityUnavailable()
            start, end, authority[day] = BlockAuthority.grant(authority.get(day, 1), codes.LEASE_BLOCK)
            return start, end

        alloc = allocate(self.leases, day, self.slot, request, lambda: next(self.ids))
        self.leases = [lease for lease in self.leases if lease.id != alloc.lease.id] + [alloc.lease]
        return alloc.seq


@settings(max_examples=150, deadline=None)
@given(
    devices=st.integers(min_value=2, max_value=6),
    steps=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["issue", "issue", "issue", "toggle", "day"])),
        min_size=1,
        max_size=400,
    ),
)
def test_codes_unique_across_devices_with_random_offline_periods(
    devices: int, steps: list[tuple[int, str]]
) -> None:
    fleet = [Device(slot) for slot in range(devices)]
    authority: dict[str, int] = {}
    issued: dict[str, list[int]] = {}
    days = iter(f"2611{d:02d}" for d in range(1, 31))
    day = next(days)
    for index, action in steps:
        device = fleet[index % devices]
        if action == "toggle":
            device.online = not device.online
        elif action == "day":
            day = next(days, day)
        else:
            try:
                seq = device.issue(authority, day)
            except CodeSpaceExhausted:
                continue
            assert 1 <= seq <= codes.MAX_SEQ
            issued.setdefault(day, []).append(seq)
    for numbers in issued.values():
        assert len(numbers) == len(set(numbers)), "a dossier number was issued twice"


def test_offline_device_uses_its_fallback_slice_then_stops_with_message() -> None:
    device = Device(slot=3)
    device.online = False
    start, end = fallback_range(3)
    got = [device.issue({}, "261125") for _ in range(end - start + 1)]
    assert got == list(range(start, end + 1))
    with pytest.raises(CodeSpaceExhausted, match="dải số dự phòng"):
        device.issue({}, "261125")


def test_online_device_prefers_leases_and_comes_back_from_fallback() -> None:
    device = Device(slot=0)
    authority: dict[str, int] = {}
    assert device.issue(authority, "261125") == 1
    device.online = False
    for _ in range(codes.LEASE_BLOCK - 1):
        device.issue(authority, "261125")  # the rest of its leased block
    assert device.issue(authority, "261125") == fallback_range(0)[0]
    device.online = True
    assert device.issue(authority, "261125") == codes.LEASE_BLOCK + 1
