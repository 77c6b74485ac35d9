"""Suite-wide set-up: an isolated Airflow home on SQLite, migrated once per session."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent

# Before anything imports Airflow: its settings are read at import time.
_home = Path(
    os.environ.get("WHATSAPP_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="airflow-home-")
)
os.environ["AIRFLOW_HOME"] = str(_home)
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "tests" / "dags"))
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


@pytest.fixture
def whatsapp_conn(whatsapp_emulator, monkeypatch):  # type: ignore[no-untyped-def]
    """``whatsapp_default`` pointed at a running emulator, through the env var Airflow reads."""
    for name, value in whatsapp_emulator.connection_env().items():
        monkeypatch.setenv(name, value)
    return whatsapp_emulator
