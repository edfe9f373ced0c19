"""The suite's own rules (tests/conftest.py, pyproject): a logged error or a warning fails a test."""

from __future__ import annotations

import pytest

INNER_TESTS = """
import logging
import warnings

import pytest


def test_unexpected_error_log():
    logging.getLogger("motcua.x").error("hỏng")


@pytest.mark.expect_errors
def test_marked():
    logging.getLogger("motcua.x").error("hỏng")


def test_asserted_through_caplog(caplog):
    logging.getLogger("motcua.x").error("hỏng")
    assert "hỏng" in caplog.text


def test_warning_only():
    logging.getLogger("motcua.x").warning("chú ý")


def test_deprecation():
    warnings.warn("old", DeprecationWarning)
"""


@pytest.mark.expect_errors  # the inner run's records reach this test's log capture too
def test_logged_errors_and_warnings_fail_a_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import _logged_errors_fail_the_test  # noqa: F401\n")
    pytester.makeini("[pytest]\nmarkers =\n    expect_errors: expected\nfilterwarnings =\n    error\n")
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_unexpected_error_log*", "*ERROR motcua.x: hỏng*"]
    )
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::test_deprecation*"])
