"""calais-sim: an agent-based simulation of migration flows and border measures at Calais."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("calais-sim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
