"""Files installed with the package: the scenario library, the map, the record and the fit.

Found through :mod:`importlib.resources`, so that they are there in an editable install and
in a wheel installed anywhere.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def package_path(*parts: str) -> Path:
    """The path of a file or folder installed with the package."""
    return Path(str(importlib.resources.files("sim").joinpath(*parts)))


def scenario_file(name: str) -> Path:
    """A scenario of the installed library, by its name (``calais-2015``)."""
    return package_path("scenarios", f"{name}.toml")


def data_file(name: str) -> Path:
    """A file of ``sim/data`` (the record ``targets.toml``, the fit ``calibration.toml``)."""
    return package_path("data", name)
