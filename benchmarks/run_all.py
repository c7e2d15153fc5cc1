"""Run every ``benchmarks/bench_*.py`` in its own subprocess and print its output.

Usage: ``.venv/bin/python benchmarks/run_all.py [-k substring] [-- extra args for every benchmark]``.
Exits with status 1 if any benchmark fails to run (a MISS of a target is reported by the benchmark itself and
does not fail the run).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(pattern: str | None = None) -> list[Path]:
    """Benchmark scripts in this folder, sorted by name (optionally those whose name contains ``pattern``)."""
    found = sorted(p for p in HERE.glob("bench_*.py") if p.is_file())
    return [p for p in found if pattern is None or pattern in p.name]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    ap = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py in a subprocess.")
    ap.add_argument("-k", dest="pattern", default=None, help="only benchmarks whose file name contains this")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per benchmark")
    args = ap.parse_args(argv)
    scripts = discover(args.pattern)
    if not scripts:
        print("no benchmarks found", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"=== {script.name} " + "=" * max(0, 100 - len(script.name) - 5), flush=True)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent, timeout=args.timeout,
                                  capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            print(f"TIMEOUT after {args.timeout:.0f} s", flush=True)
            failed.append(script.name)
            continue
        sys.stdout.write(proc.stdout)
        if proc.stderr.strip():
            sys.stdout.write(proc.stderr if proc.returncode else "")
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        print(f"--- {script.name}: {status} in {time.perf_counter() - t0:.1f} s\n", flush=True)
        if proc.returncode:
            failed.append(script.name)
    print(f"{len(scripts) - len(failed)}/{len(scripts)} benchmarks ran" + (f"; failed: {', '.join(failed)}"
                                                                           if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
