#!/usr/bin/python3
"""The DHT (BEP 5) between bitveil processes on loopback, each on its own 127.0.0.x address (ctest label
`integration`; run it inside scripts/netns). Every process bootstraps only from loopback nodes.

usage: dht_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  magnet_via_dht    a `bitveil dht` router, a seeder of a tracker-less torrent and a leecher with only the magnet
                    link (no tracker, no --peer), both bootstrapping from the router: the leecher finds the seeder
                    through the DHT alone and downloads; a restarted router reloads its routing table from its
                    state file with no bootstrap node at all
  port_message      a seeder and a leecher given --peer, with the DHT on and no bootstrap node: each learns the
                    other's node from the PORT message (BEP 5), so each has a node in its routing table
  private_no_dht    the same with a private torrent (BEP 27): no PORT, no lookup, no DHT message at all
  ipv6              magnet_via_dht's download with every process on ::1: the IPv6 node (BEP 32) alone finds the
                    seeder
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Magnet, Payload, check, main  # noqa: E402



def wait_for_stats(node, cond, timeout, what):
    end = time.monotonic() + timeout
    while True:
        if os.path.exists(node.stats_path):
            try:
                st = node.stats()
                if cond(st["dht"]):
                    return st["dht"]
            except Exception:  # written as it is read: try again
                pass
        check(node.alive(), f"{node.name} exited while waiting for {what}")
        check(time.monotonic() < end, f"{node.name}: no {what} after {timeout} s")
        time.sleep(0.2)


def magnet_via_dht(lab):
    router = lab.bitveil_dht("router", "127.0.0.2")
    boot = [f"127.0.0.2:{router.port}"]
    pl = Payload.single(lab.path("src"), "dht.bin", 3 * MiB + 1234)
    tor = lab.create_torrent(pl, piece_size=32 * KiB)  # no tracker
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address="127.0.0.3", extra=lab.dht_args("seed", boot))
    seed.wait_for(r"dht: running", 20, "the DHT running")
    dl = lab.path("dl")
    leech = lab.bitveil("leech", "download", Magnet(tor), dl, address="127.0.0.4",
                        extra=lab.dht_args("leech", boot))
    st = leech.finish(120, watch=[seed, router])
    pl.check_copy(dl, "leech")
    # Its only source of peers (the download may end before its first lookup does).
    check(st["dht"]["messages_out"] >= 1 and st["dht"]["nodes"] >= 1, f"leech: no DHT traffic: {st['dht']}")
    check(st["peers_connected_out"] >= 1, f"leech: dialled nobody: {st}")
    check("dht: " in leech.text() and "peer(s)" in leech.text(), "leech: no peers logged from the DHT")
    # The router saw both of them. Restarted with no bootstrap node, it pings the nodes its state file keeps
    # (the seeder's among them) and has a routing table again.
    wait_for_stats(router, lambda d: d["nodes"] >= 1, 30, "nodes in the router's table")
    router.stop()
    check(os.path.getsize(os.path.join(lab.dir, "router.dht.state")) > 20, "router: no state file saved")
    os.remove(router.stats_path)
    again = lab.bitveil_dht("router", "127.0.0.2")
    again.wait_for(r"v4 node [0-9a-f]{40}, [1-9]\d* saved nodes", 20, "the saved nodes read back")
    wait_for_stats(again, lambda d: d["nodes"] >= 1, 30, "nodes restored from the state file")
    seed.stop()


def port_message(lab):
    pl = Payload.single(lab.path("src"), "port.bin", 2 * MiB + 77)
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address="127.0.0.5", extra=lab.dht_args("seed"))
    leech = lab.bitveil("leech", "download", tor, lab.path("dl"), address="127.0.0.6",
                        peers=[f"127.0.0.5:{seed.port}"], extra=lab.dht_args("leech") + ["--seed-time", "3"])
    st = leech.finish(60, watch=[seed])
    pl.check_copy(lab.path("dl"), "leech")
    check(st["dht"]["nodes"] >= 1, f"leech: the seeder's PORT did not put its node in our table: {st['dht']}")
    seed.stop()
    st = seed.stats()
    check(st["dht"]["nodes"] >= 1, f"seed: the leecher's PORT did not put its node in our table: {st['dht']}")


def private_no_dht(lab):
    pl = Payload.single(lab.path("src"), "private.bin", 1 * MiB + 5)
    tor = lab.create_torrent(pl, piece_size=32 * KiB, private=True)
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address="127.0.0.7", extra=lab.dht_args("seed"))
    leech = lab.bitveil("leech", "download", tor, lab.path("dl"), address="127.0.0.8",
                        peers=[f"127.0.0.7:{seed.port}"], extra=lab.dht_args("leech") + ["--seed-time", "3"])
    st = leech.finish(60, watch=[seed])
    pl.check_copy(lab.path("dl"), "leech")
    seed.stop()
    for name, d in (("leech", st["dht"]), ("seed", seed.stats()["dht"])):
        check(d["nodes"] == 0 and d["messages_out"] == 0 and d["lookups_done"] == 0 and d["lookups_running"] == 0,
              f"{name}: a private torrent touched the DHT: {d}")


def ipv6(lab):
    router = lab.bitveil_dht("router", "::1")
    boot = [f"[::1]:{router.port}"]
    pl = Payload.single(lab.path("src"), "dht6.bin", 2 * MiB + 99)
    tor = lab.create_torrent(pl, piece_size=32 * KiB)
    seed = lab.bitveil("seed", "seed", tor, pl.parent, address="::1", extra=lab.dht_args("seed", boot))
    seed.wait_for(r"dht: running", 20, "the DHT running")
    dl = lab.path("dl")
    leech = lab.bitveil("leech", "download", Magnet(tor), dl, address="::1", extra=lab.dht_args("leech", boot))
    leech.finish(120, watch=[seed, router])
    pl.check_copy(dl, "leech")
    check(re.search(rf"dht: {tor.info_hash_hex}: [1-9]\d* peer\(s\)", leech.text()),
          "leech: no peers logged from the DHT")
    check(re.search(r"peer: \[::1\]:\d+ out: connected", leech.text()), "leech: no IPv6 peer connected")
    seed.stop()


CASES = {  # name -> (function, time budget in seconds, summary)
    "magnet_via_dht": (magnet_via_dht, 200, "a magnet with no tracker and no --peer finds its seeder in the DHT"),
    "port_message": (port_message, 120, "PORT messages put each peer's node in the other's routing table"),
    "private_no_dht": (private_no_dht, 120, "a private torrent sends no PORT and makes no lookup"),
    "ipv6": (ipv6, 120, "the IPv6 DHT (BEP 32): a magnet's seeder found on ::1"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
