#!/usr/bin/python3
"""Swarm tests of `bitveil download` / `bitveil seed` against real peers on 127.0.0.1 (ctest label `integration`).

usage: swarm_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Each case starts its own opentracker, libtorrent (tests/integration/lt_peer.py), aria2c, bad_peer.py
and bitveil processes in a temporary folder (see lab.py), checks the sha256 of every downloaded file
against the source and the client's --stats-json, and kills everything at the end. Exit status: 0 pass,
1 fail (logs of every process are printed), 77 skipped (a needed tool is missing: SKIP: <reason>).
BITVEIL_KEEP_LAB=1 keeps the temporary folders.
"""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, check, exit_status, main, need_libtorrent, need_program  # noqa: E402

STATS_KEYS = ["complete", "state", "duration_ms", "total_size", "pieces", "pieces_have", "pieces_from_disk",
              "pieces_downloaded", "hash_failures", "payload_downloaded", "payload_uploaded", "protocol_downloaded",
              "protocol_uploaded", "wasted", "peers_connected_in", "peers_connected_out", "peers_banned",
              "connections_closed"]

# Nested folders (one name with a space), an empty file, a 1-byte file, odd sizes: ~12.6 MiB.
ALBUM = [("cover.jpg", 300_001),
         ("empty.txt", 0),
         ("disc 1/01 intro.flac", 3 * MiB + 12_345),
         ("disc 1/02 song.flac", 4 * MiB - 3),
         ("disc 2/deep/er/03 finale.flac", 5 * MiB + 1),
         ("disc 2/notes.txt", 1),
         ("zz/last.bin", 77_777)]


def album(lab, name="album"):
    return Payload(lab.path("src"), name, ALBUM)


def check_stats(st, tor, who, fresh=True, hash_failures=0):
    """The --stats-json of a completed download."""
    missing = [k for k in STATS_KEYS if k not in st]
    check(not missing, f"{who}: stats json lacks {missing}: {st}")
    check(st["complete"] is True, f"{who}: stats say complete={st['complete']!r}: {st}")
    check(st["total_size"] == tor.total_size, f"{who}: total_size {st['total_size']}, expected {tor.total_size}")
    check(st["pieces"] == tor.num_pieces, f"{who}: pieces {st['pieces']}, expected {tor.num_pieces}")
    check(st["pieces_have"] == tor.num_pieces, f"{who}: pieces_have {st['pieces_have']} of {tor.num_pieces}")
    check(st["pieces_from_disk"] + st["pieces_downloaded"] == tor.num_pieces,
          f"{who}: pieces_from_disk {st['pieces_from_disk']} + pieces_downloaded {st['pieces_downloaded']} "
          f"!= {tor.num_pieces}")
    if fresh:
        check(st["pieces_from_disk"] == 0, f"{who}: pieces_from_disk {st['pieces_from_disk']} on an empty folder")
        check(st["payload_downloaded"] >= tor.total_size,
              f"{who}: payload_downloaded {st['payload_downloaded']} < total size {tor.total_size}")
        check(st["protocol_downloaded"] > 0, f"{who}: protocol_downloaded is 0")
    if hash_failures is not None:
        check(st["hash_failures"] == hash_failures, f"{who}: hash_failures {st['hash_failures']}, expected {hash_failures}")


