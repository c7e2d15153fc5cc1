"""Helpers shared by the end-to-end benchmarks: time a command as a subprocess with its peak memory.

Each command runs in its own process, so a timing includes interpreter start, imports, reading the file and
writing the answer: what a user waits for. Peak memory is the child's maximum resident set size as the kernel
reports it (``os.wait4`` rusage, the figure ``/usr/bin/time -v`` prints as "Maximum resident set size").
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Runs:
    """Wall times (s) and peak RSS (MiB) of repeated runs of one command."""

    times: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def best(self) -> float:
        return min(self.times) if self.times else math.nan

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def mem(self) -> float:
        return max(self.peak_mib) if self.peak_mib else math.nan


def env() -> dict[str, str]:
    """Environment for children: esglib importable from the checkout, one BLAS thread (fair on a shared box)."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        e.setdefault(var, "1")
    return e


def run_measured(cmd: list[str], runs: Runs, timeout: float = 600.0) -> None:
    """Run ``cmd`` once; append its wall time and peak RSS (``os.wait4``, Linux ru_maxrss in KiB) to ``runs``."""
    import tempfile

    t0 = time.perf_counter()
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errf, subprocess.Popen(
            cmd, cwd=ROOT, env=env(), stdout=devnull, stderr=errf) as proc:
        deadline = t0 + timeout
        status = None
        usage = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                runs.failure = f"timeout after {timeout:.0f} s"
                return
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        errf.seek(0)
        err = errf.read()[-4000:].decode("utf-8", "replace")
    if code != 0:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        runs.failure = f"exit {code}: {lines[-1][:200] if lines else ''}"
        return
    runs.times.append(elapsed)
    runs.peak_mib.append(usage.ru_maxrss / 1024.0)


def growth_exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) on log(size): 1.0 is linear growth, 2.0 quadratic."""
    pts = [(math.log(s), math.log(t)) for s, t in zip(sizes, times, strict=True) if t and t > 0 and not math.isnan(t)]
    if len(pts) < 2:
        return math.nan
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else math.nan


PY = sys.executable
