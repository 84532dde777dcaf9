#!/usr/bin/python3
"""MSE/PE interop of bitveil with Transmission (transmission-cli 3.00), encryption required on both sides
(ctest label `integration`).

usage: transmission_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Transmission drops peers at 127.0.0.0/8 and ::1 that come from trackers or PEX, so it never dials a loopback
peer by itself; it does accept incoming loopback connections. Hence:
- dl_from_transmission_rc4: transmission-cli seeds (-er, RC4 only) on 127.0.0.1; bitveil dials it.
- seed_to_transmission_rc4: run through tests/integration/with_test_address (a private network namespace whose
  loopback also holds 198.18.0.1 and .2): opentracker and bitveil bind the first, transmission-cli the second, so
  transmission learns bitveil from the tracker and dials it: incoming MSE on bitveil's side.
The data's sha256 is checked, and bitveil's --stats-json must show only MSE+RC4 connections.
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Payload, Proc, Skip, check, exit_status, free_port, main, need_program,  # noqa: E402
                 port_open)


def transmission(lab, name, torrent, dir, seed, address="127.0.0.1", required=True):
    """transmission-cli with encryption required (-er: RC4 only; `required` False: its default, preferred, -ep)
    bound to `address`, DHT/LPD/PEX/uTP/port mapping/RPC off. --seed verifies dir/<name> and seeds until killed; else it leeches and exits 0 when
    complete (ratio-limit 0 stops the torrent at 100%)."""
    exe = need_program("transmission-cli")
    port = free_port(address)
    config = lab.path(f"{name}-config")
    settings = {
        "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
        "port-forwarding-enabled": False, "blocklist-enabled": False, "rpc-enabled": False,
        "bind-address-ipv4": address, "bind-address-ipv6": "::1", "peer-port": port,
        "peer-port-random-on-start": False, "encryption": 2 if required else 1, "download-dir": dir,
        "incomplete-dir-enabled": False, "speed-limit-down-enabled": False, "speed-limit-up-enabled": False,
        "alt-speed-enabled": False, "ratio-limit-enabled": not seed, "ratio-limit": 0,
        "idle-seeding-limit-enabled": False, "message-level": 2,
    }
    with open(os.path.join(config, "settings.json"), "w") as f:
        json.dump(settings, f)
    argv = [exe, "-g", config, "-w", dir, "-p", port, "-er" if required else "-ep", "-M", "-B", "-D", "-U", *(["-v"] if seed else []),
            torrent.path]
    p = Proc(lab, name, argv, env=dict(os.environ, HOME=lab.home), cwd=lab.home)
    p.port = port
    end = time.monotonic() + 20
    while not port_open(port, address):
        check(p.alive(), f"{name} exited with {exit_status(p.returncode)}:\n{p.tail()}")
        check(time.monotonic() < end, f"{name} is not listening on {address}:{port} after 20 s:\n{p.tail()}")
        time.sleep(0.1)
    return p


def payload(lab, name):
    pl = Payload(lab.path("src"), name, [("a.bin", 3 * MiB + 5_555), ("sub/b.bin", 300_007)])
    return pl


def check_only_rc4(st, who):
    kinds = {k: v for k, v in st.get("connections_by_kind", {}).items() if v}
    check(kinds.get("mse_rc4", 0) >= 1 and set(kinds) == {"mse_rc4"},
          f"{who}: connections_by_kind {kinds}, expected only MSE+RC4; closed: {st.get('connections_closed')}")


def dl_from_transmission_rc4(lab):
    """transmission-cli seeds with -er (RC4 only); bitveil --encryption require dials it and downloads."""
    pl = payload(lab, "from-tr")
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = transmission(lab, "tr-seed", tor, pl.parent, seed=True)
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"],
                     extra=["--encryption", "require"])
    st = bv.finish(90, watch=[seeder])
    lab.log(f"bitveil stats: {st}")
    pl.check_copy(dl, "bitveil")
    check(st.get("complete") is True, f"bitveil: not complete: {st}")
    check_only_rc4(st, "bitveil")


def seed_to_transmission_rc4(lab):
    """bitveil seed --encryption require announces to opentracker at the test address; transmission-cli (-er)
    learns it from the tracker, dials it (incoming MSE for bitveil) and downloads everything."""
    addresses = os.environ.get("BITVEIL_TEST_ADDRESSES", "").split(",")
    if len(addresses) < 2:
        raise Skip("needs two non-loopback addresses that exist only in a private network namespace: run it "
                   "through tests/integration/with_test_address (Transmission ignores loopback peers)")
    address, transmission_address = addresses[:2]
    need_program("transmission-cli")
    pl = payload(lab, "to-tr")
    tor = lab.create_torrent(pl, tracker_url=lab.tracker_url(address), piece_size=64 * KiB)
    tracker = lab.tracker([tor])
    seed = lab.bitveil("seed", "seed", tor, pl.parent, extra=["--encryption", "require"], address=address)
    seed.wait_for(r"\] tracker: .* peer\(s\)", 30, "bitveil's first announce")
    dl = lab.path("dl")
    leech = transmission(lab, "tr-leech", tor, dl, seed=False, address=transmission_address)
    rc = leech.wait(120, "transmission-cli leech", watch=[seed])
    check(rc == 0, f"transmission-cli leech exited with {rc}")
    pl.check_copy(dl, "transmission-cli")
    rc = exit_status(seed.stop(grace=10))
    check(rc == 143, f"bitveil seed: exit status {rc} after SIGTERM, expected 143")
    st = seed.stats()
    lab.log(f"bitveil seed stats: {st}")
    check(st["payload_uploaded"] >= tor.total_size and st["peers_connected_in"] >= 1,
          f"bitveil seed: uploaded {st['payload_uploaded']} of {tor.total_size} over "
          f"{st['peers_connected_in']} incoming connection(s)")
    check_only_rc4(st, "bitveil seed")
    tracker.stop()


def dl_from_transmission_defaults(lab):
    """transmission-cli with its default encryption (preferred) seeds; bitveil with no option downloads."""
    pl = payload(lab, "from-tr-defaults")
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = transmission(lab, "tr-seed", tor, pl.parent, seed=True, required=False)
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"])
    st = bv.finish(90, watch=[seeder])
    lab.log(f"bitveil stats: {st}")
    pl.check_copy(dl, "bitveil")
    check(st.get("complete") is True, f"bitveil: not complete: {st}")


CASES = {
    "dl_from_transmission_defaults": (dl_from_transmission_defaults, 150,
                                      "transmission-cli with default encryption seeds, bitveil defaults dial"),
    "dl_from_transmission_rc4": (dl_from_transmission_rc4, 150, "transmission-cli -er seeds, bitveil require dials"),
    "seed_to_transmission_rc4": (seed_to_transmission_rc4, 180,
                                 "bitveil require seeds, transmission-cli -er dials it (private netns address)"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
