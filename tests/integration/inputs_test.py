#!/usr/bin/python3
"""What a user types, tested against real peers and a real HTTP server on loopback (ctest label `integration`):
`--peer` with a host name ("localhost", from /etc/hosts: no name server is ever asked) and with an IPv6
literal, bad `--peer` values, the fallback from a busy port 6881, and .torrent files given as http:// URLs
(served by Python's http.server on 127.0.0.1, in this process).

usage: inputs_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

port_fallback needs the default port 6881 itself (the point is what happens without --port): it holds
6881-6889 on 0.0.0.0, and no other test uses a fixed port (lab.py). Exit status: 0 pass, 1 fail (logs of every
process are printed), 77 skipped. BITVEIL_KEEP_LAB=1 keeps the temporary folders.
"""
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Bitveil, Payload, Skip, check, free_port, main, offline_argv,  # noqa: E402
                 port_open)

DEFAULT_PORT = 6881
NEARBY_PORTS = 8  # kNearbyPorts in src/cli/download_command.cpp


def run(lab, *argv, timeout=60):
    return subprocess.run(offline_argv([lab.bitveil_path, *argv], lab.bitveil_path), capture_output=True,
                          timeout=timeout)


def one_error_line(r, code, what, *contains):
    """The command failed with `code` and said so in one 'bitveil: ' line holding every string in `contains`."""
    err = r.stderr.decode(errors="replace")
    check(r.returncode == code, f"{what}: exit {r.returncode}, expected {code} (stderr {err!r})")
    lines = err.splitlines()
    check(len(lines) == 1 and lines[0].startswith("bitveil: "), f"{what}: expected one 'bitveil: ' line, got {err!r}")
    for c in contains:
        check(c in lines[0], f"{what}: {c!r} not in {lines[0]!r}")
    return lines[0]


def seeder(lab, name="b2b", address="127.0.0.1"):
    """A payload, its torrent, and `bitveil seed` of it on `address` (a free port)."""
    pl = Payload(lab.path("src"), name, [("a.bin", 1 * MiB + 5), ("sub/b.bin", 300_001)])
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address=address)
    return pl, tor, seed


def download(lab, pl, tor, peer, seed, name="leech", torrent=None):
    """`bitveil download --peer <peer>` of `tor` (or of `torrent`, e.g. a URL), which must complete from `seed`."""
    dl = lab.path(name)
    leech = lab.bitveil(name, "download", torrent or tor, dl, peers=[peer])
    st = leech.finish(60, watch=[seed])
    pl.check_copy(dl, f"download --peer {peer}")
    check(st["complete"] is True and st["payload_downloaded"] >= tor.total_size, f"{name}: stats {st}")
    check(st["peers_connected_out"] >= 1, f"{name}: peers_connected_out {st['peers_connected_out']}")
    return leech


# ---------------------------------------------------------------------------------------------------

def peer_by_name(lab):
    """--peer localhost:PORT: the name is looked up (/etc/hosts) and the download completes from a bitveil seeder."""
    pl, tor, seed = seeder(lab)
    leech = download(lab, pl, tor, f"localhost:{seed.port}", seed)
    check(re.search(rf"127\.0\.0\.1:{seed.port}", leech.text()),
          f"the leecher's log never names 127.0.0.1:{seed.port}, the address of localhost")


