"""Render a results.json of ``tests.bench.suite`` as the Markdown tables of ``docs/benchmarks.md``.

python -m tests.bench.report .cache/bench/results.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

FIGURES = [
    ("describe_calls_per_interval_{n}", "Describe calls per resync interval, N={n}"),
    ("baseline_describe_calls_per_interval_{n}", "per-object poller: Describe calls per interval, N={n}"),
    ("baseline_ratio_{n}", "poller / ours, N={n}"),
    ("eci_write_calls_steady_{n}", "ECI writes in steady state, N={n}"),
    ("k8s_write_calls_steady_{n}", "Kubernetes writes in steady state, N={n}"),
    ("operator_cpu_seconds_per_interval_{n}", "operator CPU seconds per resync interval, N={n}"),
    ("rss_mb_{n}", "operator peak RSS (MiB), N={n}"),
    ("rss_mb_{n}_fresh", "operator peak RSS after a restart, through one sweep (MiB), N={n}"),
    ("resume_seconds_{n}", "restart: start → steady (s), N={n}"),
    ("resume_describe_calls_{n}", "restart: Describe calls, N={n}"),
    ("resume_write_calls_{n}", "restart: writes (ECI + Kubernetes), N={n}"),
]
SINGLE = [
    ("edit_latency_p50_s", "edit latency p50 (s)"),
    ("edit_latency_p95_s", "edit latency p95 (s)"),
    ("edit_latency_p99_s", "edit latency p99 (s)"),
    ("bulk_create_seconds", "bulk create: apply → all Ready (s)"),
    ("create_calls_per_minute_peak", "bulk create: Create calls in the busiest minute"),
    ("throttled_responses", "bulk create: throttled answers"),
    ("resume_seconds", "restart: start → steady (s)"),
    ("resume_describe_calls", "restart: Describe calls"),
    ("resume_write_calls", "restart: writes (ECI + Kubernetes)"),
    ("drift_detect_seconds", "out-of-band change → corrective Update (s)"),
]


def render(document: dict[str, Any]) -> str:
    results: dict[str, Any] = document["results"]
    targets = {row["figure"]: row for row in document["targets"]}
    settings = document["settings"]
    lines = [
        f"Measured {document['date']} at commit {document['git_commit']} in {document['duration_seconds']} s "
        f"on {document['machine']['cpus']} CPUs ({document['machine']['cpu_model']}), "
        f"{document['machine']['memory_gib']} GiB RAM, Python {document['machine']['python']}; "
        f"load average {' / '.join(map(str, document['load_start']))} at the start, "
        f"{' / '.join(map(str, document['load_end']))} at the end.",
        "",
        f"Command: `{document['command']}` (resync interval {settings['resync_interval_s']:g} s, "
        f"emulator transition delay {settings['emulator_transition_delay_s']:g} s, "
        f"{settings['emulator_quotas']}).",
        "",
        "| figure | value | target | met |",
        "| --- | --- | --- | --- |",
    ]

    def row(key: str, label: str) -> None:
        if key not in results:
            return
        target = targets.get(key)
        met = "" if target is None else ("yes" if target["met"] else "**no**")
        lines.append(f"| {label} (`{key}`) | {results[key]} | {target['target'] if target else ''} | {met} |")

    for n in settings["sizes"]:
        for key, label in FIGURES:
            row(key.format(n=n), label.format(n=n))
    for key, label in SINGLE:
        row(key, label)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    print(render(json.loads(args.results.read_text())), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