def check_seed_stats(st, tor, who, rc):
    """A `bitveil seed` stopped by SIGTERM after uploading everything once."""
    check(rc == 143, f"{who}: exit status {rc} after SIGTERM, expected 143")
    missing = [k for k in STATS_KEYS if k not in st]
    check(not missing, f"{who}: stats json lacks {missing}: {st}")
    check(st["complete"] is True and st["pieces_have"] == tor.num_pieces, f"{who}: seeder not complete: {st}")
    check(st["pieces_from_disk"] == tor.num_pieces,
          f"{who}: pieces_from_disk {st['pieces_from_disk']}, expected all {tor.num_pieces}")
    check(st["pieces_downloaded"] == 0 and st["payload_downloaded"] == 0, f"{who}: a seeder downloaded: {st}")
    check(st["payload_uploaded"] >= tor.total_size,
          f"{who}: payload_uploaded {st['payload_uploaded']} < total size {tor.total_size}")
    check(st["peers_connected_in"] >= 1, f"{who}: peers_connected_in {st['peers_connected_in']}, expected >= 1")
    # Uploads read through the read cache: every byte at least once, runs of blocks per read (more than one
    # 16 KiB block on average: every test torrent here has pieces of 32 KiB or more), the memory bounded
    # by its budget plus the lines being read (at most 4 per peer, 256 KiB each), and nothing left at stop.
    cache = st["read_cache"]
    check(tor.total_size <= cache["bytes_read"] <= 2 * st["payload_uploaded"],
          f"{who}: read {cache['bytes_read']} bytes for {st['payload_uploaded']} uploaded: {cache}")
    check(cache["bytes_read"] > cache["block_misses"] * 16 * KiB, f"{who}: one read per block: {cache}")
    check(cache["peak_bytes"] <= cache["budget"] + 4 * MiB, f"{who}: read cache over its bound: {cache}")
    check(cache["bytes"] == 0 and cache["lines"] == 0, f"{who}: read cache not emptied at stop: {cache}")


def stop_seeder(lab, bv):
    rc = bv.stop(signal.SIGTERM, grace=10)
    lab.log(f"{bv.name} stopped: returncode {rc}")
    return rc


# ---------------------------------------------------------------------------------------------------

def bitveil_to_bitveil(lab):
    """bitveil seed -> bitveil download --peer (no third party)."""
    pl = Payload(lab.path("src"), "b2b", ALBUM[:4] + [("x/y/odd.bin", 1_000_003)])
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    dl = lab.path("dl")
    leech = lab.bitveil("leech", "download", tor, dl, peers=[f"127.0.0.1:{seed.port}"])
    st = leech.finish(60, watch=[seed])
    lab.log(f"leech done: {st}")
    pl.check_copy(dl, "bitveil download")
    check_stats(st, tor, "bitveil download")
    check(st["peers_connected_out"] >= 1, f"download: peers_connected_out {st['peers_connected_out']}")
    rc = stop_seeder(lab, seed)
    check_seed_stats(seed.stats(), tor, "bitveil seed", rc)


def lt_seed_via_tracker(lab):
    """libtorrent seeds, announcing to opentracker; bitveil finds it through the tracker only."""
    need_libtorrent()
    url = lab.tracker_url()
    pl = album(lab)
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=256 * KiB)
    check(tor.trackers == [url], f"torrent announce {tor.trackers}, expected {url}")
    lab.tracker([tor])
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True)
    seeder.wait_seeding()
    seeder.wait_announced()
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl)
    st = bv.finish(60, watch=[seeder])
    lab.log(f"done: {st}")
    pl.check_copy(dl, "bitveil")
    check_stats(st, tor, "bitveil")
    check(st["peers_connected_out"] >= 1, f"peers_connected_out {st['peers_connected_out']}: did it dial the seeder?")
    # BEP 10: bitveil takes the client name from libtorrent's extended handshake ('v') and logs it.
    check(re.search(r"^.* out: client libtorrent/\d", bv.text(), re.M),
          "bitveil logged no 'out: client libtorrent/...' line (the 'v' of libtorrent's extended handshake)")


def aria2_seed_direct(lab):
    """aria2c seeds a single-file torrent (no tracker); bitveil dials it with --peer."""
    need_program("aria2c")
    pl = Payload.single(lab.path("src"), "image.iso", 9 * MiB + 77_777)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    aria = lab.aria2("aria2-seed", tor, pl.parent, seed=True)
    aria.wait_for(r"listening on TCP port", 60, "aria2 listening (after its data check)")
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{aria.port}"])
    st = bv.finish(60, watch=[aria])
    lab.log(f"done: {st}")
    pl.check_copy(dl, "bitveil")
    check_stats(st, tor, "bitveil")


