"""End-to-end benchmark of ``esglib score`` from file against a bare pandas script (issue 13).

SYNTHETIC inputs only (``benchmarks/_synthetic.py``: 36 figures per synthetic company, 30 % in non-canonical
units). Both sides run as subprocesses on the same files in the same run, interleaved, so a busy machine slows
them alike:

* ``esglib``: ``python -m esglib score --companies C --disclosures D --out OUT`` (plus ``--max-rows`` when the
  file is above the default row limit);
* ``pandas``: ``benchmarks/_baseline_score.py`` (read_csv + pivot + groupby percentile rank + to_csv).

Printed per size: best and median wall time of ``--repeat`` runs, the ratio of the bests, peak resident memory
of each (``os.wait4``), and at the end the growth exponent (slope of log time on log size). Target (issue 13):
esglib <= 1.5x pandas at 10k and 100k companies, memory within 2x.

Run: ``python benchmarks/bench_cli.py [--sizes 1000,10000,30000,100000] [--repeat 3]``.
``--lift-cap`` runs esglib through a shim that raises the old fixed caps (``esglib.readers.MAX_ROWS`` and
``MAX_FILE_BYTES``), so the code before ``--max-rows`` existed can be measured on the larger files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _procs import PY, ROOT, Runs, env, growth_exponent, run_measured  # noqa: E402
from _synthetic import ROWS_PER_COMPANY, write_universe  # noqa: E402

TARGET_RATIO = 1.5
TARGET_MEM = 2.0
LIFT_CAP = ("import sys, esglib.readers as r; r.MAX_ROWS = 10**9; r.MAX_FILE_BYTES = 2**40; "
            "from esglib.cli import main; sys.exit(main(sys.argv[1:]))")


def supports_max_rows() -> bool:
    """True when this esglib's ``score`` command has ``--max-rows``."""
    out = subprocess.run([PY, "-m", "esglib", "score", "--help"], cwd=ROOT, env=env(), capture_output=True,
                         text=True)
    return "--max-rows" in out.stdout


def esglib_cmd(comp: Path, disc: Path, out: Path, n_rows: int, lift_cap: bool, max_rows: bool,
               extra: list[str] | None = None) -> list[str]:
    args = ["score", "--companies", str(comp), "--disclosures", str(disc), "--out", str(out), *(extra or [])]
    if max_rows:
        args += ["--max-rows", str(n_rows + 1)]
    if lift_cap:
        return [PY, "-c", LIFT_CAP, *args]
    return [PY, "-m", "esglib", *args]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,30000,100000", help="synthetic companies per file")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side and size (best and median reported)")
    ap.add_argument("--lift-cap", action="store_true", help="raise the old fixed row cap through a shim")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per run")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    max_rows = supports_max_rows()
    rows = []
    with tempfile.TemporaryDirectory(prefix="esglib-bench-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"n{n}"
            comp, disc = write_universe(folder, n)
            n_rows = n * ROWS_PER_COMPANY
            es, pdr = Runs(), Runs()
            for _ in range(args.repeat):  # interleaved
                run_measured([PY, str(HERE / "_baseline_score.py"), str(comp), str(disc), str(folder / "base.csv")],
                             pdr, args.timeout)
                if es.failure is None:
                    run_measured(esglib_cmd(comp, disc, folder / "scores.csv", n_rows, args.lift_cap, max_rows),
                                 es, args.timeout)
            rows.append((n, n_rows, es, pdr))
            for f in folder.iterdir():
                f.unlink()
            _print_row(n, n_rows, es, pdr, header=len(rows) == 1, repeat=args.repeat)
    ok_sizes = [n for n, _, es, _ in rows if es.times]
    print()
    print("growth exponent (slope of log time on log companies; 1 = linear): "
          f"esglib {growth_exponent(ok_sizes, [es.best for n, _, es, _ in rows if es.times]):.2f}, "
          f"pandas {growth_exponent([n for n, *_ in rows], [p.best for *_, p in rows]):.2f}")
    verdicts = []
    for n, _, es, pdr in rows:
        if n in (10_000, 100_000):
            if not es.times:
                verdicts.append(f"{n:,}: FAIL ({es.failure})")
                continue
            r, m = es.best / pdr.best, es.mem / pdr.mem
            ok = r <= TARGET_RATIO and m <= TARGET_MEM
            verdicts.append(f"{n:,}: {'PASS' if ok else 'MISS'} ({r:.2f}x time, {m:.2f}x memory)")
    if verdicts:
        print(f"target esglib <= {TARGET_RATIO:g}x pandas, memory <= {TARGET_MEM:g}x: " + "; ".join(verdicts))
    return 0


def _print_row(n: int, n_rows: int, es: Runs, pdr: Runs, header: bool, repeat: int) -> None:
    if header:
        print(f"esglib score from file vs bare pandas, SYNTHETIC data, best / median of {repeat} "
              "(whole process: start, read, score, write)")
        print(f"{'companies':>10} {'rows':>10} | {'esglib best':>11} {'median':>7} {'peak MiB':>8} | "
              f"{'pandas best':>11} {'median':>7} {'peak MiB':>8} | {'ratio':>6} {'mem x':>6}")
    if es.times:
        print(f"{n:>10,} {n_rows:>10,} | {es.best:>10.2f}s {es.median:>6.2f}s {es.mem:>8.0f} | "
              f"{pdr.best:>10.2f}s {pdr.median:>6.2f}s {pdr.mem:>8.0f} | {es.best / pdr.best:>5.2f}x "
              f"{es.mem / pdr.mem:>5.2f}x", flush=True)
    else:
        print(f"{n:>10,} {n_rows:>10,} | {'failed':>11}: {es.failure}", flush=True)
        print(f"{'':>10} {'':>10} | {'':>11} {'':>7} {'':>8} | {pdr.best:>10.2f}s {pdr.median:>6.2f}s "
              f"{pdr.mem:>8.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
