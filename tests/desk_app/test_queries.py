"""Finding dossiers: by code, CCCD, phone, folded name; keyset pages; deadlines."""

from __future__ import annotations

import datetime as dt

from desk_app.domain.lifecycle import EventKind
from desk_app.services.queries import DossierFilter, classify_search, fts_query
from tests.helpers.fakes import birth_request


def receive(app, name, id_number, phone):  # type: ignore[no-untyped-def]
    req = birth_request()
    req.applicant.full_name = name
    req.applicant.id_number = id_number
    req.applicant.phone = phone
    req.applicant.birth_date = None  # the CCCD alone carries the birth year here
    return app.intake.receive("canbo1", req)


def test_classify_search_box() -> None:
    assert classify_search("000.21.31.H56-261125-0001") == ("code", "000.21.31.H56-261125-0001")
    assert classify_search("056090001234") == ("id", "056090001234")
    assert classify_search("0905 123 456") == ("phone", "0905123456")
    assert classify_search("+84905123456") == ("phone", "0905123456")
    assert classify_search("Đặng Văn Dũng") == ("name", "dang van dung")
    assert fts_query("nguyen van d") == '"nguyen" "van" "d"*'


def test_find_by_each_key(app) -> None:  # type: ignore[no-untyped-def]
    a = receive(app, "Nguyễn Văn Dũng", "056090001234", "0905123456")
    b = receive(app, "Đặng Thị Thu Hà", "079185004321", "0388111222")
    assert [r.code for r in app.queries.page(DossierFilter(search=a.code))] == [a.code]
    assert [r.code for r in app.queries.page(DossierFilter(search="079185004321"))] == [b.code]
    assert [r.code for r in app.queries.page(DossierFilter(search="0388 111 222"))] == [b.code]
    assert [r.code for r in app.queries.search_names("nguyen van dung")] == [a.code]
    assert [r.code for r in app.queries.search_names("dang thi")] == [b.code]  # đ folded to d
    assert [r.code for r in app.queries.search_names("thu h")] == [b.code]  # prefix as you type
    assert app.queries.search_names("tran") == []


def test_keyset_pages_cover_everything_once(app, clock) -> None:  # type: ignore[no-untyped-def]
    codes = []
    for i in range(23):
        clock.advance(minutes=1 if i % 3 else 0)  # some share a received time
        codes.append(receive(app, "Lê Văn An", "056090001234", "0905123456").code)
    seen, after = [], None
    while True:
        page = app.queries.page(DossierFilter(), limit=5, after=after)
        if not page:
            break
        seen.extend(r.code for r in page)
        after = (page[-1].received_at.isoformat(), page[-1].rowid)
    assert sorted(seen) == sorted(codes) and len(seen) == len(set(seen))
    assert seen[0] == codes[-1]  # newest first


def test_deadline_filters_and_dashboard(app, clock) -> None:  # type: ignore[no-untyped-def]
    overdue = receive(app, "Phạm Văn Bình", "056090001234", "0905123456").code
    clock.set(dt.datetime(2026, 11, 26, 9, 0))
    due_today = receive(app, "Võ Thị Lan", "056190001234", "0905123457").code
    done = receive(app, "Hồ Văn Nam", "056090001239", "0905123458").code
    app.workflow.act("canbo1", done, EventKind.RESULT_READY)
    assert [r.code for r in app.queries.page(DossierFilter(overdue=True))] == [overdue]
    assert [r.code for r in app.queries.page(DossierFilter(due_today=True))] == [due_today]
    board = app.queries.dashboard()
    assert board["received_today"] == 2 and board["overdue"] == 1 and board["due_today"] == 1
    assert board["result_ready"] == 1
    rows = app.queries.page(DossierFilter())
    flags = {r.code: (r.is_overdue(clock()), r.is_due_today(clock())) for r in rows}
    assert flags[overdue] == (True, False) and flags[due_today] == (False, True)
    assert [r.code for r in app.queries.apology_reminders()] == [due_today]


def test_filter_by_status_field_and_date(app, clock) -> None:  # type: ignore[no-untyped-def]
    a = receive(app, "Lý Văn Tú", "056090001234", "0905123456").code
    clock.set(dt.datetime(2026, 11, 27, 9, 0))
    b = receive(app, "Lý Văn Tú", "056090001234", "0905123456").code
    app.workflow.act("canbo1", b, EventKind.TRANSFERRED, to="Tư pháp")
    assert [r.code for r in app.queries.page(DossierFilter(statuses=["transferred"]))] == [b]
    assert [r.code for r in app.queries.page(DossierFilter(received_to=dt.date(2026, 11, 25)))] == [a]
    assert app.queries.count(DossierFilter(field="Hộ tịch")) == 2
    assert app.queries.count(DossierFilter(field="Chứng thực")) == 0


def test_partial_code_finds_the_dossier_in_every_agency(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from desk_app.store import schema as s

    a = receive(app, "Nguyễn Văn Dũng", "056090001234", "0905123456")
    b = receive(app, "Đặng Thị Thu Hà", "079185004321", "0388111222")
    tail = b.code.split("-", 1)[1]  # "261125-0002", as read off the receipt
    assert classify_search(tail) == ("code_tail", tail)
    assert classify_search("261125-2") == ("code_tail", "261125-0002")  # leading zeros optional
    assert [r.code for r in app.queries.page(DossierFilter(search=tail))] == [b.code]
    # a dossier synced from another agency with the same date and number is found too
    other = "000.21.99.H56-" + tail
    with app.station.uow() as uow:
        uow.conn.execute(update(s.dossiers).where(s.dossiers.c.code == a.code).values(code=other))
        uow.commit()
    assert app.queries.codes_ending(tail) == sorted([b.code, other])
    assert {r.code for r in app.queries.page(DossierFilter(search="261125-2"))} == {b.code, other}
    assert app.queries.count(DossierFilter(search=tail)) == 2
    assert app.queries.page(DossierFilter(search="261125-0099")) == []


def test_partial_code_walks_the_code_index(app) -> None:  # type: ignore[no-untyped-def]
    """The look-up must stay an index seek per agency, never a scan of a 1M-row table."""
    from sqlalchemy import text

    receive(app, "Nguyễn Văn Dũng", "056090001234", "0905123456")
    with app.station.uow(write=False) as uow:
        seek = uow.conn.execute(
            text("EXPLAIN QUERY PLAN SELECT code FROM dossiers WHERE code > :a ORDER BY code LIMIT 1"),
            {"a": ""},
        ).all()
        exact = uow.conn.execute(
            text("EXPLAIN QUERY PLAN SELECT code FROM dossiers WHERE code = :c"), {"c": "x"}
        ).all()
    plans = " | ".join(str(row[-1]) for row in [*seek, *exact])
    assert "SCAN" not in plans and plans.count("INDEX") == 2, plans