def seed_to_aria2(lab):
    """bitveil seeds and announces; an aria2c leecher finds it through opentracker and dials it."""
    need_program("aria2c")
    url = lab.tracker_url()
    pl = album(lab)
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=128 * KiB)
    lab.tracker([tor])
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    seed.port  # listening
    dl = lab.path("dl")
    aria = lab.aria2("aria2-leech", tor, dl, seed=False)
    rc = aria.wait(60, "aria2 leech", watch=[seed])
    check(rc == 0, f"aria2c leech exited with {rc}")
    pl.check_copy(dl, "aria2c")
    rc = stop_seeder(lab, seed)
    check_seed_stats(seed.stats(), tor, "bitveil seed", rc)


def seed_to_lt(lab):
    """bitveil seeds (no tracker); a libtorrent leecher is told to dial it."""
    need_libtorrent()
    pl = album(lab)
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    seed = lab.bitveil("seed", "seed", tor, pl.parent)
    dl = lab.path("dl")
    lt = lab.lt_peer("lt-leech", tor, dl, seed=False, peers=[f"127.0.0.1:{seed.port}"], no_tracker=True, timeout=80)
    rc = lt.wait(90, "libtorrent leech", watch=[seed])
    check(rc == 0, f"libtorrent leech exited with {rc}")
    pl.check_copy(dl, "libtorrent")
    # BEP 10 both ways: each side read the other's 'v' from its extended handshake.
    check(re.search(r"^.* in: client libtorrent/\d", seed.text(), re.M),
          "bitveil logged no 'in: client libtorrent/...' line (the 'v' of libtorrent's extended handshake)")
    check(re.search(r"client='bitveil \d", lt.text()),
          "libtorrent did not report bitveil's client name (the 'v' of our extended handshake)")
    rc = stop_seeder(lab, seed)
    check_seed_stats(seed.stats(), tor, "bitveil seed", rc)


def three_bitveil_swarm(lab):
    """An upload-limited libtorrent seeder and three bitveil leechers started together, all through the tracker:
    each must complete, and the leechers must have traded pieces among themselves."""
    need_libtorrent()
    url = lab.tracker_url()
    pl = Payload(lab.path("src"), "swarm", [("a.bin", 7 * MiB + 5), ("b/c.bin", 9 * MiB - 17), ("b/empty", 0)])
    tor = lab.create_torrent(pl, tracker_url=url, piece_size=64 * KiB)
    lab.tracker([tor])
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=4 * MiB)
    seeder.wait_seeding()
    seeder.wait_announced()
    leechers = []
    for i in range(3):
        d = lab.path(f"dl{i}")
        leechers.append((lab.bitveil(f"leech{i}", "download", tor, d), d))
    stats = []
    for bv, d in leechers:
        st = bv.finish(120, watch=[seeder])
        lab.log(f"{bv.name} done: {st}")
        stats.append(st)
    for (bv, d), st in zip(leechers, stats):
        pl.check_copy(d, bv.name)
        check_stats(st, tor, bv.name)
    up = [st["payload_uploaded"] for st in stats]
    peers = [st["peers_connected_in"] + st["peers_connected_out"] for st in stats]
    lab.log(f"leechers uploaded {up}, connections {peers}; seeder uploaded {seeder.uploaded()}")
    check(sum(up) > 0, f"the three leechers uploaded nothing to each other: payload_uploaded {up}")
    check(all(n >= 2 for n in peers), f"a leecher never connected to another leecher: connections {peers}")


def download_beside_bad_peer(lab, mode, good_upload_limit):
    """bitveil downloads 8 MiB (128 KiB pieces) from a bad_peer.py in `mode` and an upload-limited libtorrent
    seeder; returns (payload, torrent, download folder, bad peer, bitveil)."""
    need_libtorrent()
    pl = Payload.single(lab.path("src"), "data.bin", 8 * MiB + 4_321)
    tor = lab.create_torrent(pl, piece_size=128 * KiB)
    bad = lab.bad_peer("bad-peer", tor, mode)
    good = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=good_upload_limit)
    good.wait_seeding()
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{bad.port}", f"127.0.0.1:{good.port}"])
    return pl, tor, dl, bad, bv