def peer_ipv6_literal(lab):
    """--peer [::1]:PORT against a seeder listening on ::1."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        raise Skip("no IPv6 loopback (::1) here")
    pl, tor, seed = seeder(lab, address="::1")
    download(lab, pl, tor, f"[::1]:{seed.port}", seed)


def bad_peer_values(lab):
    """Each bad --peer value: exit 2 and one line naming it, before anything is started."""
    pl = Payload(lab.path("src"), "x", [("a.bin", 20_000)])
    tor = lab.create_torrent(pl)
    dl = lab.path("dl")
    for value, says in [("localhost", "no port"), ("::1:6881", "brackets"), ("[::1]", "no port"),
                        ("[127.0.0.1]:6881", "IPv6"), ("localhost:0", "port"), ("localhost:65536", "port"),
                        ("1.2.3.256:6881", "IPv4"), ("bad host:1", "host name"), ("", "empty"),
                        ("http://localhost:6881", "URL")]:
        r = run(lab, "download", tor.path, "-d", dl, "--port", 0, "--peer", value)
        one_error_line(r, 2, f"--peer {value!r}", f"bitveil: --peer {value}: ", says)
    # --peer takes one value each time: the torrent may follow it.
    r = run(lab, "download", "--peer", "[::1]", tor.path, "-d", dl, "--port", 0)
    one_error_line(r, 2, "--peer [::1] before the torrent", "bitveil: --peer [::1]: no port")
    check(os.listdir(dl) == [], f"bad --peer values left files in the download folder: {os.listdir(dl)}")


def hold_port(port, held):
    """Listen on 0.0.0.0:port (SO_REUSEADDR, so a TIME_WAIT of an earlier test does not stop us); a port
    that someone else holds is busy all the same."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", port))
        s.listen(1)
        held.append(s)
    except OSError:
        s.close()


def default_port_seeder(lab, name, tor, pl):
    """`bitveil seed` without --port (so on 6881 by default)."""
    stats = os.path.join(lab.dir, f"{name}.stats.json")
    return Bitveil(lab, name, [lab.bitveil_path, "seed", tor.path, "-d", pl.parent, "--listen-address", "127.0.0.1",
                               "--stats-json", stats, "--verbose"], stats)


def port_fallback(lab):
    """6881 busy: without --port bitveil takes a port near it and names it (and serves on it); with --port 6881 it
    fails (exit 1, one line); with 6881-6889 all busy it takes any free port."""
    held = []
    try:
        pl = Payload(lab.path("src"), "pf", [("a.bin", 700_001)])
        tor = lab.create_torrent(pl, piece_size=32 * KiB)
        hold_port(DEFAULT_PORT, held)
        check(port_open(DEFAULT_PORT), f"port {DEFAULT_PORT} is not busy after holding it")

        r = run(lab, "seed", tor.path, "-d", pl.parent, "--listen-address", "127.0.0.1", "--port", DEFAULT_PORT)
        one_error_line(r, 1, "seed --port 6881 (busy)", f":{DEFAULT_PORT}: ", "in use")

        seed = default_port_seeder(lab, "seed", tor, pl)
        m = seed.wait_for(r"^bitveil: port (\d+) is in use; listening on port (\d+)$", 20, "the fallback line")
        busy, port = int(m.group(1)), int(m.group(2))
        check(busy == DEFAULT_PORT, f"the fallback line names port {busy}, not {DEFAULT_PORT}")
        check(DEFAULT_PORT < port <= DEFAULT_PORT + NEARBY_PORTS, f"fell back to {port}, not a port near {DEFAULT_PORT}")
        check("bitveil: listening on port" not in seed.text(), "both the fallback line and 'listening on port'")
        download(lab, pl, tor, f"127.0.0.1:{port}", seed)
        seed.stop()

        for p in range(DEFAULT_PORT + 1, DEFAULT_PORT + NEARBY_PORTS + 1):
            hold_port(p, held)
        seed = default_port_seeder(lab, "seed-any", tor, pl)
        m = seed.wait_for(r"^bitveil: port (\d+) is in use; listening on port (\d+)$", 20, "the fallback line")
        port = int(m.group(2))
        check(not DEFAULT_PORT <= port <= DEFAULT_PORT + NEARBY_PORTS, f"fell back to {port}, which is held")
        check(port_open(port), f"nothing listens on port {port}, named in the fallback line")
        seed.stop()
    finally:
        for s in held:
            s.close()


# ---------------------------------------------------------------------------------------------------
# .torrent URLs

