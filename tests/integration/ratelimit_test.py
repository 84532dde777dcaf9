#!/usr/bin/python3
"""Rate limits against libtorrent (ctest label `integration`).

usage: ratelimit_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

The limits' precision (the average over 20 s, the fastest second) is measured in bench/ratelimit; these cases
check that a limit holds at all, from below: whatever the machine's speed, a limited transfer can be slower
than the limit but never faster than the limit plus the burst the token buckets allow (a quarter second).
Cases:
  download_from_lt  bitveil --download-limit 2M downloads 12 MiB from a libtorrent seeder, plaintext and RC4
  upload_to_lt      bitveil seed --upload-limit 2M serves 12 MiB to two libtorrent leechers at once (each capped
                    at 2 MiB/s by libtorrent too, so neither can take everything): bitveil's upload stays under
                    its limit and both complete
  alt_speed_from_lt
                    bitveil --download-limit 0 --alt-speed --alt-download-limit 200K downloads 2 MiB from a libtorrent
                    seeder: the alternative limit holds though the normal one is none
  alt_schedule_from_lt
                    the same with --alt-speed-schedule 'daily 00:00-24:00' instead of --alt-speed: a schedule that
                    covers every minute of the week puts the alternative limit on at start, whatever the local time
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import MiB, Payload, check, main  # noqa: E402

LIMIT = 2 * MiB
SIZE = 12 * MiB
BURST_SECONDS = 0.25  # bandwidth::kBurstWindow


def check_under_limit(moved, seconds, who, limit=LIMIT):
    fastest = limit * (seconds + BURST_SECONDS)
    check(moved <= fastest, f"{who}: {moved} bytes in {seconds:.1f} s, more than the limit allows ({fastest:.0f})")


def download_from_lt(lab):
    pl = Payload.single(lab.path("src"), "limited.bin", SIZE)
    tor = lab.create_torrent(pl)
    for encryption, flag in (("none", "disable"), ("rc4", "require")):
        seeder = lab.lt_peer(f"lt-seed-{encryption}", tor, pl.parent, True,
                             encryption="required" if encryption == "rc4" else "enabled")
        seeder.wait_seeding()
        dl = lab.path(f"dl-{encryption}")
        t0 = time.monotonic()
        bv = lab.bitveil(f"bitveil-{encryption}", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"],
                         extra=["--download-limit", "2M", "--encryption", flag])
        st = bv.finish(60, watch=[seeder])
        seconds = time.monotonic() - t0
        t = st["torrents"][0]
        moved = t["payload_downloaded"] + t["protocol_downloaded"]
        lab.log(f"{encryption}: {moved} bytes in {seconds:.1f} s ({moved / seconds / MiB:.2f} MiB/s)")
        check_under_limit(moved, seconds, f"download ({encryption})")
        pl.check_copy(dl, "bitveil")
        seeder.stop()


def upload_to_lt(lab):
    pl = Payload.single(lab.path("src"), "limited.bin", SIZE)
    tor = lab.create_torrent(pl)
    seed = lab.bitveil("seed", "seed", tor, pl.parent, extra=["--upload-limit", "2M"])
    ep = f"127.0.0.1:{seed.port}"
    t0 = time.monotonic()
    leechers = [lab.lt_peer(f"lt-leech-{i}", tor, lab.path(f"dl-{i}"), False, peers=[ep], timeout=90,
                            extra=["--remote-class", "--set", f"download_rate_limit={LIMIT}"]) for i in range(2)]
    for i, lt in enumerate(leechers):
        rc = lt.wait(100, f"libtorrent leech {i}", watch=[seed])
        check(rc == 0, f"libtorrent leech {i} exited with {rc}")
        pl.check_copy(lab.path(f"dl-{i}"), f"libtorrent {i}")
    seconds = time.monotonic() - t0
    seed.stop()
    t = seed.stats()["torrents"][0]
    moved = t["payload_uploaded"] + t["protocol_uploaded"]
    lab.log(f"upload: {moved} bytes in {seconds:.1f} s ({moved / seconds / MiB:.2f} MiB/s)")
    check(t["payload_uploaded"] >= SIZE, f"seed uploaded {t['payload_uploaded']} bytes, less than one copy")
    check_under_limit(moved, seconds, "upload")


ALT_LIMIT = 200 * 1024
ALT_SIZE = 2 * MiB


def download_with_alt_limit(lab, alt_args, log_line):
    """bitveil downloads from a libtorrent seeder with no normal limit and the alternative one on by
    `alt_args`: it says so in its log, and the transfer does not outrun the alternative limit."""
    pl = Payload.single(lab.path("src"), "turtle.bin", ALT_SIZE)
    tor = lab.create_torrent(pl)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    dl = lab.path("dl")
    t0 = time.monotonic()
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"],
                     extra=["--download-limit", "0", "--alt-download-limit", "200K", "--encryption", "disable",
                            *alt_args])
    bv.wait_for(log_line, 20, log_line)
    st = bv.finish(60, watch=[seeder])
    seconds = time.monotonic() - t0
    t = st["torrents"][0]
    moved = t["payload_downloaded"] + t["protocol_downloaded"]
    lab.log(f"{moved} bytes in {seconds:.1f} s ({moved / seconds / 1024:.0f} KiB/s)")
    check(t["payload_downloaded"] >= ALT_SIZE, f"downloaded {t['payload_downloaded']} bytes, less than the torrent")
    check_under_limit(moved, seconds, "download under the alternative limit", ALT_LIMIT)
    pl.check_copy(dl, "bitveil")
    seeder.stop()


def alt_speed_from_lt(lab):
    download_with_alt_limit(lab, ["--alt-speed"], r"alt speed limits on: 200 KiB/s down, 50 KiB/s up")


def alt_schedule_from_lt(lab):
    download_with_alt_limit(lab, ["--alt-speed-schedule", "daily 00:00-24:00"],
                            r"alt speed limits on by the schedule: 200 KiB/s down, 50 KiB/s up")


CASES = {
    "download_from_lt": (download_from_lt, 120, "bitveil --download-limit from libtorrent, plain and RC4"),
    "upload_to_lt": (upload_to_lt, 150, "bitveil seed --upload-limit to two libtorrent leechers"),
    "alt_speed_from_lt": (alt_speed_from_lt, 90, "bitveil --alt-speed --alt-download-limit from libtorrent"),
    "alt_schedule_from_lt": (alt_schedule_from_lt, 90, "bitveil --alt-speed-schedule covering now, from libtorrent"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
