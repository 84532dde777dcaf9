#!/usr/bin/python3
"""The fast extension (BEP 6) with libtorrent, both ways, read from libtorrent's side (ctest label `integration`).

usage: fast_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Every case reads libtorrent's peer log (lt_peer.py --peer-log: the messages it sends, ==>, and receives, <==).
Cases:
  served_while_choked  bitveil seeds with --upload-slots 0 (it unchokes nobody) to a libtorrent leecher: HAVE_ALL
                       one way, HAVE_NONE the other; the leecher gets ALLOWED_FAST for exactly BEP 6's set for
                       127.0.0.1 (computed here from the BEP), asks only for those pieces while choked, gets them
                       all, and is never unchoked, rejected or sent anything else
  fetched_while_choked a libtorrent seeder that unchokes nobody (unchoke_slots_limit 0, allowed_fast_set_size 5):
                       HAVE_NONE from bitveil, HAVE_ALL to it; bitveil asks only for the pieces the seeder allowed
                       fast and gets them all while choked (libtorrent disconnects a choked peer that asks for
                       anything else)
  reject_on_choke      bitveil seeds with --upload-slots 1 to two libtorrent leechers reading 1 MiB/s: the first,
                       with a long request queue, is unchoked, then choked when the optimistic slot moves to the
                       second (after 30 s); its requests still pending at bitveil, and those that cross the
                       CHOKE, are answered with REJECT_PIECE right after it: none for its allowed fast pieces,
                       none before it (about 50 s)
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import hashlib
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, Payload, check, main, need_libtorrent  # noqa: E402

PIECE = 64 * KiB
BLOCK = 16 * KiB


def allowed_fast_set(info_hash, ip, num_pieces, k):
    """BEP 6's canonical allowed fast set, written here from the BEP: an independent check of bitveil's."""
    if k >= num_pieces:
        return list(range(num_pieces))
    x = bytes(int(b) for b in ip.split(".")[:3]) + b"\0" + info_hash
    out = []
    while len(out) < k:
        x = hashlib.sha1(x).digest()
        for i in range(0, 20, 4):
            index = int.from_bytes(x[i:i + 4], "big") % num_pieces
            if len(out) < k and index not in out:
                out.append(index)
    return out


# "NAME peer [ 127.0.0.1:1234 client: .. ] [127.0.0.1:1234] <== ALLOWED_FAST [ 3 ]" (libtorrent 2.0's format)
PEERLOG = re.compile(r"^PEERLOG .*?(<==|==>|<<<|>>>|\*\*\*) ([A-Z_][A-Z_ ]*?) \[ ?(.*?) ?\]\s*$", re.M)


def peer_log(lt):
    """libtorrent's peer log so far: [(direction, event, text)] in order; direction '<==' received, '==>' sent."""
    return PEERLOG.findall(lt.text())


def events(log, direction, event):
    return [text for d, e, text in log if d == direction and e == event]


def pieces_in(texts):
    """Piece indices of REQUEST / PIECE / REJECT_PIECE texts ("piece: 3 s: 4000 l: 4000")."""
    return [int(re.match(r"piece: (\d+)", t).group(1)) for t in texts]


def piece_size(tor, i):
    return min(tor.piece_length, tor.total_size - i * tor.piece_length)


