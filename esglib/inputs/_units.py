"""Unit conversion: one table, one mechanism.

Every canonical metric belongs to a *unit family* (energy, emissions, water, ...). A family has one
canonical unit and a table of accepted spellings with their factor to the canonical unit. Converting is
``value * factor``; a unit that is not in the metric's family is an error, never a guess.
"""

from __future__ import annotations

import re

__all__ = ['UNIT_FAMILIES', 'CANONICAL_UNIT', 'normalise_unit_name', 'factor_to_canonical', 'family_of', 'convert',
           'reported_currency']


US_GALLON_M3 = 0.003785411784

#: family -> {unit spelling (normalised) -> factor to the canonical unit}. The first entry is canonical.
UNIT_FAMILIES: dict[str, dict[str, float]] = {
    "energy": {
        "mwh": 1.0, "kwh": 1e-3, "gwh": 1e3, "twh": 1e6, "million kwh": 1e3, "billion kwh": 1e6,
        "million mwh": 1e6, "thousand mwh": 1e3, "gj": 1 / 3.6, "tj": 1e3 / 3.6,
    },
    "emissions": {
        "tco2e": 1.0, "t co2e": 1.0, "tonnes co2e": 1.0, "metric tons co2e": 1.0, "mtco2e (metric tons)": 1.0,
        "kgco2e": 1e-3, "kg co2e": 1e-3, "ktco2e": 1e3, "kt co2e": 1e3, "thousand tco2e": 1e3,
        "million tco2e": 1e6, "mt co2e": 1e6, "mmtco2e": 1e6,
    },
    "water": {
        "m3": 1.0, "cubic metres": 1.0, "cubic meters": 1.0, "l": 1e-3, "litres": 1e-3, "liters": 1e-3,
        "ml": 1e3, "megalitres": 1e3, "megaliters": 1e3, "million litres": 1e3, "billion litres": 1e6,
        "thousand m3": 1e3, "million m3": 1e6, "gal": US_GALLON_M3, "us gallons": US_GALLON_M3,
        "gallons": US_GALLON_M3, "million us gallons": US_GALLON_M3 * 1e6, "billion us gallons": US_GALLON_M3 * 1e9,
        "million gallons": US_GALLON_M3 * 1e6, "billion gallons": US_GALLON_M3 * 1e9,
    },
    "percent": {"%": 1.0, "pct": 1.0, "percent": 1.0, "fraction": 100.0},
    "ratio": {"ratio": 1.0},
    "water_per_energy": {"l/kwh": 1.0, "litres/kwh": 1.0, "liters/kwh": 1.0, "m3/mwh": 1.0, "ml/kwh": 1e-3},
    "power": {"mw": 1.0, "kw": 1e-3, "gw": 1e3},
    "mass": {"t": 1.0, "tonnes": 1.0, "metric tons": 1.0, "kg": 1e-3, "kt": 1e3, "lb": 0.00045359237,
             "million lb": 453.59237},
    "currency_usd": {"usd millions": 1.0, "usd m": 1.0, "usd": 1e-6, "usd thousands": 1e-3,
                     "usd billions": 1e3, "usd bn": 1e3},
    "years": {"years": 1.0, "year(s)": 1.0, "months": 1 / 12},
    "year": {"year": 1.0},
    # revenue in the company's reporting currency: any 3-letter ISO 4217 code + " millions" (converted to USD per
    # fiscal year with data/fx_rates.csv inside the KPI step, never with an assumed rate); a few examples listed
    "currency_reported": {"eur millions": 1.0, "cny millions": 1.0, "jpy millions": 1.0, "twd millions": 1.0,
                          "krw millions": 1.0, "gbp millions": 1.0, "hkd millions": 1.0, "usd millions": 1.0},
    "flag": {"flag": 1.0},
}

#: family -> canonical unit as written in data files.
CANONICAL_UNIT: dict[str, str] = {
    "energy": "MWh", "emissions": "tCO2e", "water": "m3", "percent": "%", "ratio": "ratio",
    "water_per_energy": "L/kWh", "power": "MW", "mass": "t", "currency_usd": "USD millions",
    "years": "years", "year": "year", "currency_reported": "<ISO> millions", "flag": "flag",
}

#: A reported-currency unit: a 3-letter ISO 4217 code and "millions" (e.g. "CNY millions").
_REPORTED_CURRENCY = re.compile(r"^\s*([A-Za-z]{3})\s+millions\s*$")


def reported_currency(unit: str) -> str | None:
    """ISO code of a ``"<ISO> millions"`` unit (upper case), or None if ``unit`` is not one."""
    m = _REPORTED_CURRENCY.match(str(unit))
    return m.group(1).upper() if m else None

_SPACES = re.compile(r"\s+")
#: "Mt CO2e" is SI megatonnes only as written with a capital M and a lower-case t; "MT CO2e" / "mt CO2e" /
#: "mtCO2e" are how many (US) reports write *metric tons*. Those spellings are refused as ambiguous, never guessed.
_MEGATONNE = re.compile(r"^\s*Mt\s*CO[2\u2082](-?e)?\s*$")
_AMBIGUOUS_MT = {"mt co2e", "mtco2e", "mt co2", "mtco2"}


def _ambiguous(unit: str) -> bool:
    """True for spellings of "mt CO2e" that could mean metric tons or megatonnes (anything but SI "Mt")."""
    return normalise_unit_name(unit) in _AMBIGUOUS_MT and not _MEGATONNE.match(str(unit))


def normalise_unit_name(unit: str) -> str:
    """Lower-case, trim and collapse spaces; ``m³``/``CO₂`` become ``m3``/``co2``."""
    u = str(unit).strip().lower().replace("³", "3").replace("₂", "2").replace("co2-e", "co2e")
    return _SPACES.sub(" ", u)


def family_of(unit: str) -> str | None:
    """Return the family a unit spelling belongs to, or None if esglib does not know it."""
    if _ambiguous(unit):
        return None
    if _MEGATONNE.match(str(unit)):
        return "emissions"
    u = normalise_unit_name(unit)
    for fam, table in UNIT_FAMILIES.items():
        if u in table:
            return fam
    return None


def factor_to_canonical(unit: str, family: str) -> float | None:
    """Factor turning a value in ``unit`` into the canonical unit of ``family`` (None if it does not fit).

    ``Mt CO2e`` (SI: megatonnes) is accepted only in that spelling; ``MT CO2e``, ``mt CO2e`` and ``mtCO2e`` are
    ambiguous (often metric tons) and do not fit any family.
    """
    if _ambiguous(unit):
        return None
    if family == "currency_reported":
        return 1.0 if reported_currency(unit) is not None else None
    if family == "emissions" and _MEGATONNE.match(str(unit)):
        return 1e6
    return UNIT_FAMILIES[family].get(normalise_unit_name(unit))


def convert(value: float, unit: str, family: str) -> float:
    """Convert one value to the canonical unit of ``family``.

    Raises
    ------
    ValueError
        If ``unit`` is not a unit of ``family``.
    """
    f = factor_to_canonical(unit, family)
    if f is None:
        known = ", ".join(UNIT_FAMILIES[family])
        if _ambiguous(unit):
            raise ValueError(f"unit {unit!r} is ambiguous (metric tons or megatonnes?): write 'tCO2e' or "
                             f"'Mt CO2e' / 'million tCO2e' (accepted: {known})")
        raise ValueError(f"unit {unit!r} is not a {family} unit (accepted: {known})")
    return value * f
