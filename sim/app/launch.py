"""The Solara server of ``calais-sim app``, with Solara's CDN route made read-only.

Solara's CDN proxy (``solara.server.cdn_helper.get_path``) deletes a cached path that is a
folder (``shutil.rmtree``, a clean-up of an old cache layout) and writes whatever it downloads
into the cache. The app's cache is an overlay whose entries point at the installed front-end
files, so one GET request for a folder would delete the installation. This module replaces the
route's look-up with one that only reads: a regular file inside the cache folder is served,
anything else (a folder, a missing file, a path outside) is a 404. Nothing is ever downloaded,
written, moved or deleted by a request.

Run as ``python -m sim.app.launch run APP ...``: the arguments are Solara's own.
"""

from __future__ import annotations

import os
import pathlib
import signal
import sys

from solara.server import cdn_helper
from solara.server.utils import path_is_child_of


def read_only_path(base_cache_dir: pathlib.Path, path: str) -> pathlib.Path:
    """The cached file for ``path``, or an error (which the route answers with 404).

    As Solara's ``get_path`` for a file that is there; never deletes, downloads or writes.
    """
    parts = path.replace("\\", "/").split("/")
    store_path = path if len(parts) != 1 else pathlib.Path(path) / "__main.js"
    base = pathlib.Path(base_cache_dir)
    cache_path = base / store_path
    if not path_is_child_of(cache_path, base):
        raise PermissionError("Trying to read from outside of cache directory")
    if not os.path.isfile(cache_path):  # follows links: the overlay's entries are links
        raise FileNotFoundError(f"no file {store_path} in the app's front-end files")
    return cache_path


def install() -> None:
    """Make Solara's CDN route read-only.

    The route's module (``solara.server.starlette``) takes ``get_path`` from ``cdn_helper`` when
    it is imported, which Solara's command line does after it has read its settings; so this
    runs first, and that module must not be imported here (the app would not be registered).
    """
    if "solara.server.starlette" in sys.modules:  # it would keep Solara's own look-up
        raise RuntimeError("sim.app.launch.install() must run before Solara's server is imported")
    cdn_helper.get_path = read_only_path


def exit_on_term(signum: int, frame: object) -> None:
    """Leave as Python does on an error (``SystemExit``), so that exit hooks run: the cards'
    ensembles stop their worker processes (:func:`sim.app.ensemble.shut_down`)."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Solara's command line, with the CDN route read-only.

    ``calais-sim app`` stops the server with SIGTERM; uvicorn shuts down gracefully and then
    raises the signal again, which by default would end the process without its exit hooks.
    """
    install()
    signal.signal(signal.SIGTERM, exit_on_term)
    from solara.__main__ import main as solara_main

    solara_main()


if __name__ == "__main__":
    main()
