"""Errors of the optimiser."""

from __future__ import annotations

from esglib.errors import ConfigError, EsglibError

__all__ = ['InfeasibleError', 'OptimisationError']


class InfeasibleError(ConfigError):
    """The constraints (composite target, WACI cap, bounds) cannot all be met."""


class OptimisationError(EsglibError, RuntimeError):
    """The solver stopped without a solution that meets every constraint."""
