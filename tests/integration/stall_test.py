#!/usr/bin/python3
"""Stall notices of `bitveil download` and `bitveil seed` against real peers on 127.0.0.1 (ctest label
`integration`): for each reason a download moves no data, or moves bad data, the sentence of cli/notices.hpp
must be on bitveil's output within 15 s of the process's start (issue 22). Output goes to a log file, so it is
plain lines (not a terminal). The encryption stalls are in mse_test.py (require_vs_plain, disable_vs_forced).

usage: stall_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Each case runs in its own lab (see lab.py: temporary folder, free ports, DHT, LSD, UPnP and NAT-PMP off in every
third-party client, every child killed at the end). Where data moves, every file's sha256 is checked against the
source. Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped. BITVEIL_KEEP_LAB=1 keeps the
folders.
"""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, check, exit_status, main, need_libtorrent, need_program  # noqa: E402

LIMIT = 15  # seconds from bitveil's start to the sentence (issue 22)
PIECE = 64 * KiB
FILES = [("a.bin", 300_001), ("sub/b.bin", 1 * MiB + 777), ("c.bin", 200_003)]  # 24 pieces of 64 KiB
# Debian's opentracker is built with its whitelist (WANT_ACCESSLIST_WHITE); its answer for any other torrent:
REFUSAL = "Requested download is not authorized for use with this tracker."


def notice_rx(torrent, sentence):
    return r"^bitveil: " + re.escape(torrent.name) + ": " + re.escape(sentence) + "$"


def sentence_within(lab, bv, torrent, sentence):
    """Waits until bitveil has printed the notice line `bitveil: NAME: SENTENCE` (whole, on a line of its own) at
    most LIMIT seconds after its process started."""
    bv.wait_for(notice_rx(torrent, sentence), max(bv.started + LIMIT - time.monotonic(), 0),
                f"'bitveil: {torrent.name}: {sentence}' within {LIMIT} s of its start")
    lab.log(f"{bv.name} said it {time.monotonic() - bv.started:.1f} s after its start: {sentence}")
    check("\x1b" not in bv.text(), f"{bv.name}: an escape sequence in its output, which is not a terminal")


