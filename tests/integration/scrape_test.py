#!/usr/bin/python3
"""Scrape tests on 127.0.0.1 (ctest label `integration`): `bitveil info --scrape` against opentracker over
HTTP (BEP 48) and UDP (BEP 15) after libtorrent peers announced, trackers that cannot be scraped, dead and
silent trackers, and the session's own scrape of a tracker whose announces carry no counts.

usage: scrape_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Exit status: 0 pass, 1 fail (logs of every process are printed), 77 skipped (a needed tool is missing).
BITVEIL_KEEP_LAB=1 keeps the temporary folders.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Payload, bdecode, check, free_port, main, need_libtorrent,  # noqa: E402
                 torrent_with_trackers)


def small_payload(lab):
    return Payload(lab.path("src"), "payload", [("a.bin", 3 * MiB + 123), ("sub/b.bin", 1 * MiB + 7)])


def run_scrape(lab, target, *extra, timeout=60):
    """`bitveil info --scrape TARGET EXTRA...`: (exit status, stdout, stderr, seconds)."""
    argv = [lab.bitveil_path, "info", "--scrape", *extra, target]
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, timeout=timeout)
    took = time.monotonic() - t0
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    lab.log(f"$ {' '.join(argv)}  -> exit {r.returncode} in {took:.1f} s\n{out}{err}")
    return r.returncode, out, err, took


def scrape_lines(out):
    """{tracker URL: what follows ' ... '} from the text output."""
    return dict(m.groups() for m in re.finditer(r"^  (\S+) \.\.\. (.*)$", out, re.M))


def opentracker_counts(tracker, tor):
    """What opentracker itself says, read with urllib and lab.bdecode: (complete, incomplete, downloaded)."""
    url = f"http://{tracker.host}:{tracker.port}/scrape?" + urllib.parse.urlencode({"info_hash": tor.info_hash})
    with urllib.request.urlopen(url, timeout=5) as r:
        top, _ = bdecode(r.read())
    entry = top[b"files"][tor.info_hash]
    return entry[b"complete"], entry[b"incomplete"], entry[b"downloaded"]


def magnet_of(tor, trackers):
    return f"magnet:?xt=urn:btih:{tor.info_hash_hex}&dn=payload" + "".join(
        "&tr=" + urllib.parse.quote(t, safe="") for t in trackers)


# ---------------------------------------------------------------------------------------------------

def opentracker_http_udp(lab):
    """A libtorrent seeder and a libtorrent leecher announce to opentracker; `bitveil info --scrape` reads
    1 seeder, 1 leecher, 0 downloads over HTTP and over UDP (the same opentracker), from the .torrent and
    from a magnet link, in text and JSON, and agrees with opentracker's own scrape and transmission-show."""
    need_libtorrent()
    http = lab.tracker_url()
    udp = http.replace("http://", "udp://", 1)
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, tracker_url=http, piece_size=64 * KiB)
    both = torrent_with_trackers(tor, [[http], [udp]], os.path.join(lab.path("torrents"), "both.torrent"))
    tracker = lab.tracker([tor])
    # The seeder trickles (1 KiB/s), so the leecher stays a leecher for the whole test.
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=1024)
    seeder.wait_seeding()
    seeder.wait_announced()
    leecher = lab.lt_peer("lt-leech", tor, lab.path("lt-dl"), seed=False)
    leecher.wait_announced()
    expected = "1 seeders, 1 leechers, 0 downloaded"
    truth = opentracker_counts(tracker, tor)
    check(truth == (1, 1, 0), f"opentracker's own scrape says {truth}, expected (1, 1, 0)")

    rc, out, err, _ = run_scrape(lab, both.path)
    check(rc == 0, f"exit {rc}: {err}")
    check(f"info hash:     {tor.info_hash_hex}" in out, f"no info hash line: {out!r}")
    lines = scrape_lines(out)
    check(lines.get(http) == expected, f"HTTP scrape: {lines.get(http)!r}, expected {expected!r}; output:\n{out}")
    check(lines.get(udp) == expected, f"UDP scrape: {lines.get(udp)!r}, expected {expected!r}; output:\n{out}")
    check(list(lines) == [http, udp], f"lines not in tracker order: {list(lines)}")

    rc, out, err, _ = run_scrape(lab, magnet_of(tor, [udp, http]), "--json")
    check(rc == 0, f"magnet --json: exit {rc}: {err}")
    doc = json.loads(out)
    check(doc["info_hash"] == tor.info_hash_hex and doc["name"] == "payload", f"magnet --json header: {doc}")
    got = [(e["tracker"], e["status"], e.get("seeders"), e.get("leechers"), e.get("downloaded")) for e in doc["scrape"]]
    check(got == [(udp, "ok", 1, 1, 0), (http, "ok", 1, 1, 0)], f"magnet --json scrape: {got}")

    show = shutil.which("transmission-show")
    if show:  # the format bitveil follows: "<scrape url> ... 1 seeders, 1 leechers"
        r = subprocess.run([show, "--scrape", tor.path], capture_output=True, timeout=60,
                           env=dict(os.environ, HOME=lab.home))
        theirs = r.stdout.decode(errors="replace")
        lab.log(f"transmission-show --scrape:\n{theirs}")
        check(re.search(r" \.\.\. 1 seeders, 1 leechers$", theirs, re.M),
              f"transmission-show disagrees: {theirs!r}")
    else:
        lab.log("transmission-show not installed: not compared")
    check(seeder.alive() and leecher.alive(), "a libtorrent peer exited")


