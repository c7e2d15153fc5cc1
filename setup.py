"""Build hook: the wheel and sdist also carry the data packages that ``pyproject.toml`` maps with ``package-dir``.

``[tool.setuptools.packages.find]`` finds every subpackage under ``esglib/``, but not ``esglib._bundled`` (the
repository's ``data/``) and ``esglib._notebooks`` (``notebooks/``), which live outside it. Everything else about the
build is in ``pyproject.toml``.
"""

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """``build_py`` that also builds every package named in ``package-dir`` (the mapped data folders)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        mapped = [name for name in self.distribution.package_dir or {} if name]
        self.packages = list(dict.fromkeys([*(self.packages or []), *mapped]))


setup(cmdclass={"build_py": BuildPy})
