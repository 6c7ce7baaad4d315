"""calais-sim: an agent-based simulation of migration flows and border measures at Calais."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``sim.__version__``, the installed package's version, read when first asked for:
    ``importlib.metadata`` costs some 30 ms of start-up that ``--help`` need not pay."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("calais-sim")
    except PackageNotFoundError:  # running from a source tree without installation
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
