"""Dask engine against the pandas engine, end to end from file, SYNTHETIC inputs (issue 13).

For each size, in the same run and interleaved, as subprocesses on the same files:

* ``pandas``: ``esglib score --engine pandas``;
* ``dask local``: ``esglib score --engine dask`` (starts a local ``dask.distributed`` cluster, closes it);
* ``dask scheduler``: ``esglib score --engine dask --scheduler tcp://127.0.0.1:PORT`` against a real
  ``dask scheduler`` and two ``dask worker`` processes (one thread each) that this benchmark starts on
  127.0.0.1 and stops at the end.

Each dask result is checked against the pandas one (composite within 1e-9, identical ratings). Printed: best and
median wall time, ratio to pandas, peak memory of the CLI process (the workers' memory is not in it), and the
growth exponent. On a 2-core machine the cluster cannot beat one process: the figures show the overhead of
distribution, not a speed-up.

Run: ``python benchmarks/bench_dask.py [--sizes 1000,10000,100000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _procs import PY, ROOT, Runs, env, growth_exponent, run_measured  # noqa: E402
from _synthetic import ROWS_PER_COMPANY, write_universe  # noqa: E402

DASK = str(Path(PY).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (stopped on exit)."""

    def __init__(self, workers: int = 2) -> None:
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers = workers
        self.procs: list[subprocess.Popen] = []
        self.logs = tempfile.TemporaryDirectory(prefix="esglib-dask-")

    def __enter__(self) -> Cluster:
        log = Path(self.logs.name)
        common = dict(cwd=ROOT, env=env(), stdin=subprocess.DEVNULL)
        self.procs.append(subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            stdout=open(log / "scheduler.log", "wb"), stderr=subprocess.STDOUT, **common))
        for i in range(self.workers):
            self.procs.append(subprocess.Popen(
                [DASK, "worker", self.address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                 "--no-dashboard", "--memory-limit", "6GB", "--name", f"bench-{i}"],
                stdout=open(log / f"worker{i}.log", "wb"), stderr=subprocess.STDOUT, **common))
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        code = ("import sys; from distributed import Client; c = Client(sys.argv[1], timeout=30); "
                f"c.wait_for_workers({self.workers}, timeout=30); c.close()")
        t0 = time.time()
        while time.time() - t0 < timeout:
            if subprocess.run([PY, "-c", code, self.address], env=env(), capture_output=True).returncode == 0:
                return
            time.sleep(1)
        raise RuntimeError("dask scheduler/workers did not start: see " + self.logs.name)

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.logs.cleanup()


def _cmd(comp: Path, disc: Path, out: Path, n_rows: int, engine: str, scheduler: str | None = None) -> list[str]:
    cmd = [PY, "-m", "esglib", "score", "--companies", str(comp), "--disclosures", str(disc), "--out", str(out),
           "--max-rows", str(n_rows + 1), "--engine", engine]
    return cmd + (["--scheduler", scheduler] if scheduler else [])


def _same(a: Path, b: Path) -> str:
    import numpy as np
    import pandas as pd

    x, y = pd.read_csv(a, index_col=0), pd.read_csv(b, index_col=0)
    if list(x.index) != list(y.index):
        return "DIFFERENT order"
    dc = np.nanmax(np.abs(x["composite"].to_numpy(float) - y["composite"].to_numpy(float)), initial=0.0)
    same_rating = (x["rating"].astype(str).to_numpy() == y["rating"].astype(str).to_numpy()).all()
    return f"max |composite diff| {dc:.1e}, ratings {'identical' if same_rating else 'DIFFERENT'}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="synthetic companies per file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args(argv)
    help_text = subprocess.run([PY, "-m", "esglib", "score", "--help"], cwd=ROOT, env=env(), capture_output=True,
                               text=True).stdout
    if "--engine" not in help_text:
        print("esglib score has no --engine option in this version: nothing to measure")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = []
    with tempfile.TemporaryDirectory(prefix="esglib-bench-") as tmp, Cluster(2) as cluster:
        print(f"dask engine vs pandas engine, SYNTHETIC data, best / median of {args.repeat}; real cluster: "
              f"dask scheduler + 2 dask workers (1 thread each) at {cluster.address}; machine: {os.cpu_count()} "
              "cores")
        print(f"{'companies':>10} {'rows':>10} | {'pandas':>14} {'MiB':>5} | {'dask local':>14} {'ratio':>6} "
              f"{'MiB':>5} | {'dask sched+2w':>14} {'ratio':>6} {'MiB':>5}")
        for n in sizes:
            folder = Path(tmp) / f"n{n}"
            comp, disc = write_universe(folder, n)
            n_rows = n * ROWS_PER_COMPANY
            pdr, loc, rem = Runs(), Runs(), Runs()
            for _ in range(args.repeat):
                run_measured(_cmd(comp, disc, folder / "p.csv", n_rows, "pandas"), pdr, args.timeout)
                if loc.failure is None:
                    run_measured(_cmd(comp, disc, folder / "l.csv", n_rows, "dask"), loc, args.timeout)
                if rem.failure is None:
                    run_measured(_cmd(comp, disc, folder / "r.csv", n_rows, "dask", cluster.address), rem,
                                 args.timeout)
            checks = [_same(folder / "p.csv", folder / f) for f, r in (("l.csv", loc), ("r.csv", rem)) if r.times]
            rows.append((n, pdr, loc, rem))

            def cell(r: Runs, base: Runs = pdr) -> str:
                if not r.times:
                    return f"{'failed':>14} {'':>6} {'':>5}"
                return f"{r.best:>6.2f}/{r.median:>6.2f}s {r.best / base.best:>5.2f}x {r.mem:>5.0f}"

            print(f"{n:>10,} {n_rows:>10,} | {pdr.best:>6.2f}/{pdr.median:>6.2f}s {pdr.mem:>5.0f} | {cell(loc)} | "
                  f"{cell(rem)}", flush=True)
            for r, name in ((loc, "dask local"), (rem, "dask scheduler")):
                if r.failure:
                    print(f"{'':>23}{name} failed: {r.failure}")
            print(f"{'':>23}same answer: " + "; ".join(checks), flush=True)
            for f in folder.iterdir():
                f.unlink()
    print()
    for label, idx in (("pandas", 1), ("dask local", 2), ("dask scheduler+2 workers", 3)):
        ok = [(r[0], r[idx].best) for r in rows if r[idx].times]
        print(f"growth exponent {label}: {growth_exponent([a for a, _ in ok], [b for _, b in ok]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
