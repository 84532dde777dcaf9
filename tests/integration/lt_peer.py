#!/usr/bin/python3
"""A libtorrent peer for bitveil's swarm tests, bound to one loopback address (127.0.0.1 unless --address; LSD,
UPnP, NAT-PMP, uTP off; PEX off unless --pex; DHT off unless --dht).

usage: lt_peer.py TORRENT|MAGNET (--seed | --leech) --save DIR [--port N] [--peer HOST:PORT]... [--no-tracker]
                  [--upload-limit BYTES_S] [--encryption enabled|required|disabled] [--timeout S] [--interval S]
                  [--pex] [--set NAME=VALUE]... [--remote-class] [--peer-log]
                  [--address 127.0.0.X] [--dht] [--dht-node HOST:PORT]... [--dht-stats FILE] [--dht-log]
       lt_peer.py --bare --dht [--address 127.0.0.X] [--port N] [--dht-node HOST:PORT]... [--dht-stats FILE]
                  [--lookup HEX]... [--lookup-after N]

Lines it prints (stdout, flushed), for the test to wait on:
  LISTENING port N          the TCP port it listens on (--port 0 lets the kernel pick)
  SEEDING                   --seed: the data in DIR checked complete
  METADATA bytes=N          a magnet: the info dictionary arrived from a peer (N: its size)
  ANNOUNCED peers=N         a tracker answered
  STAT state=.. progress=.. down=N up=N peers=N pieces=N   every --interval seconds (payload bytes, session
                            totals; pieces: verified)
  DONE bytes=N seconds=S    --leech: the download is complete (then it exits 0)
  ALERT <type>: <message>   peer connects, disconnects and errors, tracker and file errors
  PEER ip:port in|out client='..' down=N up=N      one line per peer seen, at exit
  PEERLOG <peer_log_alert message>   --peer-log: every event libtorrent logs for a peer, e.g. "NAME peer
                            [ 127.0.0.1:40000 client: .. ] [127.0.0.1:40000] <== ALLOWED_FAST [ 3 ]"
                            (<== message received, ==> sent, <<< >>> socket, *** other)
DHT (--dht; loopback-safe, see dht_settings below):
  DHT id=HEX port=N         once, when the node runs (its UDP port is the listen port)
  DHT nodes=N t=S           whenever the routing table's size changes (S: seconds since start)
  DHT lookup done ih=HEX ms=N   a get_peers lookup ended (a torrent's: its announce_peer queries follow at once);
                            N: from libtorrent's "NEW target" to its "COMPLETED" DHT log lines
  DHT messages sent=N received=N   at exit: the DHT messages of the whole run
  DHT first peer t=S        --dht: the first peer connection (S: seconds since start; with neither --peer nor a
                            tracker, that peer came from the DHT)
  DHTLOG <message>          --dht-log: libtorrent's DHT log (traversals, nodes added, errors)
  LOOKUP ih=HEX ms=N peers=N sent=N received=N   --bare --lookup: one get_peers lookup, from dht_get_peers to
                            libtorrent's "COMPLETED" traversal log line; sent/received: DHT messages in that time
                            (all of the node's, from the dht.dht_messages_out/in counters)
--dht-stats FILE is rewritten (atomically) every --interval seconds with JSON: {"id", "port", "nodes":
[{"id", "ip", "port"}] (the live nodes of the routing table, dht_live_nodes_alert), "counters": {dht.* session
counters}}. --bare runs a DHT node only (no torrent, no --save); --lookup HEX (an info-hash) runs get_peers lookups,
one after another, once the table holds --lookup-after nodes.
Exits 0 on SIGTERM/SIGINT or when a leech completes; 1 on a listen, file or check error or on --timeout.
--peer endpoints are dialled when the torrent starts and again every 2 s while fewer peers are connected
(with a magnet, also while it fetches the metadata). A magnet's own tr= and x.pe= are used as libtorrent
parses them (--no-tracker drops the trackers).
--upload-limit also applies to loopback peers: libtorrent exempts local peers from rate limits and
unchoke slots unless they are put in the global peer class, which this (and --remote-class) does.
--set NAME=VALUE sets a libtorrent setting (settings_pack name; true/false, a number or text), after the
ones above, e.g. --set unchoke_slots_limit=0 --set allowed_fast_set_size=4.
"""
import argparse
import json
import os
import re
import signal
import sys
import time