def check_said_once(bv, torrent, sentence, seconds=3):
    """While the stall goes on for `seconds` more (the notices are looked at every second), the sentence is not
    printed again: a hint is repeated only when its words change, at most twice a minute."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        check(bv.alive(), f"{bv.name} exited with {exit_status(bv.returncode)} during the stall")
        time.sleep(0.2)
    count = len(re.findall(notice_rx(torrent, sentence), bv.text(), re.M))
    check(count == 1, f"{bv.name} printed '{sentence}' {count} times in its first "
          f"{time.monotonic() - bv.started:.0f} s, expected once")


def stop(lab, bv, want=143):
    """SIGTERM; the exit status must be `want`. Returns the stats."""
    rc = exit_status(bv.stop(grace=10))
    check(rc == want, f"{bv.name}: exit status {rc} after SIGTERM, expected {want}")
    st = bv.stats()
    lab.log(f"{bv.name} stats: {st}")
    return st


def check_complete(st, tor, who):
    check(st.get("complete") is True and st.get("pieces_have") == tor.num_pieces,
          f"{who}: not complete: {st}")


def check_nothing_moved(st, who):
    check(st.get("pieces_have") == 0 and st.get("payload_downloaded") == 0, f"{who}: data moved: {st}")


def wait_data(lab, pl, dest_parent, who, watch, timeout=60):
    """Polls until dest_parent holds a correct copy of `pl` (for `seed`, which does not exit when complete)."""
    end = time.monotonic() + timeout
    while pl.problems_in(dest_parent):
        for p in watch:
            check(p.alive(), f"{p.name} exited with {exit_status(p.returncode)} while {who} downloaded")
        check(time.monotonic() < end, f"{who}: no correct copy in {dest_parent} after {timeout} s: "
              + "; ".join(pl.problems_in(dest_parent)[:5]))
        time.sleep(0.2)
    lab.log(f"{who}: the copy in {dest_parent} is complete and correct")


# ---------------------------------------------------------------------------------------------------
# Cases

def nobody_to_ask(lab):
    """A torrent with no tracker, `download` without --peer: nobody to ask for peers, said once within 15 s. Then a
    libtorrent seeder dials bitveil, which completes (the notice is advice, not an error): the seeder comes only
    after the notice, since a connected peer rightly ends the stall."""
    need_libtorrent()
    pl = Payload(lab.path("src"), "orphan", FILES)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    check(not tor.trackers, f"the torrent has trackers: {tor.trackers}")
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl)
    nobody = "no trackers, no DHT and no --peer: nobody to ask for peers"
    sentence_within(lab, bv, tor, nobody)
    check_said_once(bv, tor, nobody)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True, peers=[f"127.0.0.1:{bv.port}"])
    st = bv.finish(60, watch=[seeder])
    lab.log(f"bitveil stats: {st}")
    pl.check_copy(dl, "bitveil")
    check_complete(st, tor, "bitveil")
    check(st.get("peers_connected_in", 0) >= 1, f"bitveil: no incoming peer counted: {st}")


def tracker_refuses(lab):
    """A real opentracker refuses the torrent: Debian's build has the whitelist mode (-w), and only another
    torrent is on the list, so every announce gets the failure reason 'Requested download is not authorized for
    use with this tracker.'. A libtorrent seeder with the data announces there too and is refused as well: a
    seeder exists, behind nothing. bitveil must give the tracker's URL and words within 15 s."""
    need_libtorrent()
    url = lab.tracker_url()
    pl = Payload(lab.path("src"), "refused", FILES)
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=PIECE)
    other = lab.create_torrent(Payload.single(lab.path("other"), "allowed.bin", 100_000), tracker_url=url)
    lab.tracker([other])  # waits until the whitelist is loaded and accepts `other`
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl)
    refused = f"{url}: tracker error: {REFUSAL}"
    sentence_within(lab, bv, tor, refused)
    check_said_once(bv, tor, refused)
    seeder.wait_for(r"^ALERT tracker_error_alert", 10, "libtorrent's tracker_error_alert (refused as well)")
    st = stop(lab, bv)
    check_nothing_moved(st, "bitveil")
    check(seeder.uploaded() == 0, f"the libtorrent seeder uploaded {seeder.uploaded()} bytes")


def seed_elsewhere(lab, bv_dir, pl, tor, peer):
    """`bitveil seed -d bv_dir` where bv_dir/NAME holds nothing, with `peer` (a real seeder) given by --peer:
    'no data found in bv_dir/NAME: downloading it (did you mean another -d?)' within 15 s (one '/' before NAME
    however bv_dir ends), then a correct copy there, seeded."""
    bv = lab.bitveil("seed", "seed", tor, bv_dir, peers=[f"127.0.0.1:{peer.port}"])
    data_path = bv_dir.rstrip("/") + "/" + tor.name
    no_data = f"no data found in {data_path}: downloading it (did you mean another -d?)"
    sentence_within(lab, bv, tor, no_data)
    wait_data(lab, pl, bv_dir, "bitveil seed", [bv, peer])
    check(bv.alive(), f"bitveil seed exited ({exit_status(bv.returncode)}) once complete; it must go on seeding")
    st = stop(lab, bv)
    check_complete(st, tor, "bitveil seed")
    check(st.get("pieces_from_disk") == 0 and st.get("payload_downloaded", 0) >= tor.total_size,
          f"bitveil seed: expected every piece downloaded, none from disk: {st}")
    count = len(re.findall(notice_rx(tor, no_data), bv.text(), re.M))
    check(count == 1, f"bitveil seed printed '{no_data}' {count} times, expected once")


def seed_wrong_folder(lab):
    """`bitveil seed -d SRC/NAME` (one level too deep: the data is SRC/NAME/...) while a libtorrent seeder of
    the same data is its --peer."""
    need_libtorrent()
    pl = Payload(lab.path("src"), "album", FILES)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    seed_elsewhere(lab, pl.path, pl, tor, seeder)
    pl.check_copy(pl.parent, "the libtorrent seeder's own data")


