"""The emulator in a child process, steered through its ``/_emulator/`` control routes.

For ``make demo`` (the DAGs run in ``airflow dags test`` processes of their own) and the
benchmarks (the client measured must not share a GIL with the server answering it).
Tests in one process use :class:`~airflow_provider_whatsapp.testing.emulator.WhatsAppEmulator`.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import httpx


def parse_export(line: str) -> tuple[str, str] | None:
    """``export NAME='value'`` (a start-up line, shell-quoted) -> ``(NAME, value)``;
    ``None`` for any other line."""
    try:
        words = shlex.split(line)
    except ValueError:  # unbalanced quotes: not one of ours
        return None
    if len(words) != 2 or words[0] != "export":
        return None
    name, sep, value = words[1].partition("=")
    return (name, value) if sep and name.isupper() else None


class EmulatorProcess:
    """``python -m airflow_provider_whatsapp.testing <options>``, started by :meth:`start`.

    Its start-up lines (``export WHATSAPP_EMULATOR_URL=...``, ``MATON_API_KEY``,
    ``AIRFLOW_CONN_WHATSAPP_DEFAULT``) land in :attr:`variables`, unquoted; everything it prints
    goes to ``log_path`` when given. Settings changed with :meth:`configure` are lost on
    :meth:`reset` (the emulator restores its start-up settings), so :meth:`reset` takes
    the settings to re-apply.
    """

    def __init__(
        self, *options: str, env: Mapping[str, str] | None = None, log_path: Path | None = None
    ) -> None:
        self.options = options
        self.env = None if env is None else dict(env)
        self.log_path = log_path
        self.variables: dict[str, str] = {}
        self.proc: subprocess.Popen[str] | None = None
        self._http: httpx.Client | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start it and wait until it has printed its connection (``timeout`` seconds)."""
        cmd = [sys.executable, "-m", "airflow_provider_whatsapp.testing", *self.options]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env
        )
        assert self.proc.stdout is not None
        lines: list[str] = []
        ready = threading.Event()
        reader = threading.Thread(
            target=self._drain, args=(self.proc.stdout, lines, ready), daemon=True
        )
        reader.start()
        ready.wait(timeout)
        for line in list(lines):
            assignment = parse_export(line)
            if assignment is not None:
                self.variables[assignment[0]] = assignment[1]
        if "AIRFLOW_CONN_WHATSAPP_DEFAULT" not in self.variables:  # exited, or too slow
            self.stop()
            raise RuntimeError("the emulator did not start:\n" + "".join(lines))
        self._http = httpx.Client(base_url=self.url, timeout=60)
        return self

    def _drain(self, stream: IO[str], lines: list[str], ready: threading.Event) -> None:
        """Read its output for as long as it runs (a full pipe would block it)."""
        log = self.log_path.open("w", encoding="utf-8") if self.log_path else None
        try:
            for line in stream:
                if log is not None:
                    log.write(line)
                    log.flush()
                if not ready.is_set():
                    lines.append(line)
                    assignment = parse_export(line)
                    if assignment and assignment[0] == "AIRFLOW_CONN_WHATSAPP_DEFAULT":
                        ready.set()
        finally:
            ready.set()
            if log is not None:
                log.close()

    def stop(self) -> None:
        """Terminate it (killed if it takes more than 10 s)."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what it printed -------------------------------------------------------------
    @property
    def url(self) -> str:
        """The emulator's base URL (``http://127.0.0.1:PORT``)."""
        return self.variables["WHATSAPP_EMULATOR_URL"]

    @property
    def connection(self) -> dict[str, Any]:
        """The Airflow connection (JSON form) pointing at it."""
        return dict(json.loads(self.variables["AIRFLOW_CONN_WHATSAPP_DEFAULT"]))

    def connection_env(self, conn_id: str = "whatsapp_default", **extra: Any) -> dict[str, str]:
        """``{"AIRFLOW_CONN_<ID>": json}``, with ``extra`` fields added to the connection's."""
        conn = self.connection
        conn["extra"] = {**conn["extra"], **extra}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn)}

    # -- control routes ----------------------------------------------------------------
    def control(self, route: str, body: Any = None) -> Any:
        """GET ``/_emulator/<route>`` (no body) or POST it ``body`` as JSON."""
        if self._http is None:
            raise RuntimeError("the emulator process is not running: call start() first")
        if body is None:
            answer = self._http.get(f"/_emulator/{route}")
        else:
            answer = self._http.post(f"/_emulator/{route}", json=body)
        answer.raise_for_status()
        return answer.json()

    def configure(self, **settings: Any) -> None:
        """Change the emulator's settings (``POST /_emulator/config``), as
        ``WhatsAppEmulator.configure``."""
        self.control("config", settings)

    def reset(self, **settings: Any) -> None:
        """Forget traffic, then apply ``settings`` (rate_limit, latency...)."""
        self.control("reset", {})
        if settings:
            self.configure(**settings)

    def add_template(self, name: str, language: str = "en_US", **spec: Any) -> str:
        """Store a template directly (APPROVED unless ``status`` says otherwise); its id."""
        return str(self.control("templates", {"name": name, "language": language, **spec})["id"])

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, with the emulator's ``received_at`` (its clock: the
        machine's ``time.monotonic`` unless a test froze or advanced it)."""
        return list(self.control("messages"))

    def requests(self) -> list[dict[str, Any]]:
        """Every gateway request, with its answer's status."""
        return list(self.control("requests"))

    def templates(self) -> list[dict[str, Any]]:
        """Every template the emulator holds, with its status."""
        return list(self.control("templates"))
