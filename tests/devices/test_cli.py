from __future__ import annotations

import argparse
import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desk_app.devices import cli
from desk_app.devices.simulators import LedBoardSimulator, PrinterSimulator

ROOT = Path(__file__).resolve().parents[2]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_simulate_prints_ports_and_tickets() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from desk_app.cli import main; sys.exit(main(sys.argv[1:]))",
         "devices", "simulate"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        printer_line = proc.stdout.readline().strip()
        led_line = proc.stdout.readline().strip()
        assert printer_line.startswith("printer=/dev/") and led_line.startswith("led=/dev/")
        port = printer_line.split("=", 1)[1]
        assert os.path.exists(port)
        assert _run(["devices", "test-printer", "--port", port, "--mode", "tcvn3"]) == 0
        seen = [proc.stdout.readline().strip() for _ in range(4)]
        assert seen[0] == "--- phiếu ---" and "SỐ THỨ TỰ" in seen
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=5)  # also closes the pipes
    assert proc.returncode == 0


def test_test_printer_and_display(capsys: pytest.CaptureFixture[str]) -> None:
    with PrinterSimulator() as printer, LedBoardSimulator() as led:
        assert _run(["devices", "test-printer", "--port", printer.port]) == 0
        assert "Kiểm tra tiếng Việt: ăâêôơưđ ÀẢÃÁẠ Ỳỷỹýỵ" in printer.tickets[0].lines
        assert _run(["devices", "test-display", "--port", led.port, "--address", "4"]) == 0
        assert led.text(4) == "1023" and led.text(0) == "1023 -> 4"
        printer.set_state("paper_out")
        assert _run(["devices", "test-printer", "--port", printer.port]) == 1
    err = capsys.readouterr().err
    assert "Lỗi: Máy in số thứ tự đã hết giấy" in err


def test_list_ports(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["devices", "list"]) == 0
    assert capsys.readouterr().out


def test_no_qt_in_devices() -> None:
    for path in (ROOT / "desk_app" / "devices").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] in ("PySide6", "PyQt5", "PyQt6") for n in names), path


def test_simulators_clean_up() -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with PrinterSimulator() as sim, LedBoardSimulator():
            assert os.path.exists(sim.port)
    time.sleep(0.05)
    assert len(os.listdir("/proc/self/fd")) <= before
