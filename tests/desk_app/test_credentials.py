"""The station's sync token lives in the OS credential store or an encrypted file (issue 10.8)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from desk_app import config, credentials

TOKEN = "tok-7f3a9c1e5b2d4a68"


@pytest.fixture
def file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(credentials.BACKEND_ENV, "file")
    credentials._cache.clear()
    old = os.umask(0o022)
    try:
        yield tmp_path / "data"
    finally:
        os.umask(old)
        credentials._cache.clear()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_encrypted_file_store_round_trip(file_store: Path) -> None:
    folder = file_store / "tram"
    assert credentials.get_token("dev-1", folder=folder) is None
    credentials.set_token("dev-1", TOKEN, folder=folder)
    credentials._cache.clear()
    assert credentials.get_token("dev-1", folder=folder) == TOKEN
    sealed = folder / credentials.TOKEN_FILE
    key = config.config_dir() / credentials.KEY_FILE
    assert TOKEN not in sealed.read_text() and mode(sealed) == 0o600 and mode(key) == 0o600
    assert key.parent != sealed.parent  # the key is not kept beside what it opens
    credentials.delete_token("dev-1", folder=folder)
    assert credentials.get_token("dev-1", folder=folder) is None


def test_token_file_without_its_key_reads_as_not_enrolled(file_store: Path) -> None:
    credentials.set_token("dev-1", TOKEN, folder=file_store)
    (config.config_dir() / credentials.KEY_FILE).unlink()  # e.g. the data folder copied to another PC
    credentials._cache.clear()
    assert credentials.get_token("dev-1", folder=file_store) is None


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS store (none runs on this headless machine)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


def test_os_store_is_used_when_there_is_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(credentials.BACKEND_ENV, raising=False)
    credentials._cache.clear()
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    try:
        credentials.set_token("dev-2", TOKEN, folder=tmp_path)
        assert store.items == {(credentials.SERVICE, "dev-2"): TOKEN}
        assert not (tmp_path / credentials.TOKEN_FILE).exists()
        credentials._cache.clear()
        assert credentials.get_token("dev-2", folder=tmp_path) == TOKEN
        credentials.delete_token("dev-2", folder=tmp_path)
        assert store.items == {}
    finally:
        keyring.set_keyring(previous)
        credentials._cache.clear()


def test_plain_token_of_an_older_version_moves_out_of_the_database(app, file_store: Path) -> None:  # type: ignore[no-untyped-def]
    with app.station.uow() as uow:
        uow.meta.set("sync_token", TOKEN)
        uow.commit()
    assert credentials.station_token(app.station) == TOKEN
    with app.station.uow(write=False) as uow:
        assert uow.meta.get("sync_token") is None
    credentials._cache.clear()
    assert credentials.station_token(app.station) == TOKEN  # now from the store
    path = Path(app.db.path)
    app.close()  # checkpoints the WAL into the file
    assert TOKEN.encode() not in path.read_bytes()