def seed_empty_folder(lab):
    """`bitveil seed -d EMPTY/` (a trailing '/', as a shell completes it) while an aria2c seeder of the data is
    its --peer."""
    need_program("aria2c")
    pl = Payload(lab.path("src"), "album", FILES)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    aria = lab.aria2("aria2-seed", tor, pl.parent, seed=True)
    aria.wait_for(r"listening on TCP port", 60, "aria2 listening (after its data check)")
    empty = lab.path("empty")
    seed_elsewhere(lab, empty + "/", pl, tor, aria)


def corrupt_piece(lab):
    """aria2c seeds a copy of the data with bytes flipped in one piece of sub/b.bin, without hashing it first
    (--bt-seed-unverified), so it serves the bad piece; bitveil downloads from it alone (--peer) and must name
    that piece and its file within 15 s. Then a libtorrent seeder of the good data dials bitveil, which must
    complete with correct data. The good seeder comes second so that the bad piece surely comes from aria2
    (with both there from the start, either could serve it)."""
    need_program("aria2c")
    need_libtorrent()
    pl = Payload(lab.path("src"), "flawed", FILES)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    bad_parent = lab.path("bad")
    shutil.copytree(pl.path, os.path.join(bad_parent, pl.name))
    # The third piece that lies wholly inside sub/b.bin.
    offset, target, begin = 0, os.path.join(pl.name, "sub", "b.bin"), None
    for path, length in tor.files:
        if path == target:
            begin = offset
            break
        offset += length
    check(begin is not None, f"{target} is not in the torrent: {tor.files}")
    piece = -(-begin // tor.piece_length) + 2
    check((piece + 1) * tor.piece_length <= begin + dict(tor.files)[target], "sub/b.bin is too small")
    with open(os.path.join(bad_parent, target), "r+b") as f:
        at = piece * tor.piece_length - begin + 1000
        f.seek(at)
        good = f.read(16)
        f.seek(at)
        f.write(bytes(b ^ 0xFF for b in good))
    lab.log(f"flipped 16 bytes of piece {piece} (at {at} in {target}) in aria2's copy")
    aria = lab.aria2("aria2-bad", tor, bad_parent, seed=True, verify=False)
    aria.wait_for(r"listening on TCP port", 60, "aria2 listening")
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{aria.port}"])
    sentence_within(lab, bv, tor, f"piece {piece} of file sub/b.bin failed its check: fetching it again")
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True, peers=[f"127.0.0.1:{bv.port}"])
    st = bv.finish(60, watch=[seeder])
    lab.log(f"bitveil stats: {st}")
    pl.check_copy(dl, "bitveil")
    check_complete(st, tor, "bitveil")
    check(st.get("hash_failures") == 1, f"bitveil: hash_failures {st.get('hash_failures')}, expected 1")
    check(st.get("peers_banned", 0) >= 1, f"bitveil: aria2, the sole source of the bad piece, was not banned: {st}")
    failed = [int(n) for n in re.findall(r"^bitveil: \S+: piece (\d+) .*failed its check", bv.text(), re.M)]
    check(failed == [piece], f"bitveil named pieces {failed} as failed, expected only {piece}")


CASES = {  # name -> (function, time budget in seconds, summary)
    "nobody_to_ask": (nobody_to_ask, 90, "no tracker, no --peer: 'nobody to ask for peers'; then a peer dials in"),
    "tracker_refuses": (tracker_refuses, 90, "opentracker refuses the torrent (whitelist): its URL and reason"),
    "seed_wrong_folder": (seed_wrong_folder, 90, "seed -d one level too deep, libtorrent around: 'no data found'"),
    "seed_empty_folder": (seed_empty_folder, 90, "seed -d an empty folder, aria2 around: 'no data found'"),
    "corrupt_piece": (corrupt_piece, 90, "aria2 serves one bad piece: 'piece N of file F failed its check'"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
