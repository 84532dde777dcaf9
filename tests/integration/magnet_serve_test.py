#!/usr/bin/python3
"""bitveil serves a torrent's metadata (BEP 9 ut_metadata, `metadata_size` in its extended handshake) to
leechers that start from a magnet link (issue 23, acceptance 3; ctest label `integration`).

usage: magnet_serve_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

bitveil seeds from a .torrent; each leecher gets only a magnet (xt and dn, plus tr= where it finds bitveil
through opentracker) and must fetch the info dictionary from bitveil, the only peer there is, then the data.
The torrent has 16 KiB pieces and enough of them that its info dictionary spans two metadata pieces, the
second shorter. A private torrent's metadata is not served (as libtorrent, BEP 27: it goes only to those
given the .torrent).
- serve_to_lt: a libtorrent leecher with the magnet dials bitveil (--peer).
- serve_to_transmission: Transmission ignores loopback peers, so this runs through
  tests/integration/with_test_address: opentracker and bitveil on 198.18.0.1, transmission-cli on 198.18.0.2
  learns bitveil from the magnet's tracker and dials it (transmission-cli 3.00 has no way to be given a peer).
- serve_to_aria2: aria2c with the magnet finds bitveil through opentracker (aria2 cannot be given a peer).
- private_not_served: bitveil seeds a private torrent; a libtorrent leecher with its magnet connects and,
  the extended handshakes exchanged, gets no metadata.
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Magnet, Payload, Skip, Torrent, bdecode, check, exit_status, main, need_libtorrent,  # noqa: E402
                 need_program)
from transmission_test import transmission  # noqa: E402

PIECE = 16 * KiB



def info_size(torrent):
    """The size of the info dictionary as the .torrent holds it: the metadata_size bitveil must announce."""
    with open(torrent.path, "rb") as f:
        top, _ = bdecode(f.read())
    a, b = top[b"\0spans"][b"info"]
    return b - a


def payload(lab, name):
    # 13.3 MiB in 16 KiB pieces: 851 piece hashes, so the info dictionary is two metadata pieces.
    return Payload(lab.path("src"), name, [("a.bin", 13 * MiB + 5_555), ("sub/b.bin", 300_007)])


def make_torrent(lab, name, tracker_url=None, private=False):
    pl = payload(lab, name)
    if not private:
        tor = lab.create_torrent(pl, tracker_url=tracker_url, piece_size=PIECE)
    else:  # lab.create_torrent has no --private
        out = os.path.join(lab.path("torrents"), name + ".torrent")
        r = subprocess.run([lab.bitveil_path, "create", pl.path, "-o", out, "--quiet", "--private",
                            "--piece-size", str(PIECE)], capture_output=True, timeout=120)
        check(r.returncode == 0, f"bitveil create --private failed: {r.stderr.decode(errors='replace')}")
        tor = Torrent(out)
    size = info_size(tor)
    check(size > 16 * KiB, f"the info dictionary is {size} bytes: one metadata piece, the test wants two")
    return pl, tor


def stop_seed(lab, seed, tor):
    """SIGTERM the bitveil seed; it must exit 143 having uploaded the whole torrent at least once."""
    rc = exit_status(seed.stop(grace=10))
    check(rc == 143, f"bitveil seed: exit status {rc} after SIGTERM, expected 143")
    st = seed.stats()
    lab.log(f"bitveil seed stats: {st}")
    check(st["payload_uploaded"] >= tor.total_size,
          f"bitveil seed: uploaded {st['payload_uploaded']} of {tor.total_size}")


def serve_to_lt(lab):
    """A libtorrent leecher given the magnet (no tracker) and bitveil's address fetches the metadata from
    bitveil and downloads everything."""
    need_libtorrent()
    pl, tor = make_torrent(lab, "to-lt")
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    dl = lab.path("dl")
    lt = lab.lt_peer("lt-leech", Magnet(tor, tor.name), dl, seed=False, peers=[f"127.0.0.1:{seed.port}"], no_tracker=True,
                     timeout=80)
    m = lt.wait_for(r"^METADATA bytes=(\d+)", 30, "METADATA (the info dictionary from bitveil)")
    check(int(m.group(1)) == info_size(tor), f"libtorrent got {m.group(1)} bytes of metadata, expected {info_size(tor)}")
    rc = lt.wait(90, "libtorrent leech", watch=[seed])
    check(rc == 0, f"libtorrent leech exited with {rc}")
    pl.check_copy(dl, "libtorrent")
    stop_seed(lab, seed, tor)


def serve_to_transmission(lab):
    """transmission-cli given the magnet, whose tracker lists bitveil, fetches the metadata from bitveil and
    downloads everything (at the namespace's test addresses: Transmission ignores loopback peers)."""
    addresses = os.environ.get("BITVEIL_TEST_ADDRESSES", "").split(",")
    if len(addresses) < 2:
        raise Skip("needs two non-loopback addresses that exist only in a private network namespace: run it "
                   "through tests/integration/with_test_address (Transmission ignores loopback peers)")
    address, transmission_address = addresses[:2]
    need_program("transmission-cli")
    url = lab.tracker_url(address)
    pl, tor = make_torrent(lab, "to-tr", tracker_url=url)
    lab.tracker([tor])
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address=address)
    seed.wait_for(r"\] tracker: .* peer\(s\)", 30, "bitveil's first announce")
    dl = lab.path("dl")
    leech = transmission(lab, "tr-leech", Magnet(tor, tor.name, [url]), dl, seed=False, address=transmission_address,
                         required=False)
    rc = leech.wait(120, "transmission-cli leech", watch=[seed])
    check(rc == 0, f"transmission-cli leech exited with {rc}")
    pl.check_copy(dl, "transmission-cli")
    stop_seed(lab, seed, tor)


