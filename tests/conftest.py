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


@pytest.fixture
def emu(shared_emulator: WhatsAppEmulator) -> WhatsAppEmulator:
    """The shared emulator, reset to its constructor state (traffic and settings)."""
    shared_emulator.reset()
    return shared_emulator