def corrupt_peer_banned(lab):
    """bad_peer.py answers every request with random bytes; bitveil must ban it and still complete from a
    good (upload-limited) libtorrent seeder."""
    pl, tor, dl, bad, bv = download_beside_bad_peer(lab, "corrupt", good_upload_limit=2 * MiB)
    # Watch bad_peer's log while bitveil runs: a connection that carried corrupt blocks must be closed by
    # bitveil before it exits (at exit every connection closes anyway).
    closed_early = set()
    end = time.monotonic() + 90
    while bv.alive() and time.monotonic() < end:
        closed_early |= {int(n) for n, how, blocks in CLOSED_RX.findall(bad.text())
                         if how in ("by-peer", "reset") and int(blocks) > 0}
        time.sleep(0.05)
    st = bv.finish(5)
    lab.log(f"done: {st}")
    pl.check_copy(dl, "bitveil")
    check_stats(st, tor, "bitveil", hash_failures=None)
    log = bad.text()
    corrupt_conns = {int(n): int(blocks) for n, _, blocks in CLOSED_RX.findall(log) if int(blocks) > 0}
    ok_handshakes = [int(n) for n in re.findall(r"HANDSHAKE (\d+) ok", log)]
    lab.log(f"bad peer: {len(re.findall('CONN ', log))} connection(s), handshakes ok on {ok_handshakes}, corrupt "
            f"blocks per connection {corrupt_conns}, closed by bitveil while it ran: {sorted(closed_early)}; "
            f"hash_failures={st['hash_failures']} peers_banned={st['peers_banned']} closed={st['connections_closed']}")
    check(ok_handshakes, "bitveil never completed a plain BitTorrent handshake with bad_peer")
    check(corrupt_conns, "bitveil never requested a block from bad_peer (nothing to ban)")
    check(st["hash_failures"] >= 1, f"hash_failures {st['hash_failures']}, expected >= 1 "
          f"(bad peer sent {sum(corrupt_conns.values())} corrupt blocks)")
    check(st["peers_banned"] >= 1, f"peers_banned {st['peers_banned']}, expected >= 1")
    last = max(corrupt_conns)
    check(last in closed_early, f"bitveil did not disconnect bad_peer (connection {last}) before it exited")
    check(not [n for n in ok_handshakes if n > last],
          f"bitveil connected to bad_peer again after dropping it: handshakes on connections {ok_handshakes}")


def departed_corrupt_peer_banned(lab):
    """bad_peer.py (corrupt_leave) sends one whole piece of random bytes and hangs up before bitveil hashes it:
    bitveil must still ban it (it keeps what it needs of a departed peer while its blocks wait for the hash)
    and so never dial it again, though the download outlasts the 5 s reconnect backoff."""
    pl, tor, dl, bad, bv = download_beside_bad_peer(lab, "corrupt_leave", good_upload_limit=1 * MiB)
    st = bv.finish(90)
    lab.log(f"done: {st}")
    pl.check_copy(dl, "bitveil")
    check_stats(st, tor, "bitveil", hash_failures=None)
    log = bad.text()
    ok_handshakes = re.findall(r"HANDSHAKE (\d+) ok", log)
    left = re.findall(r"CLOSED \d+ by-us sent all of piece (\d+)", log)
    lab.log(f"bad peer: handshakes ok on {ok_handshakes}, left after sending all of piece(s) {left}; "
            f"hash_failures={st['hash_failures']} peers_banned={st['peers_banned']}")
    check(left, "bad_peer never sent a whole piece (nothing to find after it left)")
    check(st["hash_failures"] >= 1, f"hash_failures {st['hash_failures']}, expected >= 1")
    check(st["peers_banned"] >= 1, f"peers_banned {st['peers_banned']}: the departed corrupt peer was not banned")
    check(re.search(r"banned after sending data that failed the hash check", bv.text()),
          "no 'banned after sending data that failed the hash check' in bitveil's log")
    check(len(ok_handshakes) == 1, f"bitveil dialled the banned peer again: handshakes on {ok_handshakes}")


CLOSED_RX = re.compile(r"CLOSED (\d+) (\S+) .* blocks=(\d+)")


