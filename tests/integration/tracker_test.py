#!/usr/bin/python3
"""Tracker tests of `bitveil download` on 127.0.0.1 (ctest label `integration`): UDP trackers (BEP 15),
BEP 12 tiers, hostile trackers (tools/bad_tracker.py) and .torrent paths that try to leave the folder.

usage: tracker_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Exit status: 0 pass, 1 fail (logs of every process are printed), 77 skipped (a needed tool is missing).
BITVEIL_KEEP_LAB=1 keeps the temporary folders.
"""
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Payload, Skip, bencode, check, exit_status, free_port, main,  # noqa: E402
                 need_libtorrent, peak_rss_kib, sanitized, torrent_with_trackers)

# HTTP modes of bad_tracker.py and what bitveil must say about each (after "<url>: ").
HTTP_CASES = [
    ("huge", r"response larger than 4194304 bytes"),
    ("truncated", r"malformed reply: tracker response is not valid bencode: .+"),
    ("wrong_types", r"malformed reply: invalid field in tracker response: interval: .+"),
    ("bad_peers", r"malformed reply: invalid compact peer list: peers: 7 bytes is not a multiple of 6"),
    ("not_dict", r"malformed reply: tracker response is not a dictionary.*"),
    ("failure", r"tracker error: evil\\x0asecond line \\x1b\[31mred\\x1b\[0m A+\.\.\."),
    ("status500", r"HTTP status 500"),
    ("garbage", r"\S.*"),  # libcurl's words (HTTP/0.9, bad header, ...): any one line
    ("trickle", r".*[Tt]imed out.*"),
    ("silent", r".*[Tt]imed out.*"),
]
# UDP modes; bitveil names a UDP tracker without its path.
UDP_CASES = [
    ("short", r"malformed reply: UDP tracker packet too short.*"),
    ("error", r"tracker error: evil\\x0asecond line \\x1b\[31mred\\x1b\[0m"),
    ("bad_peers", r"malformed reply: invalid compact peer list.*"),
    ("wrong_tid", r"timed out after 5 s"),
    ("silent", r"timed out after 5 s"),
]
# Generous, yet a client that kept the 50 MiB body in memory would go over it.
MAX_HWM_KIB = 48 * 1024


MAX_KNOWN_PEERS = 3000  # bitveil's default (src/session/settings.hpp)


def small_payload(lab, name="payload"):
    return Payload(lab.path("src"), name, [("a.bin", 3 * MiB + 123), ("sub/b.bin", 1 * MiB + 7)])


def lt_seeder(lab, tor, pl, no_tracker=True):
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=no_tracker)
    seeder.wait_seeding()
    return seeder


def udp_url(http_url):
    return http_url.replace("http://", "udp://", 1)


def tracker_lines(bv):
    return re.findall(r"^ *[\d.]+ \[\w+\] tracker: (.*)$", bv.text(), re.M)


# ---------------------------------------------------------------------------------------------------

