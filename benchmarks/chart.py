"""The rate-ceiling chart: messages per second over time, ours against the sequential loop.

Reads ``benchmarks/results/rate_ceiling.json`` when run alone
(``python -m benchmarks.chart``) and writes ``benchmarks/rate_ceiling.png``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS, ROOT

PNG = ROOT / "rate_ceiling.png"
OURS_COLOUR = "#128C7E"  # WhatsApp teal
BASE_COLOUR = "#E07A1F"


def draw(data: dict[str, Any], path: Path = PNG) -> Path:
    """Two panels: per-second rate (with the limit) on top, cumulative messages below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours, base, limit = data["ours"], data["sequential"], data["limit_per_s"]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6.4), sharex=True, height_ratios=[3, 2], constrained_layout=True
    )
    for run, colour, label in (
        (ours, OURS_COLOUR, f"bulk operator: {run_label(ours)}"),
        (base, BASE_COLOUR, f"sequential send_message loop: {run_label(base)}"),
    ):
        counts = run["per_second"]
        seconds = list(range(len(counts) + 1))
        top.stairs(counts, seconds, baseline=None, color=colour, linewidth=2.2, label=label)
        stamps = run["arrivals_s"]
        bottom.plot(stamps, range(1, len(stamps) + 1), color=colour, linewidth=2)
    top.axhline(limit, color="#B00020", linestyle=(0, (4, 3)), linewidth=1.2, zorder=5)
    top.text(0.3, limit + 0.3, f"gateway limit {limit}/s (sliding 1 s window)", color="#B00020")
    top.set_ylim(0, limit * 1.35)
    top.set_ylabel("messages accepted per second")
    top.set_title(
        f"Rate ceiling, ours vs a sequential loop: {ours['messages']} messages, {limit} req/s, "
        f"{data['latency_s'] * 1000:.0f} ms latency ({ours['count_429']} x 429 for the operator)"
    )
    top.legend(loc="lower center", framealpha=0.95)
    top.grid(alpha=0.3)
    bottom.set_ylabel("messages sent (cumulative)")
    bottom.set_xlabel("seconds since the first message reached the gateway")
    bottom.grid(alpha=0.3)
    bottom.set_xlim(0, max(base["arrivals_s"][-1], ours["arrivals_s"][-1]) + 1)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run_label(run: dict[str, Any]) -> str:
    return f"{run['sustained_msg_s']:.2f} msg/s, done in {run['span_s']:.0f} s"


if __name__ == "__main__":
    print(draw(json.loads((RESULTS / "rate_ceiling.json").read_text())))
