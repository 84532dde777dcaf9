#!/usr/bin/python3
"""Download order against a libtorrent seeder (ctest label `integration`).

usage: order_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  sequential  bitveil --sequential downloads 256 pieces: no downloaded piece is verified ahead of the lowest missing
              ones plus those in flight (--stats-json pieces_downloaded_ahead is 0); the same download without it,
              rarest first from a random start, verifies pieces far ahead (the count is above 0)
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
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


CASES = {
    "sequential": (sequential, 120, "--sequential verifies pieces in ascending order"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
