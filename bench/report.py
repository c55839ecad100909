"""The bench's table (text) from its JSON report."""

from __future__ import annotations

from typing import Any


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def table(report: dict[str, Any]) -> str:
    lines = [f"Bench {report['date']} on {report['machine']}", ""]
    cold = report["cold_start"]
    lines += [
        f"Cold start: import + first invocation, median of {cold['rounds']} fresh interpreters, each paired with a "
        f"run of the floor (import boto3 + DynamoDB client + one update_item; median {cold['floor_s'] * 1000:.0f} ms)",
        f"  {'function':<34} {'total':>8} {'import':>8} {'1st call':>9} {'x floor':>8} {'peak RSS':>9}",
    ]
    for name, figures in cold["functions"].items():
        lines.append(
            f"  {name:<34} {figures['median_s'] * 1000:>6.0f}ms {figures['import_median_s'] * 1000:>6.0f}ms "
            f"{figures['first_invocation_median_s'] * 1000:>7.0f}ms {figures['ratio_to_floor']:>7.2f}x "
            f"{figures['peak_rss_mb']:>6.0f} MB"
        )
    lines += ["", "Import time, top packages by self time (python -X importtime)"]
    for name, offenders in report["import_offenders"].items():
        lines.append(f"  {name:<26} " + ", ".join(f"{o['package']} {o['ms']:.0f}ms" for o in offenders))
    warm = report["warm"]
    lines += [
        "",
        "Warm cost per invocation, in-process, AWS stubbed (botocore Stubber), Taramoney faked;",
        "own = the handler's time less its time inside botocore calls",
        f"  {'operation':<24} {'p50':>8} {'p99':>8} {'own p50':>8} {'own p99':>8} {'floor p50':>10} {'floor p99':>10}"
        f" {'x p50':>7} {'x p99':>7}",
    ]
    for label, figures in warm.items():
        lines.append(
            f"  {label:<24} {figures['p50_ms']:>6.2f}ms {figures['p99_ms']:>6.2f}ms {figures['own_p50_ms']:>6.2f}ms "
            f"{figures['own_p99_ms']:>6.2f}ms {figures['floor_p50_ms']:>8.2f}ms "
            f"{figures['floor_p99_ms']:>8.2f}ms {figures['ratio_p50']:>6.1f}x {figures['ratio_p99']:>6.1f}x"
        )
    lines += ["", "AWS calls per operation (botocore before-call hooks, against moto server)"]
    for label, figures in report["aws_calls"].items():
        calls = ", ".join(f"{name} {count}" for name, count in figures["calls"].items())
        lines.append(f"  {label:<38} {figures['total']:>3}  {calls}")
    lines += ["", "Package sizes after sam build"]
    sizes = report["package_sizes"]
    if "error" in sizes:
        lines.append(f"  {sizes['error']}")
    else:
        for name, figures in sizes.items():
            lines.append(f"  {name:<34} {_mb(figures['bytes']):>10} {figures['files']:>6} files")
    return "\n".join(lines)
