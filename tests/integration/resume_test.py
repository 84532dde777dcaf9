#!/usr/bin/python3
"""Resume and crash-safety tests of `bitveil download` against a libtorrent seeder on 127.0.0.1 (label `integration`).

usage: resume_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

bitveil keeps resume data in $XDG_STATE_HOME/bitveil/<info-hash>-<folder key>.resume, or in --resume-dir
(verified pieces, file sizes and mtimes), and at start trusts the pieces of unchanged files and hashes the files that changed. At start, with
--verbose, it logs one line that these tests read:

    [info] torrent: NAME: resume: T pieces trusted, F files rechecked (H pieces hashed, V valid)

Cases:
  kill9_x10        kill -9 at 12 random moments, restart each time; the data ends complete and correct, the
                   pieces found at start never decrease, and what the seeder uploaded in total stays within
                   the torrent size plus, per kill, what can be in flight
  clean_restart    SIGTERM part-way: the restart trusts every piece and hashes nothing; after the download,
                   a changed byte in one file makes the restart hash that file only and fetch one piece
  records_apart    the download and seed folders hold only the torrent's files; the record is in the
                   state folder (one per download folder), or in --resume-dir; an earlier version's record
                   in DIR/.bitveil/ is moved there and trusted
  disk_full        a tmpfs smaller than the torrent fills up: exit 1 with "disk full while writing <file>: No
                   space left on device"; after a remount with room, the restart completes without fetching
                   the pieces verified before the failure

Exit status: 0 pass, 1 fail (logs of every process are printed), 77 skipped. BITVEIL_KEEP_LAB=1 keeps the
temporary folders; BITVEIL_RESUME_SEED=N replays kill9_x10's random kill moments.
"""
import ctypes
import os
import random
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, Skip, check, exit_status, main, need_libtorrent  # noqa: E402

BLOCK = 16 * KiB
RESUME_RX = re.compile(r"resume: (\d+) pieces trusted, (\d+) files rechecked \((\d+) pieces hashed, (\d+) valid\)")


def resume_line(bv):
    """(trusted, files rechecked, pieces hashed, hashed and valid) from a run's start-up log line."""
    m = bv.wait_for(RESUME_RX.pattern, 60, "the 'resume: ...' start-up line")
    return tuple(int(x) for x in m.groups())


def lt_total_uploaded(seeder):
    """Payload bytes the seeder uploaded over its whole life, from the TOTAL line it prints when it exits."""
    seeder.stop(signal.SIGTERM, grace=10)
    m = re.search(r"^TOTAL payload_up=(\d+)", seeder.text(), re.M)
    check(m, "the libtorrent seeder printed no TOTAL line at exit")
    return int(m.group(1))


# ---------------------------------------------------------------------------------------------------