def resume(lab, sig):
    """Kill a download part-way with `sig`, restart it: it must resume from the verified pieces on disk."""
    need_libtorrent()
    pl = Payload(lab.path("src"), "big", [("part1.bin", 20 * MiB + 1), ("sub/part2.bin", 24 * MiB - 1),
                                           ("sub/part3.bin", 20 * MiB + 333)])
    tor = lab.create_torrent(pl, piece_size=256 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, upload_limit=12 * MiB)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"
    dl = lab.path("dl")
    run1 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    end = time.monotonic() + 60
    while seeder.uploaded() < 0.35 * tor.total_size:
        check(run1.alive(), f"bitveil exited ({run1.returncode}) before it was killed:\n{run1.tail()}")
        check(time.monotonic() < end, f"no progress: the seeder uploaded {seeder.uploaded()} bytes in 60 s")
        time.sleep(0.05)
    lab.log(f"seeder uploaded {seeder.uploaded()} of {tor.total_size}: sending {sig.name}")
    rc = exit_status(run1.stop(sig, grace=15))
    before = None
    if sig == signal.SIGTERM:
        check(run1.popen.returncode == 143, f"exit status after SIGTERM: {run1.popen.returncode}, expected 143 "
              f"(a negative value is death by the signal: the handler did not run)")
        before = run1.stats()
        lab.log(f"first run: {before}")
        check(before["complete"] is False, f"first run stats say complete={before['complete']!r}")
        check(0 < before["pieces_have"] < tor.num_pieces,
              f"first run pieces_have {before['pieces_have']}, expected some of {tor.num_pieces}")
    else:
        check(rc == 137, f"exit status after SIGKILL {rc}")
    run2 = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    st = run2.finish(90, watch=[seeder])
    lab.log(f"second run: {st}")
    pl.check_copy(dl, "bitveil (resumed)")
    check_stats(st, tor, "bitveil (resumed)", fresh=False)
    check(st["pieces_from_disk"] > 0, "second run found no verified pieces on disk (pieces_from_disk 0)")
    margin = 4 * tor.piece_length
    left = tor.total_size - st["pieces_from_disk"] * tor.piece_length
    check(st["payload_downloaded"] <= left + margin,
          f"second run downloaded {st['payload_downloaded']} bytes, but only {left} were missing "
          f"({st['pieces_from_disk']} pieces on disk; margin {margin})")
    if before is not None:
        check(st["pieces_from_disk"] >= before["pieces_have"],
              f"first run had {before['pieces_have']} pieces when stopped by SIGTERM, the second found only "
              f"{st['pieces_from_disk']} on disk (not flushed at exit?)")
        left = tor.total_size - before["pieces_have"] * tor.piece_length
        check(st["payload_downloaded"] <= left + margin,
              f"second run downloaded {st['payload_downloaded']} bytes; {left} were missing after the first run")


def resume_after_sigterm(lab):
    resume(lab, signal.SIGTERM)


def resume_after_sigkill(lab):
    resume(lab, signal.SIGKILL)


CASES = {  # name -> (function, time budget in seconds, summary)
    "bitveil_to_bitveil": (bitveil_to_bitveil, 90, "bitveil seed -> bitveil download --peer"),
    "lt_seed_via_tracker": (lt_seed_via_tracker, 120, "libtorrent seeder found through opentracker"),
    "aria2_seed_direct": (aria2_seed_direct, 120, "aria2c seeder, bitveil --peer"),
    "seed_to_aria2": (seed_to_aria2, 150, "bitveil seeds to aria2c (via opentracker)"),
    "seed_to_lt": (seed_to_lt, 120, "bitveil seeds to libtorrent (it dials bitveil)"),
    "three_bitveil_swarm": (three_bitveil_swarm, 180, "libtorrent seeder + three bitveil leechers"),
    "corrupt_peer_banned": (corrupt_peer_banned, 150, "a corrupting peer gets banned, download completes"),
    "departed_corrupt_peer_banned": (departed_corrupt_peer_banned, 150,
                                     "a corrupting peer that left before the hash check is still banned"),
    "resume_after_sigterm": (resume_after_sigterm, 180, "SIGTERM part-way, restart resumes"),
    "resume_after_sigkill": (resume_after_sigkill, 180, "SIGKILL part-way, restart resumes"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
