"""Signing fixtures: one test PKI and one SoftHSM2 token per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.attachments.pki import TestPki, make_pki, make_softhsm_token, softhsm_module


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def softhsm(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The SoftHSM2 module path; the token (key + certificate) is ready.

    SoftHSM reads SOFTHSM2_CONF once, when the module is first initialised in
    this process, so the token lives for the whole session.
    """
    module = softhsm_module()
    if module is None:
        pytest.fail("softhsm2 is not installed (./dev setup installs it)")
    env = make_softhsm_token(pki, tmp_path_factory.mktemp("softhsm"), module)
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = env["SOFTHSM2_CONF"]
    yield module
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


# The sync suite's PostgreSQL cluster and live server, for the file sync tests.
from tests.sync.conftest import pg_cluster  # noqa: E402,F401
