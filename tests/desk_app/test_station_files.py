"""Damaged station files get words, not tracebacks; backup and restore (issue 10.9).

Every case runs the real ``motcua`` CLI in-process on a real SQLite file: the
exit status is 1, stderr says in Vietnamese what to do, and the damaged file is
left byte for byte as it was (never re-initialised, never overwritten).
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from desk_app.cli import main
from desk_app.services.backup import backup, restore
from desk_app.services.queries import DossierFilter
from desk_app.store.db import DamagedDatabaseError, Database, StoreError
from tests.helpers.fakes import FakeClock, birth_request

DOSSIERS = 12


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed station database with a few dossiers, built once per module."""
    import datetime as dt

    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT
    from desk_app.domain.model import Role
    from tests.helpers.fakes import sample_procedures

    path = tmp_path_factory.mktemp("template") / "station.sqlite3"
    app = open_station(path, clock=FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
    try:
        app.station.set_unit(DEMO_UNIT)
        with app.station.uow() as uow:
            uow.procedures.upsert_many(sample_procedures(), "2026-11-25T08:00:00+07:00")
            uow.commit()
        app.accounts.create("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1)
        for _ in range(DOSSIERS):
            app.intake.receive("canbo1", birth_request())
    finally:
        app.close()
    return path


@pytest.fixture
def station_file(station_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    shutil.copyfile(station_template, path)
    return path


def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip_bytes(data: bytes) -> bytes:
    out = bytearray(data)
    for i in range(4096, len(out), 997):  # every page after the first, header and cells alike
        out[i] ^= 0xFF
    return bytes(out)


def random_bytes(data: bytes) -> bytes:
    return random.Random(5).randbytes(len(data))


def text_file(_data: bytes) -> bytes:
    return "Danh sách hồ sơ\n".encode() * 500


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (truncate, "bị cắt cụt"),
        (flip_bytes, "bị hỏng"),
        (random_bytes, "không phải cơ sở dữ liệu SQLite"),
        (text_file, "không phải cơ sở dữ liệu SQLite"),
    ],
)
def test_damaged_database_gives_words_and_is_left_alone(
    station_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[bytes], bytes],
    words: str,
) -> None:
    bad = tmp_path / "hong.sqlite3"
    bad.write_bytes(damage(station_file.read_bytes()))
    before = digest(bad)
    for argv in (["dossier", "list"], ["dossier", "list", "--search", "Nguyễn"], ["user", "list"]):
        code, out, err = run(capsys, *argv, "--db", str(bad))
        assert code == 1, (argv, out, err)
        assert words in err and "motcua restore" in err and "Traceback" not in err
    assert digest(bad) == before
    assert not (tmp_path / "hong.sqlite3-wal").exists() or damage is flip_bytes