import libtorrent as lt

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("torrent", nargs="?", help="a .torrent file or a magnet: URI (BEP 9: the metadata comes from peers)")
mode = ap.add_mutually_exclusive_group(required=True)
mode.add_argument("--seed", action="store_true")
mode.add_argument("--leech", action="store_true")
mode.add_argument("--bare", action="store_true", help="no torrent: a DHT node only (with --dht)")
ap.add_argument("--save", help="the folder holding the torrent's file or top folder")
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--peer", action="append", default=[], metavar="HOST:PORT")
ap.add_argument("--no-tracker", action="store_true", help="ignore the torrent's trackers")
ap.add_argument("--upload-limit", type=int, default=0, metavar="BYTES_S")
ap.add_argument("--encryption", choices=["enabled", "required", "disabled"], default="enabled")
ap.add_argument("--timeout", type=float, default=0, help="leech: give up after S seconds (default: never)")
ap.add_argument("--interval", type=float, default=0.25)
ap.add_argument("--pex", action="store_true", help="take part in peer exchange (ut_pex; off by default)")
ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a libtorrent setting")
ap.add_argument("--remote-class", action="store_true",
                help="loopback peers in the global peer class: unchoke slots and rate limits apply to them")
ap.add_argument("--peer-log", action="store_true", help="print libtorrent's peer log (PEERLOG lines)")
ap.add_argument("--address", default="127.0.0.1", help="the address to bind (TCP, and UDP for the DHT)")
ap.add_argument("--dht", action="store_true", help="run a DHT node (loopback-safe settings, no bootstrap)")
ap.add_argument("--dht-node", action="append", default=[], metavar="HOST:PORT", help="a DHT node to add (add_dht_node)")
ap.add_argument("--dht-stats", metavar="FILE", help="write the routing table and DHT counters there as JSON")
ap.add_argument("--dht-log", action="store_true", help="print libtorrent's DHT log (DHTLOG lines)")
ap.add_argument("--lookup", action="append", default=[], metavar="HEX", help="--bare: a get_peers lookup to time")
ap.add_argument("--lookup-after", type=int, default=1, metavar="N", help="start lookups once the table has N nodes")
a = ap.parse_args()
if a.bare != (a.torrent is None) or (not a.bare and not a.save):
    ap.error("TORRENT and --save go with --seed or --leech; --bare takes neither")
if (a.bare or a.dht_node or a.dht_stats or a.lookup or a.dht_log) and not a.dht:
    ap.error("--bare, --dht-node, --dht-stats, --dht-log and --lookup need --dht")


def out(line):
    print(line, flush=True)


policy, level = {"enabled": (lt.enc_policy.pe_enabled, lt.enc_level.pe_both),
                 "required": (lt.enc_policy.pe_forced, lt.enc_level.pe_rc4),
                 "disabled": (lt.enc_policy.pe_disabled, lt.enc_level.pe_plaintext)}[a.encryption]
