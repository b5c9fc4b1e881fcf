"""A simulated paste site on the loopback interface, for the demo and the tests.

Serves every file of one folder as a "paste" (its key is the file name without extension),
newest first, in two shapes the real sources read:

* a paste site: ``/archive`` (also ``/``) lists the latest pastes as ``<a class="paste"
  href="/view/KEY">``, ``/view/KEY`` shows one, ``/raw/KEY`` returns its bytes (with an ETag and
  Last-Modified, answering conditional GETs with 304);
* Pastebin's scraping API: ``/api_scraping.php?limit=N`` (JSON listing in the real format, string
  values and all) and ``/api_scrape_item.php?i=KEY`` (the body, or the real "Error, we cannot find
  this paste." text with status 200).

Publishing a paste is dropping a file in the folder; write it under a dot-name or a ``.tmp``
name and rename it (``publish()`` does this) so the site never serves half a file. The server
only ever binds a loopback address: it exists to serve synthetic content to this machine.

    python -m tracker.simsite --port 8765 --dir ./pastes
"""
from __future__ import annotations

import argparse
import hashlib
import html
import ipaddress
import json
import mimetypes
import os
import re
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_LISTING_SIZE = 50
PASTEBIN_MAX_LIMIT = 250
_IGNORED_SUFFIXES = (".tmp", ".part", ".swp")


@dataclass(frozen=True)
class Paste:
    """One file of the folder as the site shows it."""

    key: str
    path: Path
    mtime: float
    size: int


def paste_key(path: Path) -> str | None:
    """The key a file is served under, or None for files the site ignores (dot-files, temp files)."""
    if path.name.startswith(".") or path.name.endswith(_IGNORED_SUFFIXES) or not path.is_file():
        return None
    key = path.name.split(".", 1)[0]
    return key if KEY_RE.match(key) else None


def list_pastes(directory: Path, limit: int | None = None) -> list[Paste]:
    """Pastes of ``directory``, newest first (by modification time, then key)."""
    pastes = []
    for path in directory.iterdir():
        key = paste_key(path)
        if key is None:
            continue
        try:
            st = path.stat()
        except FileNotFoundError:  # removed between listing and stat
            continue
        pastes.append(Paste(key, path, st.st_mtime, st.st_size))
    pastes.sort(key=lambda p: (-p.mtime, p.key))
    return pastes[:limit] if limit is not None else pastes


def publish(directory: Path, key: str, content: bytes | str, suffix: str = ".txt") -> Path:
    """Atomically add (or replace) paste ``key``: write a hidden temp file, then rename it."""
    if not KEY_RE.match(key):
        raise ValueError(f"paste key {key!r}: use 1-64 letters, digits, '_' or '-'")
    data = content.encode("utf-8") if isinstance(content, str) else content
    directory = Path(directory)
    final = directory / f"{key}{suffix}"
    tmp = directory / f".{key}{suffix}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def config_for(site_url: str, name: str = "simsite", interval: str = "1m") -> str:
    """A ``tracker.toml`` watching this site's archive as a ``paste-site`` source (demo, docs).

    Loopback addresses are allowed in it: the simulated site is on 127.0.0.1.
    """
    return (
        "[http]\nallow_private_addresses = true   # the simulated site is on 127.0.0.1\n\n"
        f'[[sources]]\nname = "{name}"\nkind = "paste-site"\ninterval = "{interval}"\n'
        f'listing_url = "{site_url}/archive"\nitem_selector = "a.paste"\n'
        f'raw_url = "{site_url}/raw/{{id}}"\npage_url = "{site_url}/view/{{id}}"\n'
    )


