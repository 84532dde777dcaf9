#!/usr/bin/python3
"""The DHT (BEP 5, issue 24) against libtorrent on loopback (ctest label `integration`, names integration.dht.*).

usage: dht_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Every node has its own 127.x.y.z address (lab.next_address): libtorrent keeps one DHT node per IP address.
Nothing bootstraps from anything but the nodes the test starts (libtorrent: dht_bootstrap_nodes="" and
add_dht_node; see lt_peer.py for its loopback settings).

Cases:
  lt_only              the lab itself, libtorrent alone: 4 libtorrent DHT nodes, a libtorrent seeder and a
                       libtorrent leecher with only a magnet (no tracker, no peer) that finds the seeder through
                       the DHT and completes (bitveil only creates the torrent); if this fails, the lab is broken
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Payload, check, main, need_libtorrent  # noqa: E402
from magnet_fetch_test import Magnet  # noqa: E402


def lt_only(lab):
    need_libtorrent()
    nodes = lab.lt_dht_nodes(4)
    boot = [n.dht_endpoint for n in nodes]
    # A node learns the nodes it added at once; the others learn of it from its queries, one every 5 s (libtorrent
    # pings a node that queried it on its 5 s tick): waiting for full tables would cost ~15 s, and is not needed.
    for n in nodes:
        n.wait_dht_nodes(1, 30)
    pl = Payload.single(lab.path("src"), "lt-only.bin", 2 * MiB + 5)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, address=lab.next_address(),
                         dht_nodes=boot[:1])
    seeder.wait_seeding()
    seeder.wait_dht_lookup(30)
    lab.log("seeder announced")
    dl = lab.path("dl")
    leech = lab.lt_peer("lt-leech", Magnet(tor), dl, seed=False, no_tracker=True, address=lab.next_address(),
                        dht_nodes=boot[-1:], timeout=60)
    check(leech.wait(70, "magnet download through the DHT", watch=[seeder]) == 0, "the libtorrent leecher failed")
    lab.log("libtorrent leecher done: " + leech.wait_for(r"^DONE .*").group(0))
    pl.check_copy(dl, "lt-leech")


CASES = {
    "lt_only": (lt_only, 120, "the lab alone: libtorrent seeder and magnet leecher meet through a libtorrent DHT"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