settings = {
    "listen_interfaces": f"{a.address}:{a.port}",
    "outgoing_interfaces": a.address,
    "enable_dht": a.dht, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "dht_bootstrap_nodes": "",  # never the public routers
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "out_enc_policy": int(policy), "in_enc_policy": int(policy), "allowed_enc_level": int(level),
    "allow_multiple_connections_per_ip": True,  # every peer in a test is 127.0.0.1
    "min_reconnect_time": 1, "max_failcount": 1000,
    "upload_rate_limit": a.upload_limit,
    "alert_mask": (lt.alert_category.error | lt.alert_category.status | lt.alert_category.connect
                   | lt.alert_category.peer | lt.alert_category.tracker
                   | (lt.alert_category.peer_log if a.peer_log else 0)
                   | (lt.alert_category.dht | lt.alert_category.dht_operation | lt.alert_category.stats if a.dht else 0)
                   | (lt.alert_category.dht_log if a.dht else 0)),
}
# A loopback DHT of one node per 127.0.0.x address: libtorrent's defaults drop or distrust such nodes.
dht_settings = {
    "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,  # else one node per /24... per IP
    "dht_enforce_node_id": False, "dht_prefer_verified_node_ids": False,  # BEP 42 ids cannot fit 127.0.0.x
    "dht_ignore_dark_internet": False,  # 127.0.0.0/8 is "dark internet" to it
    "dht_upload_rate_limit": 1 << 20,  # B/s; 8000 by default throttles a 20-node lookup burst (0 crashes it: SIGFPE)
    "dht_block_ratelimit": 1000,  # queries/s one address may send before it is blocked (default 5)
}
if a.dht:
    settings.update(dht_settings)
for item in a.set:
    name, _, value = item.partition("=")
    settings[name] = {"true": True, "false": False}.get(value, int(value) if value.lstrip("-").isdigit() else value)
ses = lt.session(settings)
if a.upload_limit or a.remote_class:
    pf = lt.ip_filter()
    pf.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(pf)

h, ti = None, None
if a.bare:
    pass
elif a.torrent.startswith("magnet:"):
    atp = lt.parse_magnet_uri(a.torrent)
    ti = None  # until the metadata arrives
