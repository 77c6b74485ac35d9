"""Suite-wide set-up: an isolated Airflow home on SQLite, migrated once per session."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from airflow_provider_whatsapp.testing import WhatsAppEmulator

REPO = Path(__file__).resolve().parent.parent

# Before anything imports Airflow: its settings are read at import time.
_home = Path(
    os.environ.get("WHATSAPP_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="airflow-home-")
)
os.environ["AIRFLOW_HOME"] = str(_home)
# The repository is the DAGs folder: the test DAGs (tests/dags/) and the example DAGs
# (example_dags/) both run by dag.test(), which needs a DAG file inside it.
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_home}/airflow.db")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
os.environ.pop("MATON_API_KEY", None)
# One Fernet key for this process and the subprocesses it starts (a killed-worker test):
# Variables written by one must decrypt in the other.
if "AIRFLOW__CORE__FERNET_KEY" not in os.environ:
    from cryptography.fernet import Fernet

    os.environ["AIRFLOW__CORE__FERNET_KEY"] = Fernet.generate_key().decode()


# Property tests judge values, not speed: a shared CI machine must not fail one for a slow
# example (Hypothesis' default 200 ms deadline). HYPOTHESIS_PROFILE picks another profile.
settings.register_profile("whatsapp", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "whatsapp"))


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Migrate the metadata database once (``dag.test()`` needs it)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return _home


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[WhatsAppEmulator]:
    """One emulator (rate limit off) for the tests that reset it instead of starting their
    own: starting uvicorn per test would dominate the suite's runtime."""
    from airflow_provider_whatsapp.testing import WhatsAppEmulator

    with WhatsAppEmulator(rate_limit=None) as emulator:
        yield emulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emu(**options): how the `emu` fixture sets the shared emulator up for a test, "
        "class or module: emulator settings by name (latency=0.01, enforce_window=False), "
        "open_window=[numbers], connection={extras} (whatsapp_default points at it)",
    )


@pytest.fixture
def emu(
    shared_emulator: WhatsAppEmulator,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> WhatsAppEmulator:
    """The shared emulator, reset to its constructor state (traffic, settings, clock),
    set up as the closest ``@pytest.mark.emu(...)`` asks:

    - emulator settings by name, e.g. ``latency=0.01, enforce_window=False``;
    - ``open_window``: numbers that wrote in just now (free-form messages allowed);
    - ``connection``: extras of an Airflow connection ``whatsapp_default`` pointing at it,
      e.g. ``{"rate_limit": 0, "max_retries": 0}`` (``{}``: the plain connection).

    ``MATON_API_KEY`` is never set: the key a test means is the connection's.
    """
    shared_emulator.reset()
    monkeypatch.delenv("MATON_API_KEY", raising=False)
    marker = request.node.get_closest_marker("emu")
    options = dict(marker.kwargs) if marker else {}
    windows = options.pop("open_window", ())
    connection = options.pop("connection", None)
    shared_emulator.configure(**options)
    shared_emulator.open_window(*windows)
    if connection is not None:
        for name, value in shared_emulator.connection_env(**connection).items():
            monkeypatch.setenv(name, value)
    return shared_emulator