def cannot_be_scraped(lab):
    """An http:// tracker whose path does not end in "announce" cannot be scraped (BEP 48): its line says so,
    nothing is sent to it, and the other tracker still answers (exit 0; opentracker has no entry for a torrent
    nobody announced: "no match"); alone, exit 1."""
    http = lab.tracker_url()
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, tracker_url=http, piece_size=64 * KiB)
    tracker = lab.tracker([tor])
    # A listener that would show any request made to it.
    odd_sock = socket.socket()
    odd_sock.bind(("127.0.0.1", 0))
    odd_sock.listen(8)
    odd_sock.setblocking(False)
    odd = f"http://127.0.0.1:{odd_sock.getsockname()[1]}/tracker.php?passkey=x"
    mixed = torrent_with_trackers(tor, [[odd, http]], os.path.join(lab.path("torrents"), "mixed.torrent"))
    rc, out, err, _ = run_scrape(lab, mixed.path)
    check(rc == 0, f"exit {rc}: {err}")
    lines = scrape_lines(out)
    want = 'cannot be scraped: the last part of its path is not "announce" (BEP 48)'
    check(lines.get(odd) == want, f"{odd}: {lines.get(odd)!r}, expected {want!r}")
    # Nobody announced the torrent: opentracker answers with no entry for it.
    check(lines.get(http) == "no match: the tracker has no numbers for this torrent", f"{http}: {lines.get(http)!r}")
    try:
        odd_sock.accept()
        raise AssertionError("bitveil connected to the tracker that cannot be scraped")
    except BlockingIOError:
        pass
    alone = torrent_with_trackers(tor, [[odd]], os.path.join(lab.path("torrents"), "alone.torrent"))
    rc, out, err, _ = run_scrape(lab, alone.path, "--json")
    check(rc == 1, f"only a tracker that cannot be scraped: exit {rc}, expected 1")
    check(err.strip() == f"bitveil: {alone.path}: no tracker can be scraped", f"stderr: {err!r}")
    doc = json.loads(out)
    check(doc["scrape"] == [{"tracker": odd, "status": "unsupported", "error": want}], f"--json: {doc['scrape']}")
    check(tracker.alive(), "opentracker exited")
    odd_sock.close()