class _Handler(BaseHTTPRequestHandler):
    server: _SimServer
    server_version = "simsite/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write("simsite: " + (format % args) + "\n")

    # -- helpers ---------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _find(self, key: str) -> Paste | None:
        if not KEY_RE.match(key):
            return None
        for paste in list_pastes(self.server.directory):
            if paste.key == key:
                return paste
        return None

    def _slow(self) -> None:
        """Simulate a slow site (``--delay``): each paste body takes this long to come."""
        if self.server.delay > 0:
            time.sleep(self.server.delay)

    def _base(self) -> str:
        return _base_url(self.server)

    # -- routes ----------------------------------------------------------------------------

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        if path in ("/", "/archive"):
            self._listing()
        elif m := re.fullmatch(r"/(view|raw)/([^/]+)", path):
            self._paste(m.group(1), m.group(2))
        elif path == "/api_scraping.php":
            self._api_listing(query.get("limit", [str(DEFAULT_LISTING_SIZE)])[0])
        elif path == "/api_scrape_item.php":
            self._api_item(query.get("i", [""])[0])
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _listing(self) -> None:
        rows = "\n".join(
            f'<tr><td><a class="paste" href="/view/{p.key}">{html.escape(p.key)}</a></td>'
            f"<td>{formatdate(p.mtime, usegmt=True)}</td><td>{p.size}</td></tr>"
            for p in list_pastes(self.server.directory, self.server.listing_size)
        )
        page = (
            "<!doctype html><html><head><title>Recent pastes - simsite</title></head><body>"
            "<h1>Recent pastes</h1><table class=\"maintable\">"
            f"<tr><th>Name</th><th>Posted</th><th>Size</th></tr>\n{rows}\n</table></body></html>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8", {"Cache-Control": "no-cache"})

    def _paste(self, view: str, key: str) -> None:
        self._slow()
        paste = self._find(key)
        if paste is None:
            self._send(404, b"paste not found\n", "text/plain; charset=utf-8")
            return
        try:
            data = paste.path.read_bytes()
        except FileNotFoundError:
            self._send(404, b"paste not found\n", "text/plain; charset=utf-8")
            return
        if view == "view":
            text = html.escape(data.decode("utf-8", "replace"))
            page = f"<!doctype html><html><body><h1>{key}</h1><pre>{text}</pre></body></html>"
            self._send(200, page.encode(), "text/html; charset=utf-8")
            return
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        modified = formatdate(paste.mtime, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": modified}
        if self._not_modified(etag, paste.mtime):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ctype = mimetypes.guess_type(paste.path.name)[0] or "text/plain"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        self._send(200, data, ctype, validators)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if (inm := self.headers.get("If-None-Match")) is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        if (ims := self.headers.get("If-Modified-Since")) is not None:
            try:
                return int(mtime) <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _api_listing(self, limit_text: str) -> None:
        try:
            limit = max(1, min(int(limit_text), PASTEBIN_MAX_LIMIT))
        except ValueError:
            limit = DEFAULT_LISTING_SIZE
        base = self._base()
        items = [
            {
                "scrape_url": f"{base}/api_scrape_item.php?i={p.key}",
                "full_url": f"{base}/view/{p.key}",
                "date": str(int(p.mtime)),
                "key": p.key,
                "size": str(p.size),
                "expire": "0",
                "title": "",
                "syntax": "text",
                "user": "",
            }
            for p in list_pastes(self.server.directory, limit)
        ]
        self._send(200, json.dumps(items, indent=0).encode(), "application/json")

    def _api_item(self, key: str) -> None:
        self._slow()
        paste = self._find(key)
        try:
            data = paste.path.read_bytes() if paste else None
        except FileNotFoundError:
            data = None
        if data is None:  # Pastebin answers errors with status 200 and a text body
            self._send(200, b"Error, we cannot find this paste.", "text/plain; charset=utf-8")
        else:
            self._send(200, data, "text/plain; charset=utf-8")


class _SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], directory: Path, listing_size: int, verbose: bool,
                 delay: float = 0.0) -> None:
        self.directory = directory
        self.listing_size = listing_size
        self.verbose = verbose
        self.delay = delay
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (killed tracker, timeout) is normal here; other errors are printed."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _base_url(server: _SimServer) -> str:
    """``http://host:port`` of the bound server (IPv6 hosts in brackets)."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}" if ":" not in str(host) else f"http://[{host}]:{port}"


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"simsite only binds a loopback address (127.0.0.1, ::1), not {host!r}")


class SimSite:
    """The simulated site running in a background thread; use as a context manager in tests."""

    def __init__(self, directory: Path, port: int = 0, host: str = "127.0.0.1",
                 listing_size: int = DEFAULT_LISTING_SIZE, verbose: bool = False, delay: float = 0.0) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"simsite: folder {self.directory} does not exist")
        self._server = _SimServer((_check_loopback(host), port), self.directory, listing_size, verbose, delay)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return _base_url(self._server)

    def start(self) -> SimSite:
        self._thread = threading.Thread(target=self._server.serve_forever, name="simsite", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``shutdown()`` is called from another one."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def shutdown(self) -> None:
        """Ask ``serve_forever()`` to return (call from another thread or a signal handler's thread)."""
        threading.Thread(target=self._server.shutdown, daemon=True).start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def publish(self, key: str, content: bytes | str, suffix: str = ".txt") -> Path:
        return publish(self.directory, key, content, suffix)

    def __enter__(self) -> SimSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Command line: serve ``--dir`` on ``--port`` until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tracker.simsite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True, type=Path, help="folder whose files are the pastes")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--listing-size", type=int, default=DEFAULT_LISTING_SIZE,
                        help="pastes shown on the archive page (default %(default)s)")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds each paste body takes (simulates a slow site)")
    parser.add_argument("--verbose", action="store_true", help="log requests on stderr")
    args = parser.parse_args(argv)
    try:
        site = SimSite(args.dir, args.port, args.host, args.listing_size, args.verbose, args.delay)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, lambda signum, frame: site.shutdown())
    signal.signal(signal.SIGINT, lambda signum, frame: site.shutdown())
    print(f"simsite: serving {args.dir} on {site.url}", flush=True)
    site.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