class Server:
    """Python's http.server on 127.0.0.1 in a thread of this process: /x.torrent and the files of `folder`,
    plus paths that misbehave (/huge, /silent, /moved, /nested/redirect-loop)."""

    def __init__(self, folder):
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=folder, **kw)

            def log_message(self, *_):
                pass

            def do_GET(self):
                server.agents.append(self.headers.get("User-Agent") or "")
                if self.path == "/huge":  # a Content-Length over the 64 MiB limit (the body never comes)
                    self.send_response(200)
                    self.send_header("Content-Length", str(100 * MiB))
                    self.end_headers()
                    self.wfile.write(b"d8:announce")
                elif self.path == "/silent":  # accepts, reads the request, never answers
                    server.release.wait(60)
                elif self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/x.torrent")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    super().do_GET()

        self.agents = []
        self.release = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def torrent_url(lab):
    """info and download of http://127.0.0.1:PORT/x.torrent; a 404, an HTML page, a reply over the size limit, a
    silent server, a redirect, https:// to a plain HTTP server and ftp:// each give one line."""
    pl, tor, seed = seeder(lab, "urlseed")
    www = lab.path("www")
    with open(tor.path, "rb") as f, open(os.path.join(www, "x.torrent"), "wb") as out:
        out.write(f.read())
    with open(os.path.join(www, "page.html"), "w") as f:
        f.write("<html><body>Log in to download this torrent</body></html>\n")
    server = Server(www)
    try:
        local = run(lab, "info", "--json", tor.path)
        check(local.returncode == 0, f"info of the local file: {local.stderr!r}")
        for path in ("/x.torrent", "/moved"):
            r = run(lab, "info", "--json", server.url(path))
            check(r.returncode == 0, f"info {server.url(path)}: exit {r.returncode}: {r.stderr!r}")
            check(r.stdout == local.stdout, f"info {path} differs from info of the file:\n{r.stdout!r}\n{local.stdout!r}")
            check(r.stderr == b"", f"info {path} wrote to stderr: {r.stderr!r}")
        check(server.agents and all(a.startswith("bitveil/") for a in server.agents),
              f"User-Agent {server.agents}: not the tracker client's")

        # A missing remote file is bad input, as a missing local file is (exit 2).
        one_error_line(run(lab, "info", server.url("/missing.torrent")), 2, "404",
                       server.url("/missing.torrent"), "HTTP 404 (not found)")
        one_error_line(run(lab, "info", server.url("/page.html")), 2, "an HTML page", "not a .torrent file (")
        one_error_line(run(lab, "info", server.url("/huge")), 2, "100 MiB", "too large for a .torrent", "64")
        one_error_line(run(lab, "info", f"https://127.0.0.1:{server.port}/x.torrent"), 2, "https:// to plain HTTP")
        one_error_line(run(lab, "info", f"ftp://127.0.0.1:{server.port}/x.torrent"), 2, "ftp://",
                       "only http:// and https://")
        one_error_line(run(lab, "info", f"http://127.0.0.1:{free_port()}/x.torrent"), 2, "nothing listening",
                       "cannot connect")
        t0 = time.monotonic()
        r = run(lab, "download", server.url("/silent"), "-d", lab.path("silent"), "--port", 0, "--tracker-timeout", 2)
        one_error_line(r, 2, "a server that never answers", server.url("/silent"), "timed out after 2 s")
        check(time.monotonic() - t0 < 15, f"a 2 s fetch timeout took {time.monotonic() - t0:.1f} s")

        # download of the URL, from the seeder.
        url = types.SimpleNamespace(path=server.url("/x.torrent"))
        download(lab, pl, tor, f"127.0.0.1:{seed.port}", seed, torrent=url)
    finally:
        server.close()


CASES = {  # name -> (function, time budget in seconds, summary)
    "peer_by_name": (peer_by_name, 90, "--peer localhost:PORT downloads from a bitveil seeder"),
    "peer_ipv6_literal": (peer_ipv6_literal, 90, "--peer [::1]:PORT downloads from a seeder on ::1"),
    "bad_peer_values": (bad_peer_values, 60, "bad --peer values: exit 2, one line each"),
    "port_fallback": (port_fallback, 120, "busy 6881: a port near it (or any), unless --port fixes it"),
    "torrent_url": (torrent_url, 120, "info/download of an http:// .torrent; one line for each failure"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