else:
    ti = lt.torrent_info(a.torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
if not a.bare:
    atp.save_path = a.save
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    atp.flags |= lt.torrent_flags.disable_lsd
    if not a.dht:
        atp.flags |= lt.torrent_flags.disable_dht
    if not a.pex:
        atp.flags |= lt.torrent_flags.disable_pex
    if a.no_tracker:
        atp.flags |= lt.torrent_flags.override_trackers  # with an empty tracker list
    h = ses.add_torrent(atp)

def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


peers = [endpoint(p) for p in a.peer]
dht_nodes = [endpoint(p) for p in a.dht_node]

stopping = False


def on_signal(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

seen = {}  # "ip:port" -> {"dir", "client", "down", "up"}


class Dht:
    """The DHT side: adds the --dht-node nodes until they answer, follows the routing table, writes --dht-stats,
    runs the --lookup lookups."""

    def __init__(self):
        self.id, self.port, self.nodes, self.live, self.counters = None, None, -1, [], {}
        self.last_add, self.last_poll = -1e9, -1e9
        self.lookups, self.lookup = list(a.lookup), None  # lookup: (info-hash hex, start, counters, peers)
        self.traversals = {}  # libtorrent's traversal id -> (target hex, start), from its DHT log

    def poll(self, now):
        if self.id is None and self.port and ses.is_dht_running():
            # save_state() is the one binding that tells the node id: [id (20 bytes) + our address]
            ids = ses.save_state().get(b"dht state", {}).get(b"node-id") or []
            if ids:
                self.id = lt.sha1_hash(ids[0][:20])
                out(f"DHT id={ids[0][:20].hex()} port={self.port}")
        # A node enters libtorrent's table only once it answered; the ping add_dht_node sends is lost if that
        # node is not up yet, so keep adding until the table is as large as the list.
        if dht_nodes and now - self.last_add >= 2 and self.nodes < len(dht_nodes):
            for ep in dht_nodes:
                ses.add_dht_node(ep)
            self.last_add = now
        if now - self.last_poll >= a.interval:
            ses.post_session_stats()
            if self.id is not None:
                ses.dht_live_nodes(self.id)
            self.last_poll = now
        if self.lookups and self.lookup is None and self.nodes >= a.lookup_after and self.counters and self.id:
            ih = self.lookups.pop(0)
            self.lookup = (ih, now, dict(self.counters), set())
            ses.dht_get_peers(lt.sha1_hash(bytes.fromhex(ih)))

    def on_alert(self, al, now):  # noqa: C901 (one branch per alert type)
        if isinstance(al, lt.session_stats_alert):
            self.counters = {k: v for k, v in al.values.items() if k.startswith("dht.")}
            n = self.counters.get("dht.dht_nodes", 0)
            if n != self.nodes:
                out(f"DHT nodes={n} t={now - t0:.2f}")
                self.nodes = n
            self.write_stats()
        elif isinstance(al, lt.dht_live_nodes_alert):
            self.live = [{"id": str(n["nid"]), "ip": n["endpoint"][0], "port": n["endpoint"][1]} for n in al.nodes]
        elif isinstance(al, lt.dht_get_peers_reply_alert) and self.lookup:
            self.lookup[3].update(f"{ip}:{port}" for ip, port in al.peers())
        elif isinstance(al, lt.dht_log_alert):
            msg = al.message()
            if a.dht_log:
                out(f"DHTLOG {msg}")
            m = re.search(r"\[(\d+)\] (NEW target: ([0-9a-f]{40})|COMPLETED .*type: get_peers)", msg)
            if m and m.group(3):
                self.traversals[m.group(1)] = (m.group(3), now)
            elif m:
                target, started = self.traversals.pop(m.group(1), ("?", now))
                out(f"DHT lookup done ih={target} ms={(now - started) * 1000:.0f}")
                if self.lookup and self.lookup[0] == target:
                    ih, started, before, found = self.lookup
                    # the counters now, not the last posted ones: ask and wait for them (stats alerts come in order)
                    self.done_at = (ih, (now - started) * 1000, before, found)
                    ses.post_session_stats()
                    self.lookup = ("pending", started, before, found)
        if isinstance(al, lt.session_stats_alert) and getattr(self, "done_at", None):
            ih, ms, before, found = self.done_at
            d = {k: self.counters.get(k, 0) - before.get(k, 0) for k in ("dht.dht_messages_out", "dht.dht_messages_in")}
            out(f"LOOKUP ih={ih} ms={ms:.0f} peers={len(found)} sent={d['dht.dht_messages_out']} "
                f"received={d['dht.dht_messages_in']}")
            self.done_at, self.lookup = None, None

    def write_stats(self):
        if not a.dht_stats:
            return
        tmp = a.dht_stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"id": str(self.id) if self.id else None, "port": self.port, "nodes": self.live,
                       "counters": self.counters}, f)
        os.replace(tmp, a.dht_stats)


dht = Dht() if a.dht else None


def poll_peers():
    if h is None:
        return
    for p in h.get_peer_info():
        if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
            continue
        key = f"{p.ip[0]}:{p.ip[1]}"
        e = seen.setdefault(key, {"dir": "out" if p.flags & lt.peer_info.outgoing_connection else "in",
                                  "client": "", "down": 0, "up": 0})
        client = p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client
        e["client"] = client or e["client"]
        e["down"], e["up"] = max(e["down"], p.total_download), max(e["up"], p.total_upload)


