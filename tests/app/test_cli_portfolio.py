"""``esglib screen`` and ``esglib backtest``: exit codes, JSON for scripts, atomic CSV output, and one clear
message (exit 2, no traceback) for user mistakes. Offline: prices come from the bundled snapshot and the market
cache folder is a fresh temporary one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from esglib.app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "data" / "sample_portfolio.csv")
PF = ROOT / "tests" / "fixtures" / "portfolio"


@pytest.fixture(autouse=True)
def offline_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")


def run_json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


class TestScreen:
    def test_summary_only(self, capsys):
        code = main(["screen", "--holdings", SAMPLE])
        out = capsys.readouterr().out
        assert code == 0
        assert "composite" in out and "waci" in out and "OKLO" in out
        assert "screen: none" in out
        assert "engagement questions" in out

    def test_json_before_and_after(self, capsys):
        d = run_json(capsys, ["screen", "--holdings", SAMPLE, "--min-rating", "BB", "--tilt", "1", "--json"])
        before, after = d["before"], d["after"]
        if before["composite"] is not None and after["composite"] is not None:
            assert after["composite"] >= before["composite"]
        assert before["not_covered"] == ["OKLO"]
        # exactly the holdings rated below BB are excluded (unrated ones are kept by default)
        from esglib.app import bundled

        s = bundled.score()
        held = {r["ticker"] for r in d["weights"]}
        below = {t for t in held if t in s.index and s.at[t, "rating"] in ("CCC", "B")}
        assert {r["ticker"] for r in d["excluded"]} == below
        w_after = {r["ticker"]: r["weight_after"] for r in d["weights"]}
        assert sum(w_after.values()) == pytest.approx(1.0)
        assert d["screen"].startswith("exclusion")
        assert "NaN" not in json.dumps(d)

    def test_best_in_class_and_flags(self, capsys):
        d = run_json(capsys, ["screen", "--holdings", SAMPLE, "--best-in-class", "0.5",
                              "--exclude-flags", "certificate_reliance", "--json"])
        kept = {r["ticker"] for r in d["weights"] if r["weight_after"] > 0}
        assert "NVDA" not in kept  # flagged certificate_reliance
        assert "CASH" in kept

    def test_out_csv_is_written_atomically(self, tmp_path, capsys):
        target = tmp_path / "out" / "screened.csv"
        code = main(["screen", "--holdings", SAMPLE, "--tilt", "0.5", "--out", str(target)])
        assert code == 0 and f"wrote {target}" in capsys.readouterr().out
        df = pd.read_csv(target, index_col="ticker")
        assert df["weight_after"].sum() == pytest.approx(1.0)
        assert {"weight_before", "weight_after", "reason", "rating"} <= set(df.columns)
        assert [p.name for p in target.parent.iterdir()] == ["screened.csv"]

    @pytest.mark.parametrize("argv,message", [
        (["--holdings", str(PF / "bad_na_value.csv")], r"row 3, column Market Value: market value is not an amount"),
        (["--holdings", str(PF / "nope.csv")], "file not found"),
        (["--holdings", SAMPLE, "--min-rating", "ZZ"], "`min_rating` must be one of"),
        (["--holdings", SAMPLE, "--as-of", "yesterday-ish"], "`--as-of` must be a date"),
    ])
    def test_user_mistakes_exit_2_with_one_message(self, capsys, argv, message):
        import re

        code = main(["screen", *argv])
        err = capsys.readouterr().err
        assert code == 2
        assert re.search(message, err)
        assert "Traceback" not in err

    def test_bad_share_is_an_argparse_error(self, capsys):
        with pytest.raises(SystemExit) as exc:
            main(["screen", "--holdings", SAMPLE, "--best-in-class", "2"])
        assert exc.value.code == 2
        assert "must be in (0, 1]" in capsys.readouterr().err

    def test_subprocess(self, tmp_path):
        env = {"ESGLIB_CACHE_DIR": str(tmp_path / "c"), "ESGLIB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
        out = subprocess.run([sys.executable, "-m", "esglib", "screen", "--holdings", SAMPLE, "--json"],
                             capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["before"]["n_holdings"] == 17
        bad = subprocess.run([sys.executable, "-m", "esglib", "screen", "--holdings", str(PF / "bad_short.csv")],
                             capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        assert bad.returncode == 2
        assert bad.stderr.count("\n") <= 3 and "Traceback" not in bad.stderr
        assert "negative holding" in bad.stderr


class TestBacktest:
    def test_json_metrics(self, capsys):
        d = run_json(capsys, ["backtest", "--strategy", "exclusion", "--start", "2024-01-01", "--rebalance", "Q",
                              "--cost-bps", "5", "--json"])
        assert set(d["metrics"]) == {"strategy", "base", "benchmark", "strategy_vs_base"}
        assert {"cagr", "sharpe", "max_drawdown", "information_ratio"} <= set(d["metrics"]["strategy"])
        assert d["params"]["cost_bps"] == 5.0 and d["params"]["benchmark"] == "SPY"
        assert d["params"]["source"] == "snapshot"
        assert d["alpha_regression"]["lags"] == 3  # 29 months -> floor(4 (29/100)^(2/9)) = 3
        assert "cannot support a conclusion" in d["alpha_regression"]["conclusion"]

    def test_table_with_holdings_and_out(self, tmp_path, capsys):
        target = tmp_path / "returns.csv"
        code = main(["backtest", "--holdings", SAMPLE, "--strategy", "best-in-class", "--start", "2025-01-01",
                     "--rebalance", "Q", "--benchmark", "QQQ", "--out", str(target)])
        out = capsys.readouterr().out
        assert code == 0
        assert "strategy best-in-class on holdings vs benchmark QQQ" in out
        assert "information_ratio" in out
        df = pd.read_csv(target, index_col="date", parse_dates=True)
        assert list(df.columns) == ["strategy", "base", "benchmark"]

    @pytest.mark.parametrize("argv,message", [
        (["--start", "not-a-date"], "`--start` must be a date"),
        (["--start", "2024-06-01", "--end", "2024-01-01"], "must be before"),
        (["--benchmark", "NOPE", "--start", "2025-06-01"], "`benchmark` 'NOPE' has no prices"),
        (["--holdings", str(PF / "bad_percent_shares.csv")], "row 3, column Shares"),
    ])
    def test_user_mistakes_exit_2(self, capsys, argv, message):
        code = main(["backtest", *argv])
        err = capsys.readouterr().err
        assert code == 2, err
        assert message in err and "Traceback" not in err

    def test_help_lists_the_commands(self, capsys):
        with pytest.raises(SystemExit):
            main(["--help"])
        out = capsys.readouterr().out
        assert "screen" in out and "backtest" in out
