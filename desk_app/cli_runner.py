"""Running a command line the way a Unix tool should: the one place that turns
failures into a Vietnamese message and an exit status.

Shared by ``motcua`` (desk_app/cli.py) and ``motcua-central`` (central/cli.py):
pure standard library, so the server may import it. An expected failure prints
"Lỗi: …" on stderr and exits 1; a bug says so and shows its traceback only with
``-v``; a closed pipe (``motcua dossier list | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from desk_app.domain.errors import DomainError

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a C tool killed by the closed pipe reports


class UsageError(Exception):
    """A bad command line; the message is Vietnamese."""


# argparse's own messages are English; the common ones in Vietnamese.
_ARGPARSE_MESSAGES = (
    (
        re.compile(r"argument (?P<arg>\S+): invalid (?P<kind>int|float) value: (?P<val>.+)"),
        "tham số {arg}: {val} không phải là số",
    ),
    (
        re.compile(r"argument (?P<arg>\S+): invalid choice: (?P<val>\S+) \(choose from (?P<choices>.+)\)"),
        "tham số {arg}: giá trị {val} không hợp lệ (chọn một trong: {choices})",
    ),
    (
        re.compile(r"argument (?P<arg>\S+): invalid \S+ value: (?P<val>.+)"),
        "tham số {arg}: giá trị {val} không hợp lệ",
    ),
    (re.compile(r"argument (?P<arg>\S+): expected one argument"), "tham số {arg} cần một giá trị"),
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "thiếu tham số bắt buộc: {args}"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "tham số không hợp lệ: {args}"),
)


def _vietnamese_usage_message(message: str) -> str:
    for pattern, template in _ARGPARSE_MESSAGES:
        if m := pattern.fullmatch(message.strip()):
            return template.format(**m.groupdict())
    return message


class VietnameseArgumentParser(argparse.ArgumentParser):
    """Raises instead of exiting, so ``main`` reports every failure the same way."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {_vietnamese_usage_message(message)}. Xem “{self.prog} -h”.")


_OS_ERRORS = {
    errno.ENOENT: "không tồn tại",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không có quyền truy cập",
    errno.EISDIR: "đây là một thư mục",
    errno.ENOTDIR: "đường dẫn không phải thư mục",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EROFS: "ổ đĩa chỉ cho phép đọc",
}


def describe_common_failure(exc: BaseException, path: Path | str | None = None) -> str | None:
    """Vietnamese message for failures every command line shares (domain rule, usage, files)."""
    if isinstance(exc, DomainError | UsageError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        name = exc.filename or path or ""
        return f"Không dùng được tệp “{name}”: {_OS_ERRORS[exc.errno]}."
    return None


def _quiet_broken_pipe() -> int:
    # The reader went away (`motcua dossier list | head`): stop quietly. Point stdout
    # at /dev/null so the interpreter's final flush does not fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def run_command(
    make_parser: Callable[[], argparse.ArgumentParser],
    argv: Sequence[str],
    describe: Callable[[BaseException, argparse.Namespace | None], str | None],
    check: Callable[[argparse.Namespace], None] | None = None,
) -> int:
    """Parse ``argv`` and run the chosen command: the one place (for ``motcua`` and
    ``motcua-central``) that turns failures into exit statuses. An expected failure
    (``describe`` returns a message) prints "Lỗi: …" on stderr and returns 1; an
    unexpected one says so; the traceback only with ``-v``. A closed pipe ends quietly."""
    verbose = bool({"-v", "--verbose"} & set(argv[:1]))
    args: argparse.Namespace | None = None
    try:
        parser = make_parser()
        args = parser.parse_args(argv)
        verbose = bool(getattr(args, "verbose", verbose))
        logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if check is not None:
            check(args)
        result = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler
        return int(result or 0)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - turns every failure into a message and an exit status
        message = describe(exc, args)
        if verbose:
            traceback.print_exc(file=sys.stderr)
        if message is None:  # a bug: say so, the details are one -v away
            message = f"lỗi không mong đợi ({type(exc).__name__}: {exc})."
            if not verbose:
                message += " Chạy lại với -v để xem chi tiết và báo cho bộ phận kỹ thuật."
        print(f"Lỗi: {message}", file=sys.stderr)
        return EXIT_FAILURE