def kill9_x10(lab):
    """kill -9 at random moments (12 times), restart each time, then let it finish."""
    need_libtorrent()
    seed = int(os.environ.get("BITVEIL_RESUME_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    lab.log(f"random seed {seed} (BITVEIL_RESUME_SEED={seed} replays these kill moments)")
    pl = Payload(lab.path("src"), "crash", [("a.bin", 13 * MiB + 7), ("sub/b.bin", 11 * MiB - 5),
                                             ("sub/c.bin", 12 * MiB + 4321)])
    tor = lab.create_torrent(pl, piece_size=256 * KiB)
    # ~36 MiB at 1.5 MiB/s: about 24 s of transfer, most of it in the runs that get killed.
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=3 * MiB // 2)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"
    dl = lab.path("dl")

    kills = 0
    found = []  # pieces on disk at each start (trusted + hashed-and-valid)
    while kills < 12:
        bv = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
        # Random moments: some during start-up and the check, most while pieces arrive and resume data
        # is saved (every 5 s, so some runs live long enough to save and others die before). Near the end
        # of the download the kill comes at once, so that the last run still has something to fetch.
        deadline = time.monotonic() + rng.choice([rng.uniform(0.05, 0.6), rng.uniform(0.6, 2.0),
                                                   rng.uniform(2.0, 4.5)])
        nearly_done = False
        while time.monotonic() < deadline and bv.alive() and not nearly_done:
            nearly_done = seeder.uploaded() >= 0.95 * tor.total_size
            time.sleep(0.02)
        if not bv.alive():
            break
        m = RESUME_RX.search(bv.text())
        if m and kills > 0:
            found.append(int(m.group(1)) + int(m.group(4)))
        rc = exit_status(bv.stop(signal.SIGKILL))
        check(rc == 137, f"{bv.name}: exit status {rc} after SIGKILL, expected 137")
        kills += 1
        lab.log(f"kill #{kills}: seeder uploaded {seeder.uploaded()} of {tor.total_size}")
        if nearly_done:
            break
    check(kills >= 10, f"only {kills} kills before the download finished: the seeder is too fast for this test")

    final = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    t, f, h, v = resume_line(final)
    found.append(t + v)
    st = final.finish(120, watch=[seeder])
    lab.log(f"final run: resume trusted {t}, files rechecked {f}, hashed {h}, valid {v}; "
            f"downloaded {st['payload_downloaded']}")
    pl.check_copy(dl, f"bitveil (after kill -9 x{kills})")
    check(st["complete"] is True and st["pieces_have"] == tor.num_pieces, f"final run not complete: {st}")
    check(st["pieces_from_disk"] == t + v,
          f"stats pieces_from_disk {st['pieces_from_disk']} != trusted {t} + valid {v}")
    # Nothing verified is ever lost: a start finds at least what the previous start found (the killed run
    # may have added pieces, never removed any).
    lab.log(f"pieces on disk at each restart: {found}")
    check(all(b >= a for a, b in zip(found, found[1:])), f"pieces found at start went down across restarts: {found}")

    # The measure: payload the seeder uploaded over all runs (libtorrent's own counter, which also counts
    # bytes that were in the sockets when bitveil died). Everything beyond the torrent's size was fetched
    # again. After a kill, what can be lost is what was in flight: blocks of incomplete pieces (bitveil
    # fills one piece at a time from one peer, so about two pieces), pieces being hashed and written, and
    # blocks in the socket buffers. Allowed per kill: 4 pieces + 32 blocks (1.5 MiB here). Without the
    # recheck of changed files, a kill loses what arrived since the last save (resume data is saved every
    # 5 s): 2.5 s or about 3.7 MiB per kill on average at this rate.
    uploaded = lt_total_uploaded(seeder)
    again = uploaded - tor.total_size
    per_kill = 4 * tor.piece_length + 32 * BLOCK
    lab.log(f"seeder uploaded {uploaded} in total: {again} bytes fetched again over {kills} kills "
            f"({again / max(kills, 1) / KiB:.0f} KiB per kill; allowed {per_kill // KiB} KiB per kill)")
    check(uploaded >= tor.total_size, f"the seeder uploaded {uploaded} < size {tor.total_size}: measure broken")
    check(again <= kills * per_kill,
          f"{again} bytes were fetched again over {kills} kills, more than {kills} x {per_kill} in flight")


def clean_restart(lab):
    """SIGTERM part-way, restart: trust everything, hash nothing. Then change a byte: that file is rechecked."""
    need_libtorrent()
    pl = Payload(lab.path("src"), "clean", [("one.bin", 6 * MiB + 11), ("two/two.bin", 7 * MiB - 3),
                                             ("two/three.bin", 5 * MiB + 100)])
    tor = lab.create_torrent(pl, piece_size=256 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=4 * MiB)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"
    dl = lab.path("dl")

    run1 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    check(resume_line(run1) == (0, 0, 0, 0), "a first start into an empty folder trusted or hashed something")
    end = time.monotonic() + 60
    while seeder.uploaded() < 0.4 * tor.total_size:
        check(run1.alive(), f"bitveil exited ({run1.returncode}) before it was stopped")
        check(time.monotonic() < end, "no progress in 60 s")
        time.sleep(0.05)
    rc = exit_status(run1.stop(signal.SIGTERM, grace=15))
    check(rc == 143, f"exit status {rc} after SIGTERM, expected 143")
    before = run1.stats()
    have = before["pieces_have"]
    check(0 < have < tor.num_pieces, f"first run stopped with {have} of {tor.num_pieces} pieces")
    records = lab.resume_records(tor)
    check(len(records) == 1, f"expected one resume record in the state folder, found {records}")
    resume_file = records[0]

    run2 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    t, f, h, v = resume_line(run2)
    lab.log(f"restart after SIGTERM: trusted {t}, files rechecked {f}, hashed {h} (first run had {have})")
    check((t, f, h) == (have, 0, 0),
          f"after a clean stop with {have} pieces the restart should trust {have}, recheck 0 files and hash 0 "
          f"pieces; it trusted {t}, rechecked {f} files, hashed {h}")
    st = run2.finish(90, watch=[seeder])
    pl.check_copy(dl, "bitveil (resumed)")
    check(st["pieces_from_disk"] == have and st["pieces_downloaded"] == tor.num_pieces - have,
          f"resumed run: pieces_from_disk {st['pieces_from_disk']}, downloaded {st['pieces_downloaded']}, "
          f"expected {have} and {tor.num_pieces - have}")

    # Complete: a restart trusts everything and exits at once without fetching.
    run3 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    check(resume_line(run3) == (tor.num_pieces, 0, 0, 0), "a restart of a complete download did not trust it all")
    st = run3.finish(30)
    check(st["payload_downloaded"] == 0, f"a complete download fetched {st['payload_downloaded']} bytes")

    # One byte of two/two.bin changes (content and mtime; size unchanged): only that file is hashed, the
    # piece holding the byte is fetched again, and the file is repaired.
    victim = os.path.join(dl, "clean", "two", "two.bin")
    offset = 3 * MiB + 5
    with open(victim, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))
    os.utime(victim, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))  # whatever the clock's granularity
    offsets, pos = {}, 0
    for path, length in tor.files:  # torrent order, which need not be the payload's
        offsets[path] = (pos, pos + length)
        pos += length
    start_two, end_two = offsets[os.path.join("clean", "two", "two.bin")]
    pl_len = tor.piece_length
    touching = (end_two - 1) // pl_len - start_two // pl_len + 1
    run4 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    t, f, h, v = resume_line(run4)
    lab.log(f"after changing a byte: trusted {t}, files rechecked {f}, hashed {h}, valid {v}")
    check(f == 1 and h == touching and v == touching - 1 and t == tor.num_pieces - touching,
          f"expected 1 file rechecked, {touching} pieces hashed ({touching - 1} valid), {tor.num_pieces - touching} "
          f"trusted; got {f} files, {h} hashed, {v} valid, {t} trusted")
    st = run4.finish(60, watch=[seeder])
    pl.check_copy(dl, "bitveil (repaired)")
    check(st["pieces_downloaded"] == 1, f"repair downloaded {st['pieces_downloaded']} pieces, expected 1")

    # A download that just finished did not wait for the disk: its record names this boot. After a restart
    # of the machine (simulated: another boot id in the record) nothing is trusted, every piece is hashed
    # and found valid, and nothing is fetched.
    with open("/proc/sys/kernel/random/boot_id", "rb") as fh:
        boot = fh.read().strip()
    with open(resume_file, "rb") as fh:
        record = fh.read()
    tail = b"14:unflushed-boot%d:%se" % (len(boot), boot)
    check(record.endswith(tail), f"the record of a download that just finished does not name this boot: {record[-80:]!r}")
    other = bytes(ord("0") if c != ord("-") else c for c in boot)
    with open(resume_file, "wb") as fh:
        fh.write(record[: -len(tail)] + tail.replace(boot, other))
    run5 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    t, f, h, v = resume_line(run5)
    lab.log(f"after a (simulated) restart of the machine: trusted {t}, files rechecked {f}, hashed {h}, valid {v}")
    check((t, f, h, v) == (0, 3, tor.num_pieces, tor.num_pieces),
          f"expected nothing trusted and all {tor.num_pieces} pieces hashed and valid; got {t} trusted, {f} files, "
          f"{h} hashed, {v} valid")
    st = run5.finish(30)
    check(st["payload_downloaded"] == 0, f"a complete download fetched {st['payload_downloaded']} bytes")

    # Seeding, nothing more is written, so the data is flushed and the record made durable (no boot in it).
    # Start from a record of unflushed data in this boot, as a download that just finished leaves it.
    with open(resume_file, "rb") as fh:
        record = fh.read()
    if not record.endswith(tail):
        with open(resume_file, "wb") as fh:
            fh.write(record[:-1] + tail)
    run6 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer], extra=["--seed-time", "3"])
    check(resume_line(run6) == (tor.num_pieces, 0, 0, 0), "a record of unflushed data from this boot was not trusted")
    run6.finish(60)
    with open(resume_file, "rb") as fh:
        record = fh.read()
    check(b"unflushed-boot" not in record, f"after 3 s of seeding the record still names a boot: {record[-80:]!r}")