rc, t0, last_stat, last_dial = 0, time.monotonic(), 0.0, -1e9
active_since, said_seeding, said_port, said_first = None, False, False, False
while not stopping:
    for al in ses.pop_alerts():
        now = time.monotonic()
        if isinstance(al, lt.listen_succeeded_alert) and not said_port:
            out(f"LISTENING port {al.port}")
            said_port = True
            if dht:
                dht.port = al.port
        elif isinstance(al, lt.listen_failed_alert):
            out(f"ALERT {type(al).__name__}: {al.message()}")
            sys.exit(1)
        elif isinstance(al, lt.peer_log_alert):
            out(f"PEERLOG {al.message()}")
        elif isinstance(al, lt.tracker_reply_alert):
            out(f"ANNOUNCED peers={al.num_peers}")
        elif isinstance(al, lt.metadata_received_alert):
            ti = h.torrent_file()
            out(f"METADATA bytes={len(ti.info_section())}")
        elif isinstance(al, lt.metadata_failed_alert):
            out(f"ALERT {type(al).__name__}: {al.message()}")
        elif dht and isinstance(al, (lt.session_stats_alert, lt.dht_live_nodes_alert, lt.dht_get_peers_reply_alert,
                                     lt.dht_log_alert)):
            dht.on_alert(al, now)
        elif isinstance(al, lt.peer_connect_alert) and dht and not said_first:
            out(f"DHT first peer t={now - t0:.2f}")  # with no --peer and no tracker, it came from the DHT
            out(f"ALERT {type(al).__name__}: {al.message()}")
            said_first = True
        elif isinstance(al, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
                             lt.peer_ban_alert, lt.tracker_error_alert, lt.tracker_warning_alert,
                             lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert)):
            out(f"ALERT {type(al).__name__}: {al.message()}")
    now = time.monotonic()
    if dht:
        dht.poll(now)
    if h is None:  # --bare
        ses.wait_for_alert(50)  # at once when one comes: lookups on loopback take a few ms
        continue
    st = h.status()
    if st.state in (lt.torrent_status.downloading_metadata, lt.torrent_status.downloading,
                    lt.torrent_status.finished, lt.torrent_status.seeding):
        active_since = active_since or now
        if peers and now - last_dial >= 2 and st.num_peers < len(peers):
            for ep in peers:
                h.connect_peer(ep)
            last_dial = now
    poll_peers()
    if now - last_stat >= a.interval:
        out(f"STAT state={st.state} progress={st.progress:.4f} down={st.total_payload_download} "
            f"up={st.total_payload_upload} peers={st.num_peers} pieces={st.num_pieces}")
        last_stat = now
    if st.errc.value():
        out(f"ERROR {st.errc.message()}")
        rc = 1
        break
    if a.seed and not said_seeding:
        if st.state in (lt.torrent_status.seeding, lt.torrent_status.finished):
            out("SEEDING")
            said_seeding = True
        elif st.state == lt.torrent_status.downloading:
            out(f"ERROR the data in {a.save} is incomplete ({st.progress * 100:.2f}%), cannot seed")
            rc = 1
            break
    if a.leech and st.is_seeding and ti is not None:
        out(f"DONE bytes={ti.total_size()} seconds={now - (active_since or t0):.2f}")
        break
    if a.leech and a.timeout and now - t0 > a.timeout:
        out(f"TIMEOUT after {a.timeout} s at {st.progress * 100:.2f}%")
        rc = 1
        break
    if dht:
        ses.wait_for_alert(50)
    else:
        time.sleep(0.05)

if h is not None:
    poll_peers()
    st = h.status()
    out(f"TOTAL payload_up={st.total_payload_upload} payload_down={st.total_payload_download}")
if dht:
    ses.post_session_stats()  # the counters at this moment, not the last posted ones
    end, got = time.monotonic() + 2, False
    while not got and time.monotonic() < end:
        ses.wait_for_alert(100)
        for al in ses.pop_alerts():
            if isinstance(al, lt.session_stats_alert):
                dht.on_alert(al, time.monotonic())
                got = True
    c = dht.counters
    out(f"DHT messages sent={c.get('dht.dht_messages_out', 0)} received={c.get('dht.dht_messages_in', 0)}")
for key, e in seen.items():
    out(f"PEER {key} {e['dir']} client={e['client']!r} down={e['down']} up={e['up']}")
ses.pause()
del h, ses
sys.exit(rc)
