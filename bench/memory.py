"""Process memory from /proc, for the benchmarks (no imports beyond the standard library, so that a
process measuring its own peak is not inflated by them)."""

from __future__ import annotations

from pathlib import Path


def rss_mib(pid: int | str, field: str = "VmRSS") -> float:
    """A process's memory from /proc: its RSS now, or with field="VmHWM" its peak RSS (which, unlike
    getrusage's, is not carried over from the parent across exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0
