"""Device settings: stored in the station database, validated in Vietnamese."""

from __future__ import annotations

from typing import Any

import pytest

from desk_app.domain.errors import ValidationError
from desk_app.roles import (
    DeviceSettings,
    load_device_settings,
    parse_roles,
    save_device_settings,
)


def test_fresh_station_is_a_counter_with_a_local_queue(app: Any) -> None:
    s = load_device_settings(app)
    assert s.roles == ("counter",)
    assert s.queue_is_local and not s.printer_port


def test_round_trip_through_the_station_database(app: Any) -> None:
    s = DeviceSettings(
        roles=("display", "kiosk", "counter", "queue-host"),  # any order in, canonical order out
        printer_port="/dev/ttyUSB0",
        printer_baud=19200,
        printer_flow="rtscts",
        printer_mode="tcvn3",
        led_port="/dev/ttyS1",
        led_baud=115200,
        queue_url="http://192.168.1.10:8765",
        queue_secret="bi-mat-12345",
        host_listen="0.0.0.0",
        host_port=9000,
        kiosk_pin="975310",
        counter_no=3,
    )
    assert s.roles == ("counter", "kiosk", "display", "queue-host")
    save_device_settings(app, s)
    assert load_device_settings(app) == s
    with app.station.uow(write=False) as uow:
        stored = uow.meta.get_json("settings")["devices"]
    assert stored["roles"] == ["counter", "kiosk", "display", "queue-host"]
    assert stored["printer_mode"] == "tcvn3"


def test_unknown_keys_from_a_newer_version_are_ignored(app: Any) -> None:
    with app.station.uow() as uow:
        uow.meta.set_json(
            "settings",
            {"version": 9, "devices": {"roles": ["kiosk"], "printer_port": "COM3", "future": 1}, "x": 2},
        )
        uow.commit()
    s = load_device_settings(app)
    assert s.roles == ("kiosk",) and s.printer_port == "COM3"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"roles": ("counter", "quay")}, "roles", "Vai trò không hợp lệ"),
        ({"kiosk_pin": "12a4"}, "kiosk_pin", "4 đến 8 chữ số"),
        ({"queue_secret": "ngắn"}, "queue_secret", "ít nhất 8 ký tự"),
        ({"queue_secret": "mật-khẩu-dài"}, "queue_secret", "không dấu"),
        ({"queue_url": "192.168.1.10"}, "queue_url", "http://192.168.1.10:8765"),
        ({"printer_baud": 7}, "printer_baud", "Tốc độ truyền"),
        ({"host_port": 70000}, "host_port", "1–65535"),
        ({"printer_mode": "utf8"}, "printer_mode", "cp1258, tcvn3 hoặc raster"),
        ({"counter_no": 0}, "counter_no", "1 đến 99"),
    ],
)
def test_invalid_values_are_refused_in_vietnamese(
    app: Any, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        save_device_settings(app, DeviceSettings().replace(**changes))
    assert err.value.field == field and words in str(err.value)
    assert load_device_settings(app) == DeviceSettings()  # nothing stored


def test_parse_roles() -> None:
    assert parse_roles("counter, Kiosk,queue_host") == ("counter", "Kiosk".lower(), "queue-host")
    with pytest.raises(ValidationError, match="tv"):
        parse_roles("counter,tv")


def test_warnings_name_half_configured_roles() -> None:
    w = DeviceSettings(roles=("kiosk", "queue-host")).warnings()
    assert any("cổng máy in" in x for x in w)
    assert any("mã bí mật" in x for x in w)
    assert any("PIN mặc định" in x for x in w)
    assert DeviceSettings(roles=("counter",)).warnings() == []
