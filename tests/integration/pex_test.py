#!/usr/bin/python3
"""Peer exchange (BEP 11) between bitveil and libtorrent on 127.0.0.1 (ctest label `integration`).

usage: pex_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  learn_from_lt   bitveil knows only a libtorrent leecher, which is connected to a libtorrent seeder (PEX off,
                  so it never learns bitveil's address and cannot dial it): bitveil learns the seeder through
                  the leecher's PEX, connects to it, and completes
  tell_lt         a libtorrent leecher knows only bitveil; bitveil downloads from a libtorrent seeder given
                  with --peer: the leecher learns the seeder through bitveil's PEX, connects to it, and
                  completes
  hostile         a peer floods ut_pex messages (50 made-up loopback peers, its target's own address and port 0,
                  every 50 ms) while a libtorrent seeder serves: the download completes, and bitveil took at
                  most one message a minute from it (its peer list stays small)
  private         the same as tell_lt with a private torrent: bitveil offers no ut_pex, the leecher never
                  hears of the seeder
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, check, main, need_libtorrent  # noqa: E402


def payload(lab, name):
    return Payload(lab.path("src"), name, [("a.bin", 6 * MiB + 11), ("b.bin", 2 * MiB + 5)])


def learn_from_lt(lab):
    need_libtorrent()
    pl = Payload(lab.path("src"), "pex-learn", [("a.bin", 3 * MiB + 11)])
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    # libtorrent tells a new peer first of the peers that connected to it, and of the ones it dialled only in
    # its next message, a minute later: the seeder's upload limit keeps the leecher downloading (and so
    # connected, and bitveil still a leecher) past that minute.
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, upload_limit=48 * KiB)
    seeder.wait_seeding()
    leecher = lab.lt_peer("lt-leech", tor, lab.path("lt-dl"), seed=False, no_tracker=True, pex=True,
                          peers=[f"127.0.0.1:{seeder.port}"])
    leecher.wait_for(r"peers=1", 30, "the leecher connected to the seeder")
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{leecher.port}"])
    st = bv.finish(120, watch=[seeder])
    pl.check_copy(dl, "bitveil")
    text = bv.text()
    check(re.search(r"ut_pex: \d+ added \([1-9]\d* new\)", text), "bitveil learned no peer through PEX")
    check(re.search(rf"127\.0\.0\.1:{seeder.port} out: connected", text),
          f"bitveil never connected to the seeder at port {seeder.port}")
    lab.log(f"bitveil: {st.get('peers_connected_out')} outgoing connections")


def hostile(lab):
    need_libtorrent()
    pl = payload(lab, "pex-hostile")
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, upload_limit=1 * MiB)
    seeder.wait_seeding()
    flood = lab.bad_peer("flood", tor, "pex_flood")
    bv = lab.bitveil("bitveil", "download", tor, lab.path("dl"),
                     peers=[f"127.0.0.1:{flood.port}", f"127.0.0.1:{seeder.port}"])
    st = bv.finish(120, watch=[seeder])
    pl.check_copy(lab.path("dl"), "bitveil")
    sent = len(re.findall(r"SENT \d+ ut_pex message", flood.text()))
    lab.log(f"flood: {sent} log lines of ut_pex messages sent (one per 100); bitveil knows {st['peers_known']} peers")
    check(sent >= 1, "the flood never sent a ut_pex message (bitveil offered no ut_pex?)")
    took = re.findall(r"ut_pex: (\d+) added", bv.text())
    check(1 <= len(took) <= 2, f"bitveil took {len(took)} ut_pex messages from the flood in {bv_seconds(st)} s")
    check(st["peers_known"] <= 2 + 2 * 50, f"bitveil's peer list grew to {st['peers_known']}")


def bv_seconds(st):
    return st.get("seconds", "?")


def tell(lab, private):
    need_libtorrent()
    pl = payload(lab, "pex-private" if private else "pex-tell")
    tor = lab.create_torrent(pl, piece_size=64 * KiB, private=private)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, upload_limit=2 * MiB)
    seeder.wait_seeding()
    bv = lab.bitveil("bitveil", "download", tor, lab.path("dl"), peers=[f"127.0.0.1:{seeder.port}"],
                     extra=["--seed-time", "60"])
    leecher = lab.lt_peer("lt-leech", tor, lab.path("lt-dl"), seed=False, no_tracker=True, pex=True,
                          peers=[f"127.0.0.1:{bv.port}"])
    if private:
        # A second bitveil connected to the first shows what the first offers in its extended handshake.
        other = lab.bitveil("bitveil-2", "download", tor, lab.path("dl2"), peers=[f"127.0.0.1:{bv.port}"])
        other.wait_for(rf"127\.0\.0\.1:{bv.port} out: client bitveil [^(]*\(extended handshake: reqq \d+, "
                       r"extensions: (.*)\)", 30, "the first bitveil's extended handshake")
        offered = re.search(rf"127\.0\.0\.1:{bv.port} out: client bitveil [^(]*\(extended handshake: reqq \d+, "
                            r"extensions: (.*)\)", other.text()).group(1)
        check("ut_pex" not in offered, f"bitveil offers ut_pex on a private torrent: {offered}")
        time.sleep(5)
        leecher.stop()
        check(not re.search(rf"PEER 127\.0\.0\.1:{seeder.port} out", leecher.text()),
              "the leecher learned the seeder of a private torrent")
        check("ut_pex:" not in bv.text(), "bitveil took PEX messages on a private torrent")
        return
    leecher.wait_for(r"^DONE", 120, "the leecher completed")
    leecher.wait(10)
    check(re.search(rf"PEER 127\.0\.0\.1:{seeder.port} out", leecher.text()),
          f"the leecher never connected to the seeder (port {seeder.port}): bitveil's PEX did not reach it")


def tell_lt(lab):
    tell(lab, private=False)


def private(lab):
    tell(lab, private=True)


CASES = {  # name -> (function, time budget in seconds, summary)
    "learn_from_lt": (learn_from_lt, 180, "bitveil learns a seeder through a libtorrent leecher's PEX"),
    "tell_lt": (tell_lt, 180, "a libtorrent leecher learns a seeder through bitveil's PEX"),
    "hostile": (hostile, 150, "a ut_pex flood is mostly ignored; the download completes"),
    "private": (private, 120, "a private torrent: no ut_pex offered, nothing learned"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
