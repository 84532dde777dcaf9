#!/usr/bin/python3
"""Download order against a libtorrent seeder (ctest label `integration`).

usage: order_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  sequential  bitveil --sequential downloads 256 pieces: no downloaded piece is verified ahead of the lowest missing
              ones plus those in flight (--stats-json pieces_downloaded_ahead is 0); the same download without it,
              rarest first from a random start, verifies pieces far ahead (the count is above 0)
  queue       bitveil downloads six torrents with --max-active-downloads 2 from a bitveil seed of all six (limited
              to 4 MiB/s, so downloads overlap): its log never shows more than two started and not yet
              complete, and all six complete
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, check, main  # noqa: E402


def sequential(lab):
    pl = Payload.single(lab.path("src"), "ordered.bin", 8 * MiB)
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    ahead = {}
    for mode, extra in (("sequential", ["--sequential"]), ("rarest-first", [])):
        dl = lab.path(f"dl-{mode}")
        bv = lab.bitveil(f"bitveil-{mode}", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"], extra=extra)
        st = bv.finish(60, watch=[seeder])
        pl.check_copy(dl, f"bitveil {mode}")
        ahead[mode] = st["torrents"][0]["pieces_downloaded_ahead"]
        lab.log(f"{mode}: {ahead[mode]} of {tor.num_pieces} pieces verified ahead")
    check(ahead["sequential"] == 0, f"--sequential verified {ahead['sequential']} pieces out of order")
    check(ahead["rarest-first"] > 0, "rarest first verified every piece in order: the count shows nothing")


def queue(lab):
    payloads = [Payload.single(lab.path("src"), f"queued-{i}.bin", 2 * MiB + i) for i in range(6)]
    tors = [lab.create_torrent(pl, piece_size=32 * KiB) for pl in payloads]
    seed = lab.bitveil("seed", "seed", tors, lab.path("src"), extra=["--upload-limit", "4M"])
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tors, dl, peers=[f"127.0.0.1:{seed.port}"],
                     extra=["--max-active-downloads", "2"])
    bv.finish(120, watch=[seed])
    for pl in payloads:
        pl.check_copy(dl, "bitveil")
    active, most, started = set(), 0, 0
    for name, event in re.findall(r"\[info\] \w+: (queued-\d\.bin): (started from the queue|download complete)",
                                  bv.text()):
        if event == "started from the queue":
            active.add(name)
            started += 1
        else:
            active.discard(name)
        most = max(most, len(active))
    lab.log(f"{started} started from the queue, at most {most} downloading at once")
    check(started == 6, f"{started} torrents started from the queue, expected 6")
    check(most <= 2, f"{most} torrents downloaded at once, more than --max-active-downloads 2")
    check(most == 2, "never two at once: the queue ran them one by one")


CASES = {
    "sequential": (sequential, 120, "--sequential verifies pieces in ascending order"),
    "queue": (queue, 150, "--max-active-downloads 2: six torrents, never more than two at once"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