def serve_to_aria2(lab):
    """aria2c given the magnet finds bitveil through opentracker, fetches the metadata from it and downloads
    everything."""
    need_program("aria2c")
    url = lab.tracker_url()
    pl, tor = make_torrent(lab, "to-aria2", tracker_url=url)
    lab.tracker([tor])
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    seed.wait_for(r"\] tracker: .* peer\(s\)", 30, "bitveil's first announce")
    dl = lab.path("dl")
    aria = lab.aria2("aria2-leech", Magnet(tor, tor.name, [url]), dl, seed=False)
    rc = aria.wait(90, "aria2 leech", watch=[seed])
    check(rc == 0, f"aria2c leech exited with {rc}")
    pl.check_copy(dl, "aria2c")
    stop_seed(lab, seed, tor)


def private_not_served(lab):
    """bitveil seeds a private torrent: a libtorrent leecher with its magnet connects, the extended handshakes
    cross, and no metadata comes (bitveil offers no ut_metadata and no metadata_size for it)."""
    need_libtorrent()
    pl, tor = make_torrent(lab, "private", private=True)
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    dl = lab.path("dl")
    lt = lab.lt_peer("lt-leech", Magnet(tor, tor.name), dl, seed=False, peers=[f"127.0.0.1:{seed.port}"], no_tracker=True)
    seed.wait_for(r"in: client libtorrent/\d", 30, "libtorrent's extended handshake at bitveil")
    lt.wait_for(r"client: BV|client='bitveil|peer_connect_alert", 10, "libtorrent connected to bitveil")
    time.sleep(5)  # a public torrent's metadata arrives within a second (serve_to_lt)
    check(not re.search(r"^METADATA", lt.text(), re.M), "libtorrent got the metadata of a private torrent")
    check(seed.alive(), "bitveil seed exited")


CASES = {
    "serve_to_lt": (serve_to_lt, 150, "libtorrent leecher with a magnet and --peer bitveil"),
    "serve_to_transmission": (serve_to_transmission, 180,
                              "transmission-cli with a magnet finds bitveil through the tracker (test addresses)"),
    "serve_to_aria2": (serve_to_aria2, 150, "aria2c with a magnet finds bitveil through the tracker"),
    "private_not_served": (private_not_served, 90, "a private torrent's metadata is not served"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
