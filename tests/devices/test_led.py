from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.devices.api import CallAnnouncement, DeviceNotFoundError
from desk_app.devices.led import (
    DisplayBoardError,
    LedBoardDriver,
    LedFrame,
    LedReply,
    MotCuaLedProtocol,
)
from desk_app.devices.simulators import LedBoardSimulator

PROTO = MotCuaLedProtocol()


def test_frame_bytes_match_the_documented_example() -> None:
    # docs/led-protocol.md, example 1: counter 3 shows "A023", blinking (0x03 = ETX is escaped).
    frame = PROTO.encode_show(3, "A023", blink=True)
    assert frame == bytes.fromhex("02 10 23 53 01 04 41 30 32 33 25 03")
    assert PROTO.encode_show(0, "1023 -> 3", blink=True) == bytes.fromhex(
        "02 00 53 01 09 31 30 32 33 20 2d 3e 20 33 7b 03"
    )
    # Vietnamese is folded to ASCII capitals.
    assert PROTO.encode_show(1, "Quầy số 1", blink=False)[5:-2] == b"QUAY SO 1"
    assert PROTO.encode_reply(3, True) == bytes.fromhex("02 10 23 06 00 00 05 03")
    assert PROTO.encode_reply(3, False, PROTO.NAK_CHECKSUM) == bytes.fromhex("02 10 23 15 00 01 01 16 03")
    assert PROTO.encode_clear(3) == bytes.fromhex("02 10 23 43 00 00 40 03")


def test_escaping_of_reserved_bytes() -> None:
    frame = PROTO.encode_show(2, "", blink=False)  # address 0x02 = STX must be escaped
    assert frame == bytes.fromhex("02 10 22 53 00 00 51 03")
    frames, rest = PROTO.decode_frames(frame)
    assert rest == b"" and frames == [LedFrame(2, 0x53, 0, b"")]


@given(
    st.integers(0, 254),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=32),
    st.booleans(),
)
def test_frame_round_trip(address: int, text: str, blink: bool) -> None:
    noise = b"\x00\x03garbage"
    frames, rest = PROTO.decode_frames(noise + PROTO.encode_show(address, text, blink) + b"\x02\x01")
    assert frames == [LedFrame(address, PROTO.CMD_SHOW, int(blink), text.upper().encode())]
    assert rest == b"\x02\x01"  # an unfinished frame stays buffered


def test_replies() -> None:
    assert PROTO.parse_reply(PROTO.encode_reply(7, True)) == LedReply(7, True)
    assert PROTO.parse_reply(PROTO.encode_reply(7, False, PROTO.NAK_CHECKSUM)) == LedReply(7, False, 1)
    assert PROTO.parse_reply(PROTO.encode_reply(7, True)[:-1]) is None
    corrupted = bytearray(PROTO.encode_show(3, "A023", True))
    corrupted[-2] ^= 0xFF
    assert PROTO.decode_frames(bytes(corrupted))[0][0].checksum_ok is False


def test_show_call_through_the_simulator(led_sim: LedBoardSimulator) -> None:
    with LedBoardDriver(led_sim.port, 9600) as board:
        board.show_call(CallAnnouncement("A023", 3, "Hộ tịch"))
        board.show_call(CallAnnouncement("1024", 12))
        board.show(5, "Tạm nghỉ", blink=False)
    assert led_sim.text(0) == "1024 -> 12"
    assert led_sim.text(3) == "A023"
    assert led_sim.text(12) == "1024"
    assert led_sim.text(5) == "TAM NGHI"
    assert led_sim.boards[12].blink and not led_sim.boards[5].blink


def test_nak_is_reported(led_sim: LedBoardSimulator) -> None:
    class CorruptingProtocol(MotCuaLedProtocol):
        def encode_show(self, address: int, text: str, blink: bool) -> bytes:
            frame = bytearray(super().encode_show(address, text, blink))
            frame[-2] ^= 0x01  # damaged on the line: wrong checksum
            return bytes(frame)

    with LedBoardDriver(led_sim.port, protocol=CorruptingProtocol()) as board:
        started = time.monotonic()
        with pytest.raises(DisplayBoardError, match="mã lỗi 1"):
            board.show(4, "X")
        assert time.monotonic() - started < 0.3  # a NAK answers at once, no timeout
    assert led_sim.text(4) is None


def test_pulled_cable_does_not_block(led_sim: LedBoardSimulator) -> None:
    with LedBoardDriver(led_sim.port) as board:
        board.show_call(CallAnnouncement("A001", 1))
        led_sim.unplugged = True
        started = time.monotonic()
        with pytest.raises(DisplayBoardError, match="không phản hồi"):
            board.show_call(CallAnnouncement("A002", 1))
        assert time.monotonic() - started < 1.5
        led_sim.unplugged = False  # plugged back: the next call works
        board.show_call(CallAnnouncement("A003", 1))
    assert led_sim.text(1) == "A003"


def test_missing_board_address() -> None:
    with LedBoardSimulator(addresses={0}) as sim, LedBoardDriver(sim.port) as board:
        with pytest.raises(DisplayBoardError, match="quầy số 9"):
            board.show_call(CallAnnouncement("A001", 9))
        assert sim.text(0) == "A001 -> 9"  # the main board was still updated


def test_port_vanishes_then_missing() -> None:
    sim = LedBoardSimulator().start()
    board = LedBoardDriver(sim.port)
    board.show(1, "1")
    sim.stop()
    started = time.monotonic()
    with pytest.raises((DisplayBoardError, DeviceNotFoundError)):
        board.show(1, "2")
    with pytest.raises(DeviceNotFoundError, match="Không mở được cổng"):
        board.show(1, "3")
    assert time.monotonic() - started < 1.5
    board.close()