def blocks_of(tor, pieces):
    return sum((piece_size(tor, i) + BLOCK - 1) // BLOCK for i in pieces)


def check_opening(log, who, we_send, they_send):
    """HAVE_ALL / HAVE_NONE both ways, and no BITFIELD."""
    check(events(log, "==>", we_send) == [""], f"{who} did not send {we_send} (once)")
    check(events(log, "<==", they_send) == [""], f"{who} did not receive {they_send} from bitveil (once)")
    for d in ("<==", "==>"):
        check(not events(log, d, "BITFIELD"), f"a BITFIELD went {d} at {who}, not HAVE_ALL/HAVE_NONE")


def served_while_choked(lab):
    need_libtorrent()
    pl = Payload.single(lab.path("src"), "fast-seed", 40 * PIECE + 1234)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    bv = lab.bitveil("bitveil", "seed", tor, pl.parent, extra=["--upload-slots", "0"])
    lt = lab.lt_peer("lt-leech", tor, lab.path("dl"), seed=False, peers=[f"127.0.0.1:{bv.port}"], no_tracker=True,
                     extra=["--peer-log"])
    expected = allowed_fast_set(tor.info_hash, "127.0.0.1", tor.num_pieces, 10)  # bitveil's default k
    lt.wait_for(rf"^STAT .* pieces={len(expected)}$", 45, f"STAT pieces={len(expected)} (the allowed fast pieces)")
    time.sleep(2)  # whatever else would come, comes now
    log = peer_log(lt)
    lab.log(f"allowed fast set for 127.0.0.1: {sorted(expected)}")

    check_opening(log, "the libtorrent leecher", "HAVE_NONE", "HAVE_ALL")
    allowed = [int(t) for t in events(log, "<==", "ALLOWED_FAST")]
    check(sorted(allowed) == sorted(expected), f"ALLOWED_FAST received {allowed}, BEP 6's set is {expected}")
    check(not events(log, "<==", "UNCHOKE"), "bitveil unchoked the leecher (--upload-slots 0)")
    requested = pieces_in(events(log, "==>", "REQUEST"))
    check(requested and set(requested) <= set(expected), f"the leecher asked for pieces {sorted(set(requested))}")
    got = pieces_in(events(log, "<==", "PIECE"))
    check(sorted(set(got)) == sorted(expected), f"blocks arrived for pieces {sorted(set(got))}, expected {expected}")
    check(len(got) == blocks_of(tor, expected), f"{len(got)} blocks arrived, the allowed pieces have "
                                                f"{blocks_of(tor, expected)}")
    check(not events(log, "<==", "REJECT_PIECE"), "bitveil rejected requests for allowed fast pieces")
    m = re.findall(r"^STAT .* down=(\d+) .* pieces=(\d+)$", lt.text(), re.M)
    down, pieces = int(m[-1][0]), int(m[-1][1])
    size = sum(piece_size(tor, i) for i in expected)
    check(pieces == len(expected) and down == size, f"the leecher has {pieces} pieces, {down} bytes; expected "
                                                    f"{len(expected)} pieces, {size} bytes")


def fetched_while_choked(lab):
    need_libtorrent()
    pl = Payload.single(lab.path("src"), "fast-lt-seed", 40 * PIECE + 1234)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    k = 5
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True,
                         extra=["--peer-log", "--remote-class", "--set", "unchoke_slots_limit=0",
                                "--set", f"allowed_fast_set_size={k}"])
    seeder.wait_seeding()
    bv = lab.bitveil("bitveil", "download", tor, lab.path("dl"), peers=[f"127.0.0.1:{seeder.port}"])
    end = time.monotonic() + 45
    while True:
        allowed = [int(t) for t in events(peer_log(seeder), "==>", "ALLOWED_FAST")]
        size = sum(piece_size(tor, i) for i in allowed)
        if len(allowed) == k and seeder.uploaded() >= size:
            break
        check(bv.alive(), f"bitveil exited with {bv.returncode}")
        check(time.monotonic() < end, f"within 45 s the seeder allowed {allowed} and uploaded {seeder.uploaded()} "
                                      f"bytes")
        time.sleep(0.2)
    time.sleep(2)
    log = peer_log(seeder)
    lab.log(f"the seeder's allowed fast set for bitveil: {sorted(allowed)}")

    check_opening(log, "the libtorrent seeder", "HAVE_ALL", "HAVE_NONE")
    check(not events(log, "==>", "UNCHOKE"), "the seeder unchoked bitveil (unchoke_slots_limit 0)")
    check(events(log, "<==", "INTERESTED"), "bitveil did not say it was interested")
    requested = pieces_in(events(log, "<==", "REQUEST"))
    check(set(requested) == set(allowed), f"bitveil asked for pieces {sorted(set(requested))} while choked; the "
                                          f"seeder allowed {sorted(allowed)}")
    sent = pieces_in(events(log, "==>", "PIECE"))
    check(len(sent) == blocks_of(tor, allowed) and set(sent) == set(allowed),
          f"the seeder sent {len(sent)} blocks of {sorted(set(sent))}, expected every block of {sorted(allowed)}")
    check(not events(log, "==>", "REJECT_PIECE"), "the seeder rejected requests from bitveil")
    check(seeder.uploaded() == size, f"the seeder uploaded {seeder.uploaded()} bytes, the allowed pieces are {size}")
    dropped = re.findall(r"^ALERT peer_(?:disconnected|error)_alert: .*", seeder.text(), re.M)
    check(not dropped and bv.alive(), f"the connection did not last: {dropped[:3]}")