def udp_opentracker(lab):
    """libtorrent seeds and announces over UDP to opentracker; bitveil finds it through UDP only."""
    need_libtorrent()
    url = udp_url(lab.tracker_url())
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=64 * KiB)
    check(tor.trackers == [url], f"torrent announce {tor.trackers}, expected {url}")
    lab.tracker([tor])
    seeder = lt_seeder(lab, tor, pl, no_tracker=False)
    seeder.wait_announced()
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl)
    st = bv.finish(60, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    check(st["peers_connected_out"] >= 1, f"peers_connected_out {st['peers_connected_out']}: no peer from the tracker?")
    check(re.search(r"^ *[\d.]+ \[info\] tracker: " + re.escape(url) + r": [1-9]\d* peer\(s\)", bv.text(), re.M),
          f"no successful UDP announce to {url} in the log")


def dead_udp_then_http(lab):
    """One tier: a UDP tracker nobody listens on, then opentracker over HTTP. bitveil reports the dead one and
    moves on within the tier (BEP 12)."""
    need_libtorrent()
    http = lab.tracker_url()
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, tracker_url=http, piece_size=64 * KiB)
    lab.tracker([tor])
    dead_port = free_port()  # nothing binds it: the kernel answers with ICMP port unreachable
    dead = f"udp://127.0.0.1:{dead_port}/announce"
    tiered = torrent_with_trackers(tor, [[dead, http]], os.path.join(lab.path("torrents"), "tiered.torrent"))
    check(tiered.info_hash == tor.info_hash, "rewriting the trackers changed the info-hash")
    seeder = lt_seeder(lab, tor, pl, no_tracker=False)  # announces to opentracker (HTTP only)
    seeder.wait_announced()
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tiered, dl)
    bv.finish(90, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    lines = tracker_lines(bv)
    check(any(ln.startswith(f"udp://127.0.0.1:{dead_port}: ") for ln in lines),
          f"no error line for the dead UDP tracker; tracker lines: {lines}")
    check(any(ln.startswith(http + ": ") and "peer(s)" in ln for ln in lines),
          f"no successful announce to {http}; tracker lines: {lines}")


def run_hostile(lab, http_modes, udp_modes, expected):
    """bitveil downloads from a --peer libtorrent seeder while announcing to one hostile tracker per tier
    (a huge peer list last, the only one that answers properly). `expected`: [(url prefix, regex)]."""
    need_libtorrent()
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    bad, urls = lab.bad_tracker("bad-tracker", http=http_modes, udp=udp_modes)
    tiers = [[urls[k]] for k in urls]
    expected = [(prefix(urls), rx) for prefix, rx in expected]
    hostile = torrent_with_trackers(tor, tiers, os.path.join(lab.path("torrents"), "hostile.torrent"))
    seeder = lt_seeder(lab, tor, pl)
    dl = lab.path("dl")
    # --tracker-timeout 5: the silent and trickling trackers give up after 5 s instead of 30.
    bv = lab.bitveil("bitveil", "download", hostile, dl, peers=[f"127.0.0.1:{seeder.port}"],
                     extra=["--seed", "--tracker-timeout", "5"])
    bv.wait_for(r"download complete", 60, "'download complete'")
    lab.log("download complete; waiting for one error line per hostile tracker")
    for where, rx in expected:
        bv.wait_for(r"^ *[\d.]+ \[\w+\] tracker: " + re.escape(where) + ": " + rx + "$", 100, f"'{where}: {rx}'")
    check(bv.alive(), "bitveil exited")
    hwm = peak_rss_kib(bv.pid)
    lab.log(f"bitveil VmHWM {hwm} KiB")
    if sanitized(lab.bitveil_path):
        lab.log("peak memory not checked: a sanitizer build (see lab.sanitized)")
    else:
        check(hwm < MAX_HWM_KIB, f"bitveil peak memory {hwm} KiB, expected below {MAX_HWM_KIB} KiB")
    # Stopping announces 'stopped' to the tiers in turn, 5 s at most for all of them together.
    t0 = lab.elapsed()
    rc = exit_status(bv.stop(signal.SIGTERM, grace=90))
    lab.log(f"bitveil stopped in {lab.elapsed() - t0:.1f} s with exit status {rc}")
    check(rc in (0, 143), f"bitveil exited with {rc} after SIGTERM")
    pl.check_copy(dl, "bitveil")
    # 10,000 tracker peers against a cap of 3,000 addresses per torrent (Settings::max_known_peers): the list
    # fills up to the cap; later announces can only replace addresses that failed (nothing listens on them).
    known = bv.stats()["peers_known"]
    check(known == MAX_KNOWN_PEERS, f"peers_known {known}, expected the cap of {MAX_KNOWN_PEERS}")
    text = bv.text()
    check("\x1b" not in text, "a terminal escape sequence from a tracker reached bitveil's output")
    for ln in tracker_lines(bv):
        check(len(ln) < 1200, f"tracker log line of {len(ln)} characters: {ln[:200]}...")
    check(bad.alive(), "bad_tracker.py died")
    return urls


def hostile_http(lab):
    """Hostile HTTP trackers: huge, truncated and malformed bodies, a failure reason with control characters,
    HTTP 500, garbage, a trickling and a silent server, then 50,000 peers."""
    modes = [m for m, _ in HTTP_CASES] + ["huge_peers"]
    expected = [((lambda urls, m=m: urls[("http", m)]), rx) for m, rx in HTTP_CASES]
    expected.append(((lambda urls: urls[("http", "huge_peers")]), r"10000 peer\(s\), next announce in 1800 s"))
    run_hostile(lab, modes, [], expected)


def hostile_udp(lab):
    """Hostile UDP trackers: short datagrams, an error with control characters, bad peers, wrong transaction
    ids, silence, then the largest announce reply a datagram holds."""
    modes = [m for m, _ in UDP_CASES] + ["huge_peers"]

    def name(urls, m):
        return urls[("udp", m)].rsplit("/", 1)[0]  # udp://127.0.0.1:PORT
    expected = [((lambda urls, m=m: name(urls, m)), rx) for m, rx in UDP_CASES]
    expected.append(((lambda urls: urls[("udp", "huge_peers")]), r"10000 peer\(s\), next announce in 1800 s"))
    run_hostile(lab, [], modes, expected)


def udp_ipv6(lab):
    """A UDP tracker on ::1 answers with 18-byte peers (BEP 15 over IPv6): the libtorrent seeder as
    ::ffff:127.0.0.1. bitveil finds the seeder through it alone."""
    need_libtorrent()
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        raise Skip("no IPv6 loopback (::1) here")
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lt_seeder(lab, tor, pl)
    _, urls = lab.bad_tracker("v6-tracker", udp=["ok"], host="::1", peers=[f"127.0.0.1:{seeder.port}"])
    url = urls[("udp", "ok")]
    check(url.startswith("udp://[::1]:"), f"unexpected tracker URL {url}")
    v6tor = torrent_with_trackers(tor, [[url]], os.path.join(lab.path("torrents"), "v6.torrent"))
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", v6tor, dl)
    bv.finish(60, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    check(re.search(r"^ *[\d.]+ \[info\] tracker: " + re.escape(url) + r": 1 peer\(s\)", bv.text(), re.M),
          f"no successful announce to {url} in the log")


class UdpTrackerStub:
    """A minimal BEP 15 tracker on 127.0.0.1 (a thread): answers connects and announces (no peers) and records
    where each announce came from: [(source port, info-hash hex)]."""

    def __init__(self):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.announces = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 16:
                continue
            action, tid = struct.unpack(">II", data[8:16])
            if action == 0 and struct.unpack(">Q", data[:8])[0] == 0x41727101980:
                self.sock.sendto(struct.pack(">IIQ", 0, tid, 0x1234), peer)
            elif action == 1 and len(data) >= 98:
                with self.lock:
                    self.announces.append((peer[1], data[16:36].hex()))
                self.sock.sendto(struct.pack(">IIiII", 1, tid, 1800, 0, 1), peer)

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


def udp_shared_port(lab):
    """Two torrents in one session announce to one UDP tracker: every announce leaves from one local UDP port,
    the session's peer port (BEP 5 and the DHT share it), not a fresh socket per announce."""
    stub = UdpTrackerStub()
    try:
        url = f"udp://127.0.0.1:{stub.port}/announce"
        torrents = []
        for name in ("first", "second"):
            pl = Payload(lab.path("src"), name, [("a.bin", 256 * KiB + 17)])
            torrents.append(lab.create_torrent(pl, tracker_url=url, piece_size=16 * KiB))
        wanted = {t.info_hash_hex for t in torrents}
        check(len(wanted) == 2, "the two torrents have one info-hash")
        bv = lab.bitveil("bitveil", "download", torrents, lab.path("dl"))
        port = bv.port
        end = time.monotonic() + 30
        while time.monotonic() < end:
            with stub.lock:
                seen = {h for _, h in stub.announces}
            if wanted <= seen:
                break
            check(bv.alive(), "bitveil exited")
            time.sleep(0.1)
        with stub.lock:
            announces = list(stub.announces)
        lab.log(f"announces (source port, info-hash): {announces}; bitveil listens on {port}")
        check(wanted <= {h for _, h in announces}, f"not both torrents announced within 30 s: {announces}")
        ports = {p for p, _ in announces}
        check(ports == {port}, f"announces came from UDP ports {sorted(ports)}, expected only the peer port {port}")
        bv.stop(signal.SIGTERM, grace=30)
    finally:
        stub.stop()


# ---------------------------------------------------------------------------------------------------
# Paths that try to leave the download folder

def build_torrent(path, name, files, piece_length=16 * KiB):
    """A multi-file v1 .torrent from [(path components as bytes, content)], written as given."""
    data = b"".join(content for _, content in files)
    pieces = b"".join(hashlib.sha1(data[i:i + piece_length]).digest() for i in range(0, len(data), piece_length))
    info = {b"name": name, b"piece length": piece_length, b"pieces": pieces,
            b"files": [{b"length": len(content), b"path": list(p)} for p, content in files]}
    with open(path, "wb") as f:
        f.write(bencode({b"info": info}))


def listing(root):
    """Every path under root, relative, sorted."""
    out = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def path_escape(lab):
    """`..` anywhere (a path element, the name) is dropped, never followed, as libtorrent does; absolute,
    backslash and embedded-slash names are confined to the download folder. Each torrent is downloaded from a
    bitveil seed; everything lands inside the download folder where `bitveil info` says, and nothing appears
    outside it. (tests/integration/wild_test.py checks the names against libtorrent's.)"""
    import json
    from lab import Torrent
    sandbox = lab.path("sandbox")        # the parent we watch, holding one download folder per torrent
    tdir = lab.path("torrents")
    absolute = os.path.join(sandbox, "abs-escape.txt")
    cases = {
        "dotdot_component": (b"top", [([b"..", b"..", b"escaped.txt"], b"x" * 100)]),
        "dotdot_inside": (b"top", [([b"a", b"..", b"..", b"..", b"x.txt"], b"y" * 100)]),
        "dotdot_name": (b"..", [([b"escaped.txt"], b"z" * 100)]),
        "dotdot_after_good_file": (b"top", [([b"ok.txt"], b"o" * 20000), ([b"..", b"evil.txt"], b"e" * 100)]),
        "nothing_left": (b"top", [([b".", b""], b"n" * 100)]),
        "sanitised": (b"top", [([absolute.encode()], b"a" * 20000),
                               ([b"..\\..\\win.txt"], b"b" * 5000),
                               ([b"a/../../x.txt"], b"c" * 3000),
                               ([b"", b"etc", b"passwd"], b"d" * 100)]),
    }
    for case, (name, files) in cases.items():
        dl = os.path.join(sandbox, "dl-" + case)  # bitveil's download folder
        os.makedirs(dl)
        t = os.path.join(tdir, case + ".torrent")
        build_torrent(t, name, files)
        tor = Torrent(t)
        info = subprocess.run([lab.bitveil_path, "info", "--json", t], capture_output=True, timeout=60)
        check(info.returncode == 0, f"{case}: bitveil info: {info.stderr.decode(errors='replace')}")
        paths = [f["path"] for f in json.loads(info.stdout)["files"]]
        lab.log(f"{case}: sanitised paths: {paths}")
        for p in paths:
            check(not os.path.isabs(p) and ".." not in p.split("/") and "\\" not in p, f"unsafe path shown: {p!r}")
        seed_dir = lab.path("seed-" + case)
        for p, (_, content) in zip(paths, files):
            os.makedirs(os.path.dirname(os.path.join(seed_dir, p)), exist_ok=True)
            with open(os.path.join(seed_dir, p), "wb") as f:
                f.write(content)
        seeder = lab.bitveil("bv-seed-" + case, "seed", tor, seed_dir)
        before = listing(sandbox)
        bv = lab.bitveil("bitveil-" + case, "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"])
        bv.finish(60, watch=[seeder])
        after = listing(sandbox)
        new = sorted(set(after) - set(before))
        check(all(n.startswith(f"dl-{case}/") for n in new), f"{case}: written outside dl-{case}/: {new}")
        check(not os.path.exists(absolute), f"{absolute} was written")
        check(not os.path.exists(os.path.join(lab.dir, "escaped.txt")), f"{case}: escaped.txt written above")
        for p, (_, content) in zip(paths, files):
            q = os.path.join(dl, p)
            check(os.path.isfile(q), f"{case}: {p} missing in dl/ (new: {new})")
            with open(q, "rb") as f:
                check(f.read() == content, f"{case}: {p}: wrong content")
        seeder.stop()


CASES = {
    "udp_opentracker": (udp_opentracker, 120, "libtorrent seeder found through opentracker over UDP"),
    "dead_udp_then_http": (dead_udp_then_http, 120, "a dead UDP tracker, then HTTP, in one tier"),
    "hostile_http": (hostile_http, 240, "hostile HTTP trackers: clear errors, bounded memory, download completes"),
    "hostile_udp": (hostile_udp, 240, "hostile UDP trackers: clear errors, bounded memory, download completes"),
    "udp_ipv6": (udp_ipv6, 120, "UDP tracker on ::1 with 18-byte peers"),
    "udp_shared_port": (udp_shared_port, 60, "two torrents announce over UDP from the session's one port"),
    "path_escape": (path_escape, 240, "paths that try to leave the download folder"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
