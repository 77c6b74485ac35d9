"""pytest plugin (entry point ``whatsapp_emulator``): fixtures serving the emulator.

Loaded in every pytest session of anyone who installs the provider, so importing it must
stay cheap: the emulator (and uvicorn) is only touched when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_whatsapp.testing.emulator import WhatsAppEmulator


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that passes constructor arguments to the fixture."""
    config.addinivalue_line(
        "markers",
        "whatsapp_emulator(**kwargs): WhatsAppEmulator arguments for the whatsapp_emulator "
        "fixture, e.g. @pytest.mark.whatsapp_emulator(rate_limit=None, latency=0.05)",
    )


def _emulator_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("whatsapp_emulator")
    return dict(marker.kwargs) if marker else {}


@pytest.fixture
def whatsapp_emulator(request: pytest.FixtureRequest) -> Iterator[WhatsAppEmulator]:
    """A started :class:`WhatsAppEmulator` on a free loopback port, stopped afterwards.

    Point Airflow's ``whatsapp_default`` connection at it with::

        def test_alert(whatsapp_emulator, monkeypatch):
            for name, value in whatsapp_emulator.connection_env().items():
                monkeypatch.setenv(name, value)   # AIRFLOW_CONN_WHATSAPP_DEFAULT
            whatsapp_emulator.open_window("16505551234")
            ...  # run the hook / operator / dag.test()
            assert whatsapp_emulator.sent_to("16505551234")

    (or use the ``whatsapp_emulator_connection`` fixture, which does the setenv).
    Defaults mirror the real service (10 requests/s, 24-hour window enforced); change
    them with ``@pytest.mark.whatsapp_emulator(rate_limit=None, ...)`` or by assigning
    attributes such as ``whatsapp_emulator.latency = 0.1`` while it runs.
    """
    from airflow_provider_whatsapp.testing.emulator import WhatsAppEmulator

    with WhatsAppEmulator(**_emulator_kwargs(request)) as emulator:
        yield emulator


@pytest.fixture
def whatsapp_emulator_connection(
    whatsapp_emulator: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> WhatsAppEmulator:
    """The ``whatsapp_emulator``, with ``AIRFLOW_CONN_WHATSAPP_DEFAULT`` set to reach it."""
    for name, value in whatsapp_emulator.connection_env().items():
        monkeypatch.setenv(name, value)
    return whatsapp_emulator