def reject_on_choke(lab):
    need_libtorrent()
    pl = Payload.single(lab.path("src"), "fast-choke", 1024 * PIECE)
    tor = lab.create_torrent(pl, piece_size=PIECE)
    bv = lab.bitveil("bitveil", "seed", tor, pl.parent, extra=["--upload-slots", "1"])
    peer = [f"127.0.0.1:{bv.port}"]
    # Both leechers read 1 MiB/s, so neither is done when the slot moves. The first keeps 120 s of requests
    # queued: 500 (its limit, and bitveil's reqq), more than bitveil's send buffers and the sockets hold (a
    # small receive buffer keeps the kernel's share down), so requests wait at bitveil when the choke comes,
    # and more cross the CHOKE, which reaches it behind the data in flight a few seconds later.
    limit = ["--remote-class", "--set", "download_rate_limit=1048576"]
    slow = lab.lt_peer("lt-slow", tor, lab.path("dl-slow"), seed=False, peers=peer, no_tracker=True,
                       extra=["--peer-log", *limit, "--set", "request_queue_time=120",
                              "--set", "recv_socket_buffer_size=65536"])
    slow.wait_for(r"^PEERLOG .*<== UNCHOKE", 30, "UNCHOKE (the optimistic slot)")
    other = lab.lt_peer("lt-other", tor, lab.path("dl-other"), seed=False, peers=peer, no_tracker=True,
                        extra=["--peer-log", *limit])
    # The optimistic slot moves after 30 s, at the next choke round (every 10 s).
    slow.wait_for(r"^PEERLOG .*<== CHOKE", 60, "CHOKE (the optimistic slot moved on)")
    time.sleep(1)
    log = peer_log(slow)
    choke_at = next(i for i, (d, e, _) in enumerate(log) if d == "<==" and e == "CHOKE")
    unchoke_at = next((i for i, (d, e, _) in enumerate(log) if i > choke_at and d == "<==" and e == "UNCHOKE"),
                      len(log))
    before = [t for d, e, t in log[:choke_at] if d == "<==" and e == "REJECT_PIECE"]
    after = pieces_in(t for d, e, t in log[choke_at:unchoke_at] if d == "<==" and e == "REJECT_PIECE")
    allowed = [int(t) for t in events(log, "<==", "ALLOWED_FAST")]
    lab.log(f"slow leecher: {len(after)} requests rejected after the CHOKE, {len(log) - unchoke_at} log lines "
            f"after an UNCHOKE")
    check(not before, f"bitveil rejected {len(before)} requests before choking the slow leecher")
    check(after, "no REJECT_PIECE followed the CHOKE")
    check(not set(after) & set(allowed), f"requests for allowed fast pieces {sorted(set(after) & set(allowed))} "
                                         f"were rejected at the choke")
    other.wait_for(r"^PEERLOG .*<== UNCHOKE", 10, "UNCHOKE (the optimistic slot)")


CASES = {  # name -> (function, time budget in seconds, summary)
    "served_while_choked": (served_while_choked, 90, "bitveil seeds, unchokes nobody: ALLOWED_FAST served"),
    "fetched_while_choked": (fetched_while_choked, 90, "libtorrent seeds, unchokes nobody: ALLOWED_FAST fetched"),
    "reject_on_choke": (reject_on_choke, 120, "bitveil chokes a libtorrent leecher: REJECT_PIECE for its requests"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