def records_apart(lab):
    """The folders hold only the torrent's files; records live in the state folder or --resume-dir."""
    need_libtorrent()
    pl = Payload(lab.path("src"), "apart", [("a.bin", 3 * MiB + 7), ("sub/b.bin", 2 * MiB - 5)])
    tor = lab.create_torrent(pl, piece_size=256 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"

    def only_the_torrent(folder, who):
        check(sorted(os.listdir(folder)) == ["apart"], f"{who}: {folder} holds {sorted(os.listdir(folder))}, "
              "expected the torrent's folder only")

    dl = lab.path("dl")
    lab.bitveil("bitveil", "download", tor, dl, peers=[peer]).finish(60, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    only_the_torrent(dl, "after the download")
    check(len(lab.resume_records(tor)) == 1, f"records in the state folder: {lab.resume_records(tor)}")

    # Another folder, the same torrent: a record of its own beside the first.
    dl2 = lab.path("dl2")
    lab.bitveil("bitveil-2", "download", tor, dl2, peers=[peer]).finish(60, watch=[seeder])
    check(len(lab.resume_records(tor)) == 2, f"two folders, records: {lab.resume_records(tor)}")

    # --resume-dir: the record goes there (created with its parents), not to the state folder.
    chosen = os.path.join(lab.dir, "chosen", "records")
    dl3 = lab.path("dl3")
    run = lab.bitveil("bitveil-3", "download", tor, dl3, peers=[peer], extra=["--resume-dir", chosen])
    run.finish(60, watch=[seeder])
    mine = lab.resume_records(tor, chosen)
    check(len(mine) == 1 and len(lab.resume_records(tor)) == 2,
          f"--resume-dir: records there {mine}, in the state folder {lab.resume_records(tor)}")
    only_the_torrent(dl3, "with --resume-dir")

    # An earlier version's record (DIR/.bitveil/<info-hash>.resume) is moved to the resume folder, trusted,
    # and its folder goes.
    os.makedirs(os.path.join(dl3, ".bitveil"))
    os.rename(mine[0], os.path.join(dl3, ".bitveil", tor.info_hash_hex + ".resume"))
    again = lab.bitveil("bitveil-4", "download", tor, dl3, peers=[peer], extra=["--resume-dir", chosen])
    check(resume_line(again) == (tor.num_pieces, 0, 0, 0), "the moved record was not trusted")
    again.finish(30)
    check(lab.resume_records(tor, chosen) == mine, f"after the move: {lab.resume_records(tor, chosen)}")
    only_the_torrent(dl3, "after the old record was moved")

    # Seeding from the data's own folder leaves nothing there either.
    seed = lab.bitveil("bitveil-seed", "seed", tor, pl.parent, extra=["--seed-time", "1"])
    seed.finish(60)
    only_the_torrent(pl.parent, "after seeding")


# ---------------------------------------------------------------------------------------------------
# disk_full: a private mount namespace for this process (and its children), so the tmpfs never shows
# outside and disappears with the process whatever happens.

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
MS_REMOUNT, MS_REC, MS_PRIVATE = 32, 16384, 1 << 18


def _mount(source, target, fstype, flags, data):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    if _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {target} ({data}): {os.strerror(e)}")


def private_mounts():
    if os.geteuid() != 0:
        raise Skip("disk_full needs root (mount namespaces, tmpfs)")
    if _libc.unshare(CLONE_NEWNS) != 0:
        raise Skip(f"unshare(CLONE_NEWNS) failed: {os.strerror(ctypes.get_errno())}")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)


def disk_full(lab):
    """The download folder is a tmpfs smaller than the torrent; then it gets room and the download resumes."""
    need_libtorrent()
    private_mounts()
    pl = Payload(lab.path("src"), "big", [("first.bin", 9 * MiB + 1), ("second.bin", 11 * MiB - 1)])
    tor = lab.create_torrent(pl, piece_size=256 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=8 * MiB)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"
    dl = lab.path("tmpfs")
    _mount("tmpfs", dl, "tmpfs", 0, "size=8m,mode=0755")
    try:
        run1 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
        rc = exit_status(run1.wait(90, "download into a full tmpfs", watch=[seeder]))
        check(rc == 1, f"exit status {rc} on a full disk, expected 1")
        text = run1.text()
        rx = re.compile(r"disk full while writing " + re.escape(os.path.join(dl, "big")) +
                        r"/\S+: No space left on device")
        check(rx.search(text), "no 'disk full while writing <file>: No space left on device' message")
        exit_lines = [ln for ln in text.splitlines() if ln.startswith("bitveil: big: ")]
        check(any(rx.search(ln) for ln in exit_lines),
              f"the exit message ('bitveil: big: ...') does not name the full disk: {exit_lines}")
        before = run1.stats()
        have = before["pieces_have"]
        lab.log(f"disk full after {have} of {tor.num_pieces} pieces; {before.get('error')}; resume data at exit: "
                + ("not saved (no room)" if "could not save resume data" in text else "saved"))
        check(have > 0, "no piece was verified before the disk filled up")

        _mount("tmpfs", dl, "tmpfs", MS_REMOUNT, "size=64m,mode=0755")
        run2 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
        t, f, h, v = resume_line(run2)
        st = run2.finish(90, watch=[seeder])
        lab.log(f"after room was made: trusted {t}, files rechecked {f}, hashed {h}, valid {v}; stats {st}")
        pl.check_copy(dl, "bitveil (after disk full)")
        check(t + v >= have, f"{have} pieces were verified before the disk filled up, the restart found {t + v}")
        # Fetched again at most: the pieces missing after the first run, plus end-game duplicates.
        missing = tor.total_size - have * tor.piece_length
        check(st["payload_downloaded"] <= missing + 8 * BLOCK,
              f"the restart downloaded {st['payload_downloaded']} bytes, but only {missing} were missing")
    finally:
        for p in reversed(lab.procs):
            p.stop(grace=3)
        _libc.umount2(dl.encode(), 2)  # MNT_DETACH


CASES = {  # name -> (function, time budget in seconds, summary)
    "kill9_x10": (kill9_x10, 300, "kill -9 at 12 random moments, restart each time"),
    "clean_restart": (clean_restart, 240, "SIGTERM: restart trusts it all; a changed byte is rechecked and repaired; "
                      "an unflushed record from another boot is rechecked"),
    "records_apart": (records_apart, 180, "folders hold only the torrent's files; records in the state folder "
                      "or --resume-dir; an old DIR/.bitveil record is moved"),
    "disk_full": (disk_full, 180, "full tmpfs: clear error, exit 1; with room again it completes"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