def test_zero_length_database_is_refused_never_made_a_new_station(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "station.sqlite3"
    empty.touch()
    code, _, err = run(
        capsys, "init", "--db", str(empty), "--unit-code", "000.21.31.H56", "--unit-name", "UBND xã A"
    )
    assert code == 1 and "rỗng (0 byte)" in err and "motcua restore" in err
    code, _, err = run(capsys, "dossier", "list", "--db", str(empty))
    assert code == 1 and "rỗng" in err
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["station.sqlite3"]


def test_foreign_sqlite_file_is_not_turned_into_a_station(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "ke-toan.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE so_cai (id INTEGER PRIMARY KEY, so_tien INTEGER)")
    conn.close()
    before = digest(other)
    code, _, err = run(capsys, "dossier", "list", "--db", str(other))
    assert code == 1 and "không phải của trạm MotCua" in err
    assert digest(other) == before


def count_dossiers(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        n = int(conn.execute("SELECT count(*) FROM dossiers").fetchone()[0])
    conn.close()
    return n


def test_backup_then_restore_through_the_cli(
    station_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    out = tmp_path / "sao-luu" / "tram.sqlite3"
    code, text, err = run(capsys, "backup", "--db", str(station_file), "--out", str(out))
    assert code == 0 and "đã kiểm tra toàn vẹn" in text, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert count_dossiers(out) == DOSSIERS
    assert not list(out.parent.glob("*-wal"))  # a self-contained file

    # Work continues after the backup, then the file is lost.
    from desk_app.bootstrap import open_station

    app = open_station(station_file, clock=clock)
    app.intake.receive("canbo1", birth_request())
    app.close()
    station_file.write_bytes(b"")

    code, text, err = run(capsys, "restore", str(out), "--db", str(station_file))
    assert code == 0 and "Đã khôi phục" in text, err
    assert count_dossiers(station_file) == DOSSIERS
    kept = [p for p in tmp_path.iterdir() if ".truoc-khoi-phuc-" in p.name]
    assert len(kept) == 1 and kept[0].stat().st_size == 0  # the emptied file, kept as it was
    assert stat.S_IMODE(station_file.stat().st_mode) == 0o600
    code, text, _ = run(capsys, "dossier", "list", "--db", str(station_file))
    assert code == 0 and f"({DOSSIERS} hồ sơ)" in text


def test_backup_is_online_while_the_station_is_open(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app.intake.receive("canbo1", birth_request())
    target = backup(Path(app.db.path), tmp_path / "b.sqlite3")
    app.intake.receive("canbo1", birth_request())  # the station keeps working
    assert count_dossiers(target) == 1


def test_default_backup_goes_beside_the_database(station_file: Path, clock: FakeClock) -> None:
    target = backup(station_file, clock=clock)
    assert target == station_file.parent / "backups" / "station-20261125-090000.sqlite3"
    with pytest.raises(Exception, match="đã có"):
        backup(station_file, clock=clock)  # never overwrites an older backup


@pytest.mark.parametrize("damage", [truncate, flip_bytes, text_file])
def test_restore_refuses_damaged_backup_and_keeps_current(
    station_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[bytes], bytes],
) -> None:
    bad = tmp_path / "bad-backup.sqlite3"
    bad.write_bytes(damage(station_file.read_bytes()))
    before = digest(station_file)
    code, _, err = run(capsys, "restore", str(bad), "--db", str(station_file))
    assert code == 1 and "Tệp sao lưu" in err and "Hãy chọn bản sao lưu khác" in err
    assert "Traceback" not in err
    assert digest(station_file) == before
    assert not [p for p in tmp_path.iterdir() if "khoi-phuc" in p.name]


def test_restore_refuses_a_sqlite_file_that_is_not_a_station(
    station_file: Path, tmp_path: Path, clock: FakeClock
) -> None:
    other = tmp_path / "khac.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(DamagedDatabaseError, match="không phải cơ sở dữ liệu của trạm"):
        restore(other, station_file, clock=clock)
    Database(station_file).close()  # still a healthy station


def test_restore_into_a_new_folder_creates_it_private(
    station_file: Path, tmp_path: Path, clock: FakeClock
) -> None:
    target = backup(station_file, tmp_path / "b.sqlite3")
    result = restore(target, tmp_path / "new" / "station.sqlite3", clock=clock)
    assert result.previous is None and count_dossiers(result.restored) == DOSSIERS
    assert stat.S_IMODE(result.restored.parent.stat().st_mode) == 0o700


def test_missing_database_with_its_wal_left_is_not_made_a_new_station(
    station_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wal = Path(f"{station_file}-wal")
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(60))  # a WAL header left behind
    station_file.unlink()
    code, _, err = run(capsys, "dossier", "list", "--db", str(station_file))
    assert code == 1 and "station.sqlite3-wal" in err and "motcua restore" in err
    assert not station_file.exists()


def test_restore_moves_a_stale_wal_aside_too(station_file: Path, tmp_path: Path, clock: FakeClock) -> None:
    target = backup(station_file, tmp_path / "b.sqlite3")
    wal = Path(f"{station_file}-wal")
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(60))
    station_file.unlink()
    result = restore(target, station_file, clock=clock)
    assert result.previous is not None and Path(f"{result.previous}-wal").exists()
    assert count_dossiers(station_file) == DOSSIERS


def test_restore_refuses_while_the_station_is_open(app, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    path = Path(app.db.path)
    target = backup(path, tmp_path / "b.sqlite3")
    app.queries.page(DossierFilter())  # an idle pooled connection stays open, as in the program
    with pytest.raises(StoreError, match="hãy đóng chương trình"):
        restore(target, path, clock=clock)
    app.close()
    assert restore(target, path, clock=clock).previous is not None
