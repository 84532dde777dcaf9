#!/usr/bin/python3
"""Magnet links (BEP 9): bitveil fetches the metadata from real peers, then downloads (ctest label `integration`).

usage: magnet_fetch_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  from_lt              a magnet with only --peer: metadata and data from a libtorrent seeder; a second run of the
                       same magnet finds the metadata kept in the resume folder and does not fetch it again
  from_transmission    the same from a transmission-cli seeder
  hostile              peers that answer with metadata pieces of the wrong size or the wrong bytes, or announce
                       a metadata_size of 2^31: each is closed with its reason; then a libtorrent seeder dials
                       in, and the metadata and the data come from it
  udp_tracker          a magnet whose tr= is opentracker over UDP: --metadata-only --save-torrent F writes a
                       .torrent with the magnet's info-hash and nothing else; then the download completes
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Magnet, Payload, check, main, need_libtorrent  # noqa: E402
from transmission_test import transmission  # noqa: E402



def payload(lab, name):
    # Piece hashes of 2 MiB... 5 MiB in 16 KiB pieces: a 6 KiB info dictionary would be one metadata piece;
    # this one has 21 KiB, two pieces, so the last-piece size is exercised.
    return Payload(lab.path("src"), name, [("a.bin", 5 * MiB + 333), ("sub/b.bin", 3 * MiB + 7), ("c.txt", 1000)])


def fetched_metadata(bv):
    return "connected for the metadata" in bv.text()


def from_lt(lab):
    need_libtorrent()
    pl = payload(lab, "magnet-lt")
    tor = lab.create_torrent(pl, piece_size=16 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True)
    seeder.wait_seeding()
    dl = lab.path("dl")
    magnet = Magnet(tor, "magnet-lt")
    bv = lab.bitveil("bitveil", "download", magnet, dl, peers=[f"127.0.0.1:{seeder.port}"])
    st = bv.finish(90, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    check(fetched_metadata(bv), "the first run did not fetch the metadata from a peer")
    check(st.get("complete") is True, f"not complete: {st}")

    again = lab.bitveil("bitveil-again", "download", magnet, dl, peers=[f"127.0.0.1:{seeder.port}"])
    st = again.finish(60, watch=[seeder])
    check(not fetched_metadata(again), "the second run fetched the metadata again")
    check(st.get("payload_downloaded") == 0, f"the second run downloaded {st.get('payload_downloaded')} bytes")


def from_transmission(lab):
    pl = payload(lab, "magnet-tr")
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    seeder = transmission(lab, "tr-seed", tor, pl.parent, seed=True, required=False)
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", Magnet(tor), dl, peers=[f"127.0.0.1:{seeder.port}"])
    st = bv.finish(120, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    check(fetched_metadata(bv), "the metadata was not fetched from transmission")
    check(st.get("complete") is True, f"not complete: {st}")


def hostile(lab):
    need_libtorrent()
    pl = payload(lab, "magnet-hostile")
    tor = lab.create_torrent(pl, piece_size=16 * KiB)
    bad = lab.bad_peer("bad", tor, "meta_wrong_size,meta_wrong_hash,meta_huge")
    ports = [int(p) for p in re.findall(r"^LISTENING 127\.0\.0\.1:(\d+) mode=", bad.wait_for(
        r"(?s)(LISTENING.*){3}", 20, "three listening modes").group(0), re.M)]
    check(len(ports) == 3, f"bad_peer listens on {ports}")
    dl = lab.path("dl")
    # Only the liars at first, so that each is asked and caught.
    bv = lab.bitveil("bitveil", "download", Magnet(tor), dl, peers=[f"127.0.0.1:{p}" for p in ports])
    bv.wait_for(r"metadata_size 2147483648 is outside", 20, "the 2^31 metadata_size refused")
    bv.wait_for(r"ut_metadata piece \d+ has \d+ bytes, expected \d+", 20, "the short piece refused")
    bv.wait_for(r"does not match the info hash", 20, "the wrong bytes found out")
    # Then a real seeder comes: the metadata and the data come from it.
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, peers=[f"127.0.0.1:{bv.port}"])
    st = bv.finish(120, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    check(st.get("complete") is True, f"not complete: {st}")


def udp_tracker(lab):
    need_libtorrent()
    pl = payload(lab, "magnet-udp")
    url = lab.tracker_url()
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=16 * KiB)
    tracker = lab.tracker([tor])
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True)
    seeder.wait_seeding()
    seeder.wait_announced()
    udp = f"udp://127.0.0.1:{tracker.port}/announce"
    magnet = Magnet(tor, "magnet-udp", trackers=[udp])

    saved = os.path.join(lab.dir, "saved.torrent")
    dl = lab.path("dl")
    meta = lab.bitveil("bitveil-meta", "download", magnet, dl, extra=["--metadata-only", "--save-torrent", saved])
    meta.finish(60, "metadata-only", watch=[seeder])
    check(os.path.isfile(saved), f"--save-torrent wrote nothing at {saved}")
    info = subprocess.run([lab.bitveil_path, "info", "--json", saved], capture_output=True, timeout=30)
    check(info.returncode == 0, f"bitveil info of the saved torrent failed: {info.stderr.decode(errors='replace')}")
    d = json.loads(info.stdout)
    check(d["info_hash"] == tor.info_hash_hex, f"saved info-hash {d['info_hash']}, magnet's {tor.info_hash_hex}")
    check(d["name"] == "magnet-udp", f"saved torrent named {d['name']!r}")
    check(os.listdir(dl) == [], f"--metadata-only wrote into the download folder: {os.listdir(dl)}")

    bv = lab.bitveil("bitveil", "download", magnet, dl)
    bv.finish(90, watch=[seeder])
    pl.check_copy(dl, "bitveil")


CASES = {  # name -> (function, time budget in seconds, summary)
    "from_lt": (from_lt, 150, "magnet with --peer: metadata and data from libtorrent; a rerun does not refetch"),
    "from_transmission": (from_transmission, 180, "magnet with --peer: metadata and data from transmission"),
    "hostile": (hostile, 150, "liars about metadata size and bytes are closed; the seeder gives the metadata"),
    "udp_tracker": (udp_tracker, 150, "magnet with a UDP tr=: --metadata-only --save-torrent, then the download"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
