"""The one owner of settings: typed record, lenient reading, validated writing, one-time upgrade."""

from __future__ import annotations

from typing import Any

import pytest

from desk_app.domain.errors import ValidationError
from desk_app.settings import (
    LEGACY_KEYS,
    META_SETTINGS,
    CounterEntry,
    DeviceSettings,
    Printers,
    ServerSettings,
    Settings,
    from_legacy,
)


def test_fresh_station_has_defaults_and_nothing_stored(app: Any) -> None:
    assert app.settings.load() == Settings()
    with app.station.uow(write=False) as uow:
        assert uow.meta.get(META_SETTINGS) is None


def test_round_trip(app: Any) -> None:
    settings = Settings(
        devices=DeviceSettings(roles=("counter", "kiosk"), printer_port="COM3", scanner_port="COM9"),
        counters=(CounterEntry(1, "Hộ tịch"), CounterEntry(2, "Đất đai")),
        sections=("Bộ phận Tư pháp",),
        printers=Printers(a4="HP A4", a5="Canon A5"),
        server=ServerSettings("https://motcua.example.vn", ""),
        receipt_copies=2,
    )
    app.settings.save(settings)
    assert app.settings.load() == settings


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (Settings(receipt_copies=3), "receipt_copies"),
        (Settings(counters=(CounterEntry(1), CounterEntry(1))), "counters"),
        (Settings(server=ServerSettings("motcua.example.vn")), "server_url"),
        (Settings(devices=DeviceSettings(scanner_baud=5)), "scanner_baud"),
    ],
)
def test_invalid_settings_are_refused_and_nothing_is_stored(app: Any, settings: Settings, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        app.settings.save(settings)
    assert err.value.field == field
    assert app.settings.load() == Settings()


def test_a_broken_part_falls_back_to_its_default_alone() -> None:
    s = Settings.from_dict({"counters": "nonsense", "printers": {"a5": "Canon"}, "receipt_copies": "x"})
    assert s.counters == () and s.printers == Printers(a5="Canon")
    assert s.receipt_copies == Settings().receipt_copies == 2


def test_edit_keeps_what_it_does_not_change(app: Any) -> None:
    app.settings.save_devices(DeviceSettings(roles=("counter", "queue-host"), queue_secret="bi-mat-12345"))
    app.settings.edit(lambda s: s.replace(printers=Printers(a5="Canon")))
    loaded = app.settings.load()
    assert loaded.devices.roles == ("counter", "queue-host") and loaded.printers.a5 == "Canon"


def _write_old_keys(app: Any, values: dict[str, Any]) -> None:
    with app.station.uow() as uow:
        for key, value in values.items():
            uow.meta.set_json(key, value)
        uow.commit()


def test_upgrade_folds_the_old_keys_once_and_deletes_them(app: Any) -> None:
    _write_old_keys(
        app,
        {
            "settings.devices": {"roles": ["counter", "kiosk"], "printer_port": "/dev/ttyUSB0"},
            "settings.serial": {
                "ticket_printer": {"port": "/dev/ttyUSB9", "baud": 19200},  # stale: devices wins
                "led_board": {"port": "COM5", "baud": 9600},  # devices had none: taken
                "scanner": {"port": "COM7", "baud": 115200},
            },
            "settings.counter_no": 2,
            "settings.counters": [{"no": 1, "name": "Hộ tịch"}],
            "settings.sections": ["Tư pháp"],
            "settings.printers": {"a4": "", "a5": "Canon"},
            "settings.server": {"url": "https://motcua.example.vn", "enrol_code": "ABC"},
            "settings.receipt_copies": 2,
        },
    )
    assert app.settings.upgrade() is True
    s = app.settings.load()
    d = s.devices
    assert (d.roles, d.printer_port, d.led_port, d.scanner_port, d.scanner_baud, d.counter_no) == (
        ("counter", "kiosk"),
        "/dev/ttyUSB0",
        "COM5",
        "COM7",
        115200,
        2,
    )
    assert s.counters == (CounterEntry(1, "Hộ tịch"),) and s.sections == ("Tư pháp",)
    assert s.printers.a5 == "Canon" and s.server.url == "https://motcua.example.vn"
    assert s.receipt_copies == 2
    with app.station.uow(write=False) as uow:
        assert [k for k in LEGACY_KEYS if uow.meta.get(k) is not None] == []
    assert app.settings.upgrade() is False  # once


def test_opening_the_station_upgrades(tmp_path: Any, clock: Any) -> None:
    from desk_app.bootstrap import open_station

    path = tmp_path / "old.sqlite3"
    app = open_station(path, clock=clock)
    _write_old_keys(app, {"settings.serial": {"ticket_printer": {"port": "COM4", "baud": 9600}}})
    app.close()
    app = open_station(path, clock=clock)
    try:
        assert app.settings.load().devices.printer_port == "COM4"
    finally:
        app.close()


def test_legacy_dialog_ports_fill_empty_device_settings() -> None:
    s = from_legacy(
        {"settings.serial": {"ticket_printer": {"port": "COM4", "baud": 19200}}, "settings.counter_no": 3}
    )
    assert (s.devices.printer_port, s.devices.printer_baud, s.devices.counter_no) == ("COM4", 19200, 3)


def test_old_keys_are_read_until_the_upgrade_could_write(app: Any) -> None:
    _write_old_keys(app, {"settings.serial": {"ticket_printer": {"port": "COM4", "baud": 9600}}})
    assert app.settings.load().devices.printer_port == "COM4"  # not upgraded yet, still read