def dead_trackers(lab):
    """A silent UDP tracker, a silent HTTP tracker and a UDP port nobody listens on: each gets one clear line
    within --tracker-timeout (all are asked at once), and with no answer at all the exit status is 1."""
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    silent_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent_udp.bind(("127.0.0.1", 0))
    silent_http = socket.socket()
    silent_http.bind(("127.0.0.1", 0))
    silent_http.listen(8)  # the kernel accepts the connection; nobody ever answers
    refused = free_port()  # nothing binds it: ICMP port unreachable
    trackers = [f"udp://127.0.0.1:{silent_udp.getsockname()[1]}/announce",
                f"http://127.0.0.1:{silent_http.getsockname()[1]}/announce",
                f"udp://127.0.0.1:{refused}"]
    dead = torrent_with_trackers(tor, [[t] for t in trackers], os.path.join(lab.path("torrents"), "dead.torrent"))
    rc, out, err, took = run_scrape(lab, dead.path, "--tracker-timeout", "3")
    check(rc == 1, f"exit {rc}, expected 1")
    check(err.strip() == f"bitveil: {dead.path}: no tracker answered the scrape", f"stderr: {err!r}")
    check(took < 3 + 5, f"took {took:.1f} s with --tracker-timeout 3: not asked at once?")
    lines = scrape_lines(out)
    check(lines.get(trackers[0]) == "error: timed out after 3 s", f"silent UDP: {lines.get(trackers[0])!r}")
    check(re.fullmatch(r"error: .*[Tt]imed out.*", lines.get(trackers[1], "")), f"silent HTTP: {lines.get(trackers[1])!r}")
    check(lines.get(trackers[2]) == "error: connection refused (nothing listens on that port)",
          f"refused UDP: {lines.get(trackers[2])!r}")
    # A magnet link without trackers has nothing to scrape.
    rc, out, err, _ = run_scrape(lab, f"magnet:?xt=urn:btih:{tor.info_hash_hex}")
    check(rc == 1 and out == "" and err.strip().endswith(": no trackers to scrape"), f"no trackers: {rc} {out!r} {err!r}")
    silent_udp.close()
    silent_http.close()


def session_scrapes(lab):
    """A download whose HTTP tracker's announces carry no seeder or leecher counts: the session scrapes it
    (BEP 48) once, logs the numbers and reports them in --stats-json (swarm_seeders, ...)."""
    need_libtorrent()
    pl = small_payload(lab)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True)
    seeder.wait_seeding()
    bad, urls = lab.bad_tracker("bad-tracker", http=["ok"], peers=[f"127.0.0.1:{seeder.port}"])
    url = urls[("http", "ok")]
    withtr = torrent_with_trackers(tor, [[url]], os.path.join(lab.path("torrents"), "ok.torrent"))
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", withtr, dl, extra=["--seed"])
    bv.wait_for(r"tracker: " + re.escape(url) + r": scrape: 7 seeders, 3 leechers, 11 downloaded$", 60,
                "the session's scrape")
    bv.wait_for(r"download complete", 60, "'download complete'")
    bad.wait_for(r"^REQUEST http ok /scrape\?info_hash=", 5, "the scrape request")
    check(len(re.findall(r"^REQUEST http ok /scrape", bad.text(), re.M)) == 1, "scraped more than once")
    bv.send_signal(signal.SIGTERM)
    rc = bv.wait(30)
    check(rc == 143, f"bitveil exited {rc} on SIGTERM, expected 143")
    st = bv.stats()["torrents"][0]
    got = (st.get("swarm_seeders"), st.get("swarm_leechers"), st.get("swarm_downloaded"))
    check(got == (7, 3, 11), f"--stats-json swarm counts {got}, expected (7, 3, 11)")
    pl.check_copy(dl, "bitveil")


CASES = {
    "opentracker_http_udp": (opentracker_http_udp, 120, "info --scrape over HTTP and UDP against opentracker"),
    "cannot_be_scraped": (cannot_be_scraped, 60, "a tracker URL without 'announce' cannot be scraped"),
    "dead_trackers": (dead_trackers, 60, "silent and refusing trackers time out with one clear line each"),
    "session_scrapes": (session_scrapes, 120, "the session scrapes a tracker whose announces have no counts"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
