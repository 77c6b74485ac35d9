"""``python -m airflow_provider_whatsapp.testing``: serve the emulator in the foreground.

For demos and other processes (``airflow dags test`` in a shell): prints the URL, the key
and the ``AIRFLOW_CONN_WHATSAPP_DEFAULT`` connection as ``export NAME=value`` lines quoted
for a POSIX shell (paste them into bash), optionally writes them to an env file, then
serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .emulator import WhatsAppEmulator
from .settings import add_arguments, from_arguments


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m airflow_provider_whatsapp.testing", description=__doc__
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--api-key", default="emulator-key", help="the Maton API key to accept")
    add_arguments(p)
    p.add_argument(
        "--open-window",
        nargs="*",
        default=[],
        metavar="PHONE",
        help="numbers whose 24-hour window is open ('+1 650 555 1234' or 16505551234)",
    )
    p.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="NAME[:LANGUAGE]",
        help="an APPROVED template with body 'Hello {{1}}' (repeatable)",
    )
    p.add_argument(
        "--env-file",
        default=None,
        metavar="PATH",
        help="also write the variables to this file, in the --env-format "
        "(shell: load it with 'set -a; . PATH; set +a')",
    )
    p.add_argument(
        "--env-format",
        choices=("shell", "docker"),
        default="shell",
        help="shell (default): NAME='value', quoted as a POSIX shell reads it; docker: "
        "NAME=value unquoted, for 'docker run --env-file' (which keeps quotes as part "
        "of the value)",
    )
    return p


def env_lines(variables: dict[str, str], env_format: str = "shell") -> list[str]:
    """``NAME=value`` lines: shell-quoted for ``.``/``source`` (``shell``), or raw for
    ``docker run --env-file`` (``docker``: it takes everything after ``=`` literally, so
    quotes would end up inside the value; a value must then hold no newline)."""
    if env_format == "docker":
        return [f"{name}={value}" for name, value in variables.items()]
    return [f"{name}={shlex.quote(value)}" for name, value in variables.items()]


def write_env_file(path: str, lines: list[str]) -> None:
    """Write ``lines`` to ``path`` whole: a reader sees the old file or the new one."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    partial.replace(target)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until a signal arrives; returns the exit status."""
    args = _parser().parse_args(argv)
    templates = []
    for item in args.template:
        name, _, language = item.partition(":")
        templates.append({"name": name, "language": language or "en_US"})
    try:
        emulator = WhatsAppEmulator(
            api_key=args.api_key, port=args.port, templates=templates, **from_arguments(args)
        )
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with emulator:
        try:
            emulator.open_window(*args.open_window)
        except ValueError as exc:
            raise SystemExit(f"--open-window: {exc}") from exc
        variables = {
            "WHATSAPP_EMULATOR_URL": emulator.url,
            "MATON_API_KEY": emulator.api_key,
            **emulator.connection_env(),
        }
        if args.env_file:  # before the lines below: whoever reads them finds the file
            write_env_file(args.env_file, env_lines(variables, args.env_format))
        for line in env_lines(variables):
            print(f"export {line}")
        sys.stdout.flush()
        print(f"control routes (OpenAPI): {emulator.url}/_emulator/docs", file=sys.stderr)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
