"""The version of esglib: the one place it is written (``pyproject.toml`` reads it, ``esglib --version`` prints it)."""

__version__ = "0.3.0"
