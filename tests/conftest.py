"""Shared fixtures for the whole test suite.

* ``companies`` / ``disclosures``: the bundled universe and cited disclosures, loaded once per session (tests
  must not modify them; take a ``.copy()`` first).
* ``core_fixture_dir``, ``core_companies``, ``core_disclosures``: the tiny frozen fixture with hand-computed
  scores (``tests/fixtures/core``).
* hypothesis profiles: ``ci`` (default: few examples, no deadline) and ``dev`` (more examples); choose with
  ``HYPOTHESIS_PROFILE=dev``.
* no network: every test runs with ``socket.socket.connect`` blocked for non-local addresses.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# charts are rendered headless in every test (the plotting module never picks a backend itself)
os.environ.setdefault("MPLBACKEND", "Agg")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORE_FIXTURES = FIXTURES / "core"

settings.register_profile("ci", max_examples=10, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ------------------------------------------------------------------------------------------------ no network
class NetworkBlockedError(RuntimeError):
    """Raised when a test tries to open a network connection."""


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def _is_local(sock: socket.socket, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", object()):
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    return isinstance(host, str) and (host in _LOCAL_HOSTS or host.startswith("127."))


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_local(self, address):
        raise NetworkBlockedError(f"network access is blocked in tests (tried to connect to {address!r})")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(self, address):
        raise NetworkBlockedError(f"network access is blocked in tests (tried to connect to {address!r})")
    return _real_connect_ex(self, address)


@pytest.fixture(scope="session", autouse=True)
def _no_network():
    """Block real network for the whole session (one monkeypatch, undone at the end)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield
    mp.undo()


# ------------------------------------------------------------------------------------------------ bundled data
@pytest.fixture(scope="session")
def companies():
    """The bundled company universe (``data/companies.csv``), loaded once. Do not modify."""
    from esglib import bundled

    return bundled.companies()


@pytest.fixture(scope="session")
def disclosures(companies):
    """The bundled cited disclosures (``data/disclosures.csv``), validated once. Do not modify."""
    from esglib.inputs import DATA_DIR, load_disclosures

    return load_disclosures(DATA_DIR / "disclosures.csv", companies)


# ------------------------------------------------------------------------------------------------ core fixture
@pytest.fixture(scope="session")
def core_fixture_dir() -> Path:
    """Folder of the tiny frozen core fixture (hand-computed answer in its README)."""
    return CORE_FIXTURES


@pytest.fixture(scope="session")
def core_companies(core_fixture_dir):
    from esglib.inputs import load_companies

    return load_companies(core_fixture_dir / "companies.csv")


@pytest.fixture(scope="session")
def core_disclosures(core_fixture_dir, core_companies):
    from esglib.inputs import load_disclosures

    return load_disclosures(core_fixture_dir / "disclosures.csv", core_companies)
