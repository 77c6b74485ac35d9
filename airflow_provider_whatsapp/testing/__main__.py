"""``python -m airflow_provider_whatsapp.testing``: serve the emulator in the foreground.

For demos and other processes (``airflow dags test`` in a shell): prints the URL, the key
and the ``AIRFLOW_CONN_WHATSAPP_DEFAULT`` line, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
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
        help="numbers whose 24-hour window is open",
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
        help="also write the variables as shell assignments to this file",
    )
    return p


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
        emulator.open_window(*args.open_window)
        variables = {
            "WHATSAPP_EMULATOR_URL": emulator.url,
            "MATON_API_KEY": emulator.api_key,
            **emulator.connection_env(),
        }
        for name, value in variables.items():
            print(f"{name}={value}")
        sys.stdout.flush()
        print(f"control routes (OpenAPI): {emulator.url}/_emulator/docs", file=sys.stderr)
        if args.env_file:
            with open(args.env_file, "w", encoding="utf-8") as fh:
                fh.writelines(f"{n}={shlex.quote(v)}\n" for n, v in variables.items())
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
