#!/usr/bin/python3
"""The DHT (BEP 5, issue 24) against libtorrent on loopback (ctest label `integration`, names integration.dht.*).

usage: dht_lt_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Every node has its own 127.x.y.z address (lab.next_address): libtorrent keeps one DHT node per IP address.
Nothing bootstraps from anything but the nodes the test starts: libtorrent gets dht_bootstrap_nodes="" and
add_dht_node (see lt_peer.py for its loopback settings), bitveil --dht-bootstrap or --no-dht-bootstrap.
The torrents name no tracker and the magnets carry neither tr= nor x.pe=: peers come from the DHT alone.

Cases:
  lt_only              the lab itself, libtorrent alone: 4 libtorrent DHT nodes, a libtorrent seeder and a
                       libtorrent leecher with only a magnet that finds the seeder through the DHT and completes
                       (bitveil only creates the torrent); when this fails, the lab is broken, not bitveil
  magnet_from_lt       a DHT of 20 `bitveil dht` nodes and 3 libtorrent nodes; a libtorrent seeder in it;
                       bitveil downloads the magnet bootstrapping from one of its nodes
  lt_from_bitveil      the same DHT; a bitveil seeder in it; a libtorrent leecher with only the magnet finds
                       it and completes
  in_lt_table_and_restart  libtorrent's routing tables hold our nodes (address and id) and a probe finds their
                       answers well-formed; a `bitveil dht` node stopped after joining, then a download with its
                       saved state and no bootstrap node finds a libtorrent seeder
  hostile              tools/bad_dht.py against a `bitveil dht` node: malformed, oversized, wrong types, bad
                       tokens, unknown method, unsolicited answers (each answered with an error or dropped),
                       floods from one and from 200 addresses (rate limited, the node stays up, its memory
                       bounded); afterwards a download bootstrapping from that node alone still completes
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, ROOT, Magnet, Payload, Proc, check, main, need_libtorrent, peak_rss_kib, sanitized  # noqa: E402

BAD_DHT = os.path.join(ROOT, "tools", "bad_dht.py")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bad_dht  # noqa: E402  (its KRPC client, to ask our nodes for their ids)


def lt_only(lab):
    need_libtorrent()
    nodes = lab.lt_dht_nodes(4)
    boot = [n.dht_endpoint for n in nodes]
    # A node learns the nodes it added at once; the others learn of it from its queries, one every 5 s (libtorrent
    # pings a node that queried it on its 5 s tick): waiting for full tables would cost ~15 s, and is not needed.
    for n in nodes:
        n.wait_dht_nodes(1, 30)
    pl, tor = payload(lab, "lt-only")
    seeder = lt_seeder(lab, tor, pl, boot[:1])
    dl = lab.path("dl")
    leech = lab.lt_peer("lt-leech", Magnet(tor), dl, seed=False, no_tracker=True, address=lab.next_address(),
                        dht_nodes=boot[-1:], timeout=60)
    check(leech.wait(70, "magnet download through the DHT", watch=[seeder]) == 0, "the libtorrent leecher failed")
    lab.log("libtorrent leecher done: " + leech.wait_for(r"^DONE .*").group(0))
    pl.check_copy(dl, "lt-leech")


# ---------------------------------------------------------------------------------------------------
# Helpers

def payload(lab, name):
    pl = Payload.single(lab.path("src"), name + ".bin", 2 * MiB + 5)
    return pl, lab.create_torrent(pl, piece_size=64 * KiB)


def lt_seeder(lab, tor, pl, dht_nodes):
    """A libtorrent seeder in the DHT (no tracker), returned once its first announce went out."""
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, seed=True, no_tracker=True, address=lab.next_address(),
                         dht_nodes=dht_nodes)
    seeder.wait_seeding()
    seeder.wait_dht_lookup(30)
    lab.log("libtorrent seeder announced")
    return seeder


def bitveil_magnet(lab, name, tor, dl, bootstrap, address=None):
    """`bitveil download` of the bare magnet (no tr=, no --peer), its DHT bootstrapping from `bootstrap` only."""
    return lab.bitveil(name, "download", Magnet(tor), dl, address=address or lab.next_address(),
                       extra=lab.dht_args(name, bootstrap))


def node_id(endpoint):
    """The id a node gives in its answer to a ping (hex), or None."""
    host, port = bad_dht.endpoint(endpoint)
    _, msg = bad_dht.Client((host, port), "127.0.0.1", 2.0).query("ping", {})
    r = (msg or {}).get(b"r", {})
    return r[b"id"].hex() if isinstance(r, dict) and isinstance(r.get(b"id"), bytes) else None


def bad_dht_run(lab, name, target, modes, extra=()):
    """Run tools/bad_dht.py against `target`; its JSON lines."""
    p = Proc(lab, name, [sys.executable, BAD_DHT, "--target", target, "--mode", ",".join(modes), *extra])
    p.wait(120, f"bad_dht {','.join(modes)}")
    return [json.loads(ln) for ln in p.text().splitlines() if ln.startswith("{")]


# ---------------------------------------------------------------------------------------------------
# Cases

def magnet_from_lt(lab):
    bv, lts = lab.loopback_dht(20, 3)
    pl, tor = payload(lab, "from-lt")
    seeder = lt_seeder(lab, tor, pl, [lts[0].dht_endpoint])
    dl = lab.path("dl")
    b = bitveil_magnet(lab, "bitveil", tor, dl, [bv[7].dht_endpoint])
    st = b.finish(60, "magnet download through the DHT", watch=[seeder])
    pl.check_copy(dl, "bitveil")
    dht = st.get("dht", {})
    lab.log(f"bitveil done in {st.get('duration_ms')} ms; dht {dht}")
    # The DHT brought them together either way: bitveil's lookup found the seeder (until the metadata arrives
    # the torrent is named by its info hash), or the seeder's lookup found bitveil's announce and dialled it.
    found = re.search(rf"\[info\] dht: {tor.info_hash_hex}: [1-9]\d* peer\(s\)", b.text())
    dialled = re.search(r"\[info\] peer: \S+ in: connected for the metadata", b.text())
    lab.log(f"bitveil found the seeder: {bool(found)}; the seeder dialled bitveil: {bool(dialled)}")
    check(found or dialled, "bitveil's log shows no peer found through the DHT and no seeder dialling in")


def lt_from_bitveil(lab):
    bv, lts = lab.loopback_dht(20, 3)
    pl, tor = payload(lab, "to-lt")
    address = lab.next_address()
    seed = lab.bitveil("bitveil-seed", "seed", tor, pl.parent, address=address,
                       extra=lab.dht_args("bitveil-seed", [bv[3].dht_endpoint]))
    # --stats-json is written at exit only: its --verbose log tells when its first lookup (and announce) ended
    seed.wait_for(r"\[info\] dht: to-lt\.bin: lookup done .* announced to [1-9]", 30,
                  "its first DHT lookup (and announce)")
    lab.log("bitveil seeder announced")
    dl = lab.path("dl")
    leech = lab.lt_peer("lt-leech", Magnet(tor), dl, seed=False, no_tracker=True, address=lab.next_address(),
                        dht_nodes=[lts[1].dht_endpoint], timeout=60)
    check(leech.wait(70, "libtorrent magnet download through the DHT", watch=[seed]) == 0,
          "the libtorrent leecher failed (log below)")
    pl.check_copy(dl, "lt-leech")
    check(re.search(rf"^PEER {re.escape(address)}:\d+ ", leech.text(), re.M),
          f"libtorrent did not download from bitveil at {address}")


def in_lt_table_and_restart(lab):
    bv, lts = lab.loopback_dht(12, 3)
    ours = {}
    for n in bv:
        ours[n.dht_endpoint] = node_id(n.dht_endpoint)
        check(ours[n.dht_endpoint], f"{n.name} does not answer a ping")
    # libtorrent lists only nodes that answered its queries (dht_live_nodes): ours must be there under their ids.
    end = time.monotonic() + 30
    while True:
        seen = [[f"{e['ip']}:{e['port']}" for e in lt.dht_table().get("nodes", [])
                 if ours.get(f"{e['ip']}:{e['port']}") == e["id"]] for lt in lts]
        if all(len(s) >= 3 for s in seen):
            break
        check(time.monotonic() < end, f"after 30 s libtorrent's tables hold {[len(s) for s in seen]} of our nodes "
                                      f"(ids matching), expected 3 each: {[lt.dht_table() for lt in lts]}")
        time.sleep(0.5)
    lab.log(f"our nodes in libtorrent's tables: {[len(s) for s in seen]} of {len(bv)}")
    for n in (bv[0], bv[5]):
        lines = bad_dht_run(lab, f"probe-{n.name}", n.dht_endpoint, ["probe"], ["--bind", lab.next_address()])
        bad = [ln for ln in lines if not ln["ok"]]
        check(lines and not bad, f"probe of {n.name}: {bad or 'no output'}")

    lab.log("probes passed")
    # The seeder announces first: a node that has left stalls libtorrent's lookups for its 15 s query timeout.
    pl, tor = payload(lab, "restart")
    seeder = lt_seeder(lab, tor, pl, [lts[2].dht_endpoint])
    # The restart: join, stop (the state is saved), then download with that state and no bootstrap node.
    address = lab.next_address()
    first = lab.bitveil_dht("restarted", address, [bv[1].dht_endpoint])
    first.wait_dht_nodes(8, 30)
    check(first.stop() == 0, "bitveil dht did not exit 0 on SIGTERM")
    state = os.path.join(lab.dir, "restarted.dht.state")
    check(os.path.getsize(state) > 0, f"no DHT state saved in {state}")
    lab.log(f"bitveil dht joined, stopped, state saved ({os.path.getsize(state)} bytes)")
    dl = lab.path("dl")
    b = bitveil_magnet(lab, "restarted", tor, dl, [], address=address)
    check("--no-dht-bootstrap" in b.argv, "the restarted download must have no bootstrap node")
    st = b.finish(60, "download after the restart, no bootstrap node", watch=[seeder])
    pl.check_copy(dl, "bitveil (restarted)")
    lab.log(f"restarted bitveil done in {st.get('duration_ms')} ms; dht {st.get('dht')}")


def hostile(lab):
    bv, lts = lab.loopback_dht(6, 1)
    target = bv[2]
    before = peak_rss_kib(target.pid)
    modes = ["malformed", "oversized", "wrong_types", "bad_token", "unknown_method", "unsolicited", "probe"]
    lines = bad_dht_run(lab, "bad-dht", target.dht_endpoint, modes, ["--bind", lab.next_address()])
    summaries = {ln["mode"]: ln for ln in lines if ln.get("summary")}
    check(set(summaries) == set(modes), f"bad_dht reported {sorted(summaries)}, expected {modes}")
    bad = [ln for ln in lines if not ln["ok"]]
    check(not bad, "answers BEP 5 does not allow:\n" + "\n".join(json.dumps(b) for b in bad))

    # Floods: answers beyond the node's rate limits are dropped (it answers at most 20 queries/s per address,
    # 1000/s in all: NodeSettings), and it still answers an ordinary ping afterwards (bad_dht's alive_after).
    block = lab.next_address().rsplit(".", 1)[0]  # 127.P.Q: our own block of addresses for the 200 sources
    prefix = f"{block.rsplit('.', 1)[0]}.{int(block.rsplit('.', 1)[1]) + 100}"
    lines = bad_dht_run(lab, "bad-dht-flood", target.dht_endpoint, ["flood", "flood_many"],
                        ["--bind", lab.next_address(), "--seconds", "3", "--sources", "200", "--source-prefix", prefix])
    res = {ln["mode"]: ln for ln in lines if not ln.get("summary")}
    alive = {ln["mode"]: ln["alive_after"] for ln in lines if ln.get("summary")}
    lab.log(f"floods: {json.dumps(res)}")
    check(alive == {"flood": True, "flood_many": True}, f"the node stopped answering after a flood: {alive}")
    check(res["flood"]["answered_per_second"] <= 50,
          f"one address flooding got {res['flood']['answered_per_second']} answers/s: no per-address rate limit")
    check(res["flood_many"]["answered_per_second"] <= 2000,
          f"200 addresses flooding got {res['flood_many']['answered_per_second']} answers/s: no global rate limit")
    check(res["flood_many"]["answered"] > 0, "the node answered none of 200 addresses")
    peak = peak_rss_kib(target.pid)
    lab.log(f"target peak RSS {before} KiB before, {peak} KiB after; stats {target.dht_stats()}")
    if not sanitized(lab.bitveil_path):  # ASan's shadow memory and quarantine inflate RSS
        check(peak - before <= 16 * 1024, f"the node's peak RSS grew from {before} to {peak} KiB under attack")

    # A lookup through the attacked node alone still succeeds.
    pl, tor = payload(lab, "after-attack")
    seeder = lt_seeder(lab, tor, pl, [lts[0].dht_endpoint])
    dl = lab.path("dl")
    b = bitveil_magnet(lab, "bitveil", tor, dl, [target.dht_endpoint])
    b.finish(60, "download bootstrapping from the attacked node", watch=[seeder, target])
    pl.check_copy(dl, "bitveil")


CASES = {
    "lt_only": (lt_only, 120, "the lab alone: libtorrent seeder and magnet leecher meet through a libtorrent DHT"),
    "magnet_from_lt": (magnet_from_lt, 150, "bitveil downloads a bare magnet from a libtorrent seeder via the DHT"),
    "lt_from_bitveil": (lt_from_bitveil, 150, "a libtorrent leecher finds a bitveil seeder via the DHT"),
    "in_lt_table_and_restart": (in_lt_table_and_restart, 150,
                                "our nodes in libtorrent's tables; a restart with saved state needs no bootstrap"),
    "hostile": (hostile, 150, "bad_dht.py against a bitveil node; memory bounded; lookups still succeed"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
