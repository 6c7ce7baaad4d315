"""``calais-sim app``: serve the workshop page (``sim.app.page``) on this machine, with no internet.

The page is a Solara app. Solara's server normally takes its front-end files (Vue, Vuetify,
fonts, vega) from a CDN; here every file comes from the installation instead:

* ``solara-assets`` installs the front-end files in ``<prefix>/share/solara/cdn``; Solara's own
  CDN proxy serves them from a folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``). That folder is an
  overlay of symlinks to those files, plus the short names some components ask for
  (``vega@5`` for ``vega@5.21.0``), built in the user's cache folder, one per installation.
* The proxy's route is made read-only (``sim.app.launch``): Solara's own deletes a cached path
  that is a folder, which through the overlay would be the installed files. A request only
  reads; a folder, a missing file or a path outside the overlay is a 404.
* A file missing from it is a 404 at once; the CDN address also points at a closed local port,
  so nothing is ever fetched from the internet.
* ``sim/app/assets/custom.js`` gives ``solara.Markdown`` the KaTeX renderer already bundled in
  Solara's page, instead of the copy it would fetch.
* No telemetry, no version check, production mode (development mode embeds a page from
  solara.dev), and Solara's state files in the cache folder rather than ``~/.solara``.

The server listens on 127.0.0.1 unless ``--host`` says otherwise, and stops with Ctrl-C.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from sim.errors import RunFailed, UsageError
from sim.resources import package_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "sim.app.page:page"
SCENARIOS_ENV = "CALAIS_SIM_SCENARIOS"
"""Environment variable naming the folder of scenario files the page offers."""
CACHE_ENV = "CALAIS_SIM_CACHE"
"""Environment variable naming the cache folder (default: the user's cache folder)."""
READY_TIMEOUT_S = 180.0
KERNEL_CULL_TIMEOUT = "5m"
"""How long the server keeps a session whose page lost its connection without being closed (a
laptop asleep, a tab killed): Solara's default, 24 hours, kept every such tab's runs in memory.
A closed tab is freed at once (:mod:`sim.app.sessions`). ``SOLARA_KERNEL_CULL_TIMEOUT`` in the
environment overrides it."""
CLOSED_PORT_URL = "http://127.0.0.1:9/"
"""Where the CDN proxy would fetch a missing file from: a closed port, so a miss fails at once."""
SAMESITE_WARNING = "Cookies with samesite=none require https"
VERSIONED = re.compile(r"^(?P<name>[^@]+)@(?P<major>\d+)\.\d+\.\d+.*$")


def installed_cdn() -> Path:
    """The folder where ``solara-assets`` installs Solara's front-end files."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def overlay_dir(src: Path | None = None) -> Path:
    """The overlay folder of this environment's front-end files, inside the cache folder.

    One folder per installation (named after a digest of its path), so starting the app from one
    environment never re-points the overlay another environment's server is using.
    """
    src = installed_cdn() if src is None else src
    digest = hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "solara-cdn" / digest


def cache_dir() -> Path:
    """The folder for the overlay and Solara's state files (``$CALAIS_SIM_CACHE``, else the
    user's cache folder)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "calais-sim"


def _link(path: Path, target: Path) -> None:
    """Make ``path`` a symlink to ``target``, replacing whatever is there in one rename."""
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, path)


def build_cdn_overlay(dst: Path, src: Path | None = None) -> Path:
    """A folder of symlinks to every installed front-end file, plus ``name@MAJOR`` aliases.

    Solara's altair component asks for ``vega@5``, ``vega-lite@5`` and ``vega-embed@6``;
    solara-assets ships them under their full versions. Running it again changes nothing, and
    two servers starting at once do not trip over each other.
    """
    src = installed_cdn() if src is None else src
    if not any(src.glob("requirejs@*")):
        raise RuntimeError(
            f"{src} holds no front-end files: install solara-assets (the version of solara)"
        )
    entries: list[tuple[str, Path]] = []
    for entry in sorted(src.iterdir()):
        if entry.name.startswith("@") and entry.is_dir():  # an npm scope: one level deeper
            entries += [(f"{entry.name}/{sub.name}", sub) for sub in sorted(entry.iterdir())]
        else:
            entries.append((entry.name, entry))
    names = {name for name, _ in entries}
    for name, target in entries:
        _link(dst / name, target)
        versioned = VERSIONED.match(name)
        if versioned:
            alias = f"{versioned['name']}@{versioned['major']}"
            if alias not in names:
                _link(dst / alias, target)
    return dst


def assets_dir() -> Path:
    """The folder of ``custom.js`` (package data of ``sim``)."""
    return package_path("app", "assets")


def offline_env(scenarios: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server process: Solara served from the installation only."""
    env = dict(os.environ if base is None else base)
    cache = cache_dir()
    env.update(
        {
            "SOLARA_ASSETS_PROXY": "True",
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(build_cdn_overlay(overlay_dir())),
            "SOLARA_ASSETS_CDN": CLOSED_PORT_URL,
            "SOLARA_ASSETS_EXTRA_LOCATIONS": str(assets_dir()),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            # Solara's "This website runs on Solara" badge sat over the charts' corner
            "SOLARA_THEME_SHOW_BANNER": "False",
            "SOLARA_HOME": str(cache / "solara-home"),
            SCENARIOS_ENV: str(scenarios),
        }
    )
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    # a page opened at 127.0.0.1 rather than localhost makes Solara warn about its cookie at
    # every visit (it is for pages embedded in other sites); the app's users need not see it
    quiet = f"ignore:{SAMESITE_WARNING}:UserWarning:solara.server.starlette"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env


def server_command(host: str, port: int) -> list[str]:
    """The command that runs the Solara server, its CDN route read-only (``sim.app.launch``)."""
    return [
        sys.executable,
        "-m",
        "sim.app.launch",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """A host as it is written in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host else host


def local_address(host: str) -> str:
    """The address this machine reaches a server listening on ``host`` at."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def check_port_free(host: str, port: int) -> None:
    """Refuse a port that another program is listening on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: not an address of this machine ({exc})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                "choose another port with --port"
            ) from None


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = READY_TIMEOUT_S) -> None:
    """Wait until the server answers, or fail if it stops first."""
    import urllib.request  # here: every command's --help imports this module, for its defaults

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RunFailed(f"the server stopped while starting (exit code {proc.returncode})")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.2)
    raise RunFailed(f"the server did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop the server: ask it to shut down, then insist."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def default_scenarios() -> Path:
    """``./scenarios`` if there is one, else the project's own folder of scenarios."""
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else package_path("scenarios")
