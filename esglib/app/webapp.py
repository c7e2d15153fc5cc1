"""The investor's interactive screen in the browser (``esglib app``), built with Panel.

The page offers a holdings upload (CSV/XLSX) or the file given on the command line, one slider per pillar weight,
the screen's thresholds (minimum rating, flags that exclude a holding) and shows, live, the holdings table after
the screen and a chart of the weights before and after. It serves on 127.0.0.1 only.

The computation is :func:`screen_view`, a plain function on frames (tested without a browser); Panel and Bokeh
are imported only inside :func:`build_app` and :func:`serve`, so importing this module stays light.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from esglib.app import bundled
from esglib.errors import ConfigError, EsglibError
from esglib.inputs import DATA_DIR
from esglib.outputs import plots
from esglib.portfolio import apply_screens, load_holdings
from esglib.scoring import ScoreConfig, score
from esglib.vocabulary import PILLARS, RATINGS

__all__ = ["ScreenView", "screen_view", "all_flags", "build_app", "serve", "run", "free_port", "TABLE_COLUMNS"]

#: Columns of the live table, in order.
TABLE_COLUMNS = ("company", "rating", "composite", *PILLARS, "weight_before", "weight_after", "reason")


@dataclass(frozen=True)
class ScreenView:
    """What the app shows for one set of controls.

    Attributes
    ----------
    table : DataFrame
        Index ticker, columns :data:`TABLE_COLUMNS`; weights as fractions, scores 0-100; largest holding first.
    kept : int
        Holdings with a weight after the screen.
    excluded : int
        Holdings the screen removed.
    composite_before, composite_after : float
        Weighted composite of the rated holdings before and after the screen (NaN when none is rated).
    method : str
        The screen, in words.
    """

    table: pd.DataFrame
    kept: int
    excluded: int
    composite_before: float
    composite_after: float
    method: str

    def headline(self) -> str:
        """One line for the page: holdings kept and excluded, the composite before and after."""
        def f(v: float) -> str:
            return "n/a" if pd.isna(v) else f"{v:.1f}"

        return (f"{self.kept} holdings kept, {self.excluded} excluded; weighted composite "
                f"{f(self.composite_before)} before, {f(self.composite_after)} after ({self.method})")


def _wcomposite(w: pd.Series, scores: pd.DataFrame) -> float:
    c = scores["composite"].reindex(w.index)
    ok = c.notna() & (w > 0)
    return float((c[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")


def screen_view(holdings: pd.DataFrame, disclosures: pd.DataFrame, companies: pd.DataFrame, *,
                weights: Mapping[str, float] | None = None, min_rating: str | None = None,
                exclude_flags: Iterable[str] = (), unrated: str = "keep", as_of: Any = None,
                config: ScoreConfig | None = None, fx: pd.DataFrame | None = None) -> ScreenView:
    """Score the universe with the chosen pillar weights and screen the holdings.

    Parameters
    ----------
    holdings : DataFrame
        :func:`esglib.portfolio.load_holdings` output (index ticker; ``company``, ``weight``).
    disclosures, companies : DataFrame
        Validated disclosures and universe.
    weights : mapping, optional
        Pillar weights (``energy``.. ``disclosure``; any non-negative numbers, normalised by the scoring).
    min_rating : str, optional
        Lowest rating kept (``CCC``.. ``AAA``); ``None`` keeps every rating.
    exclude_flags : iterable of str
        Scoring flags that exclude a holding.
    unrated : {"keep", "exclude"}
        What the rating floor does with unrated holdings (NR or not in the universe).
    as_of : date-like, optional
        Score with only the figures public on this date.
    config : ScoreConfig, optional
        Base scoring configuration (default :class:`~esglib.scoring.ScoreConfig`).
    fx : DataFrame, optional
        FX rates for reported-currency revenue (:func:`esglib.scoring.score`'s ``fx``).

    Returns
    -------
    ScreenView

    Raises
    ------
    ConfigError
        Every pillar weight is zero, or the screen excludes every holding.
    """
    cfg = config or ScoreConfig()
    if weights is not None:
        w = {p: float(weights.get(p, cfg.pillar_weights[p])) for p in PILLARS}
        if not sum(w.values()) > 0:
            raise ConfigError("at least one pillar weight must be above zero")
        cfg = cfg.replace(pillar_weights=w)
    scores = score(disclosures, cfg, companies=companies, as_of=as_of, fx=fx)
    flags = tuple(f for f in exclude_flags if f)
    res = apply_screens(holdings["weight"], scores, min_rating=min_rating or None, exclude_flags=flags,
                        unrated=unrated)
    frame = res.to_frame()
    table = pd.DataFrame(index=frame.index)
    table["company"] = holdings["company"].reindex(frame.index)
    for c in ("rating", "composite", *PILLARS):
        table[c] = scores[c].reindex(frame.index)
    cash = holdings["is_cash"].reindex(frame.index, fill_value=False).astype(bool) if "is_cash" in holdings else \
        pd.Series(False, index=frame.index)
    table["rating"] = table["rating"].astype(object)
    table.loc[cash, "rating"] = "cash"
    table.loc[~table.index.isin(scores.index) & ~cash, "rating"] = "not covered"
    table["rating"] = table["rating"].fillna("NR")
    table["weight_before"] = frame["weight_before"]
    table["weight_after"] = frame["weight_after"]
    table["reason"] = frame["reason"]
    table = table.sort_values("weight_before", ascending=False)
    table.index.name = "ticker"
    after = res.weights[res.weights > 0]
    return ScreenView(table=table[list(TABLE_COLUMNS)], kept=int(len(after)), excluded=int(len(res.excluded)),
                      composite_before=_wcomposite(res.before, scores),
                      composite_after=_wcomposite(res.weights, scores), method=res.method or "no screen")


def all_flags(disclosures: pd.DataFrame, companies: pd.DataFrame, fx: pd.DataFrame | None = None) -> list[str]:
    """Every scoring flag in the universe (the choices of the exclude-flags control), sorted."""
    s = score(disclosures, companies=companies, fx=fx)
    out = {f.strip() for text in s["flags"].fillna("") for f in str(text).split(";") if f.strip()}
    return sorted(out)


def _chart_png(table: pd.DataFrame) -> bytes:
    """Draw the weights before and after with :func:`esglib.outputs.plots.screen_weights`; return PNG bytes."""
    ax = plots.screen_weights(table[["weight_before", "weight_after"]])
    with tempfile.TemporaryDirectory(prefix="esglib-app-") as tmp:
        return plots.save(ax, Path(tmp) / "chart.png", dpi=90).read_bytes()


def _load_upload(data: bytes, filename: str, companies: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Load an uploaded holdings file (bytes) through :func:`esglib.portfolio.load_holdings`; return notes."""
    suffix = Path(filename or "holdings.csv").suffix.lower() or ".csv"
    if suffix not in (".csv", ".xlsx", ".txt"):
        raise ConfigError(f"the uploaded file must be a CSV or XLSX, got {filename!r}")
    with tempfile.TemporaryDirectory(prefix="esglib-upload-") as tmp:
        path = Path(tmp) / f"holdings{suffix}"
        path.write_bytes(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = load_holdings(path, companies, prices=bundled.latest_prices)
    notes = [str(w.message).replace(str(path), filename) for w in caught if issubclass(w.category, UserWarning)]
    return h, notes


def _format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return a rounded copy of the table for display (weights in %, scores to one decimal)."""
    t = table.copy()
    for c in ("composite", *PILLARS):
        t[c] = t[c].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    for c in ("weight_before", "weight_after"):
        t[c] = t[c].map(lambda v: f"{v:.1%}")
    return t.rename(columns={"weight_before": "weight before", "weight_after": "weight after"})


def build_app(companies: pd.DataFrame, disclosures: pd.DataFrame, holdings: pd.DataFrame, *,
              holdings_name: str = "holdings", notes: Iterable[str] = (), as_of: Any = None,
              fx: pd.DataFrame | None = None):
    """Build the Panel page of the screen for one browser session.

    Parameters
    ----------
    companies, disclosures : DataFrame
        Validated universe and disclosures.
    holdings : DataFrame
        The starting holdings (:func:`esglib.portfolio.load_holdings` output); the page can replace them by upload.
    holdings_name : str
        Name shown for the starting holdings.
    notes : iterable of str
        Notes from loading the starting holdings.
    as_of : date-like, optional
        Point in time of the scores.
    fx : DataFrame, optional
        FX rates for reported-currency revenue (:func:`esglib.scoring.score`'s ``fx``).

    Returns
    -------
    panel.viewable.Viewable
    """
    import panel as pn

    state: dict[str, Any] = {"holdings": holdings, "name": holdings_name, "notes": list(notes)}
    sliders = {p: pn.widgets.FloatSlider(name=f"{p} weight", start=0.0, end=1.0, step=0.05, value=0.2,
                                         css_classes=[f"weight-{p}"]) for p in PILLARS}
    min_rating = pn.widgets.Select(name="minimum rating", options=["(none)", *RATINGS], value="(none)",
                                   css_classes=["min-rating"])
    unrated = pn.widgets.Select(name="unrated holdings under a rating floor", options=["keep", "exclude"],
                                value="keep", css_classes=["unrated"])
    flags = pn.widgets.MultiChoice(name="exclude holdings flagged", options=all_flags(disclosures, companies, fx))
    upload = pn.widgets.FileInput(accept=".csv,.xlsx", name="holdings file")
    source = pn.pane.Markdown("", css_classes=["holdings-source"])
    headline = pn.pane.Markdown("", css_classes=["headline"])
    message = pn.pane.Alert("", alert_type="warning", visible=False)
    table = pn.pane.DataFrame(pd.DataFrame(), index=True, sizing_mode="stretch_width", css_classes=["screen-table"])
    chart = pn.pane.PNG(None, sizing_mode="scale_width", max_width=900)

    def update(*_events) -> None:
        try:
            view = screen_view(state["holdings"], disclosures, companies,
                               weights={p: s.value for p, s in sliders.items()},
                               min_rating=None if min_rating.value == "(none)" else min_rating.value,
                               exclude_flags=flags.value, unrated=unrated.value, as_of=as_of, fx=fx)
        except EsglibError as exc:
            message.object, message.visible = str(exc), True
            return
        message.visible = bool(state["notes"])
        message.object = "\n".join(f"Note: {n}" for n in state["notes"])
        source.object = f"**Holdings:** {state['name']} ({len(state['holdings'])} lines)"
        headline.object = view.headline()
        table.object = _format_table(view.table)
        chart.object = _chart_png(view.table)

    def on_upload(event) -> None:
        if not upload.value:
            return
        try:
            h, n = _load_upload(upload.value, upload.filename, companies)
        except EsglibError as exc:
            message.object, message.visible = f"{upload.filename}: {exc}", True
            return
        state.update(holdings=h, name=upload.filename, notes=n)
        update()

    for w in (*sliders.values(), min_rating, unrated, flags):
        w.param.watch(update, "value")
    upload.param.watch(on_upload, "value")
    update()
    controls = pn.Column("### Holdings", upload, source, "### Pillar weights", *sliders.values(),
                         "### Thresholds", min_rating, unrated, flags, width=320)
    main = pn.Column("## esglib: screen my holdings", headline, message, table, chart, sizing_mode="stretch_width")
    return pn.Row(controls, main, sizing_mode="stretch_width")


def serve(companies: pd.DataFrame, disclosures: pd.DataFrame, holdings: pd.DataFrame, *, port: int = 5006,
          open_browser: bool = True, holdings_name: str = "holdings", notes: Iterable[str] = (), as_of: Any = None,
          ready: Any = None, fx: pd.DataFrame | None = None) -> None:
    """Serve the screen on ``http://127.0.0.1:PORT/`` until interrupted (Ctrl-C).

    Parameters
    ----------
    companies, disclosures, holdings, holdings_name, notes, as_of
        As for :func:`build_app`.
    port : int
        TCP port on 127.0.0.1 (0 picks a free one).
    open_browser : bool
        Open the page in the default browser once the server runs.
    ready : callable, optional
        Called with the URL once the server listens (the command line prints it).
    fx : DataFrame, optional
        FX rates for reported-currency revenue, passed to :func:`build_app`.
    """
    import panel as pn

    notes = list(notes)
    port = port or free_port()

    def page():
        return build_app(companies, disclosures, holdings, holdings_name=holdings_name, notes=notes, as_of=as_of,
                         fx=fx)

    server = pn.serve(page, port=port, address="127.0.0.1", show=False, start=False, title="esglib screen",
                      websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"])
    url = f"http://127.0.0.1:{server.port}/"
    if ready is not None:
        ready(url)
    if open_browser:
        import webbrowser

        server.io_loop.add_callback(webbrowser.open, url)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(holdings_path: str | Path | None = None, *, port: int = 5006, open_browser: bool = True, as_of: Any = None,
        stream=None) -> None:
    """Load the bundled universe and a holdings file, then :func:`serve` the screen (the ``esglib app`` command).

    Parameters
    ----------
    holdings_path : path-like, optional
        Holdings CSV/XLSX (default: the bundled sample portfolio, ``data/sample_portfolio.csv``).
    port : int
        Port on 127.0.0.1 (0: a free one).
    open_browser : bool
        Open the page in the default browser.
    as_of : date-like, optional
        Score with only the figures public on this date.
    stream : text stream, optional
        Where the URL and notes are printed (default stdout).
    """
    out = stream or sys.stdout
    companies = bundled.companies()
    disclosures = bundled.disclosures()
    path = Path(holdings_path) if holdings_path else DATA_DIR / "sample_portfolio.csv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holdings = load_holdings(path, companies, prices=bundled.latest_prices)
    notes = [str(w.message).replace(str(path), path.name) for w in caught if issubclass(w.category, UserWarning)]

    def ready(url: str) -> None:
        print(f"esglib app: serving the screen of {path.name} at {url} (Ctrl-C stops it)", file=out, flush=True)

    serve(companies, disclosures, holdings, port=port, open_browser=open_browser, holdings_name=path.name,
          notes=notes, as_of=as_of, ready=ready, fx=bundled.fx_rates())
