#!/usr/bin/python3
"""A libtorrent peer for bitveil's swarm tests, bound to 127.0.0.1 only (DHT, LSD, UPnP, NAT-PMP, uTP off; PEX off
unless --pex).

usage: lt_peer.py TORRENT|MAGNET (--seed | --leech) --save DIR [--port N] [--peer HOST:PORT]... [--no-tracker]
                  [--upload-limit BYTES_S] [--encryption enabled|required|disabled] [--timeout S] [--interval S]
                  [--pex] [--set NAME=VALUE]... [--remote-class] [--peer-log]

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
import signal
import sys
import time

import libtorrent as lt

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("torrent", help="a .torrent file or a magnet: URI (BEP 9: the metadata comes from peers)")
mode = ap.add_mutually_exclusive_group(required=True)
mode.add_argument("--seed", action="store_true")
mode.add_argument("--leech", action="store_true")
ap.add_argument("--save", required=True, help="the folder holding the torrent's file or top folder")
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
a = ap.parse_args()


def out(line):
    print(line, flush=True)


policy, level = {"enabled": (lt.enc_policy.pe_enabled, lt.enc_level.pe_both),
                 "required": (lt.enc_policy.pe_forced, lt.enc_level.pe_rc4),
                 "disabled": (lt.enc_policy.pe_disabled, lt.enc_level.pe_plaintext)}[a.encryption]
settings = {
    "listen_interfaces": f"127.0.0.1:{a.port}",
    "outgoing_interfaces": "127.0.0.1",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "dht_bootstrap_nodes": "",
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "out_enc_policy": int(policy), "in_enc_policy": int(policy), "allowed_enc_level": int(level),
    "allow_multiple_connections_per_ip": True,  # every peer in a test is 127.0.0.1
    "min_reconnect_time": 1, "max_failcount": 1000,
    "upload_rate_limit": a.upload_limit,
    "alert_mask": (lt.alert_category.error | lt.alert_category.status | lt.alert_category.connect
                   | lt.alert_category.peer | lt.alert_category.tracker
                   | (lt.alert_category.peer_log if a.peer_log else 0)),
}
for item in a.set:
    name, _, value = item.partition("=")
    settings[name] = {"true": True, "false": False}.get(value, int(value) if value.lstrip("-").isdigit() else value)
ses = lt.session(settings)
if a.upload_limit or a.remote_class:
    pf = lt.ip_filter()
    pf.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(pf)

magnet = a.torrent.startswith("magnet:")
if magnet:
    atp = lt.parse_magnet_uri(a.torrent)
    ti = None  # until the metadata arrives
else:
    ti = lt.torrent_info(a.torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
atp.save_path = a.save
atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
atp.flags |= lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
if not a.pex:
    atp.flags |= lt.torrent_flags.disable_pex
if a.no_tracker:
    atp.flags |= lt.torrent_flags.override_trackers  # with an empty tracker list
h = ses.add_torrent(atp)

peers = []
for p in a.peer:
    host, port = p.rsplit(":", 1)
    peers.append((host.strip("[]"), int(port)))

stopping = False


def on_signal(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

seen = {}  # "ip:port" -> {"dir", "client", "down", "up"}


def poll_peers():
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
active_since, said_seeding, said_port = None, False, False
while not stopping:
    for al in ses.pop_alerts():
        if isinstance(al, lt.listen_succeeded_alert) and not said_port:
            out(f"LISTENING port {al.port}")
            said_port = True
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
        elif isinstance(al, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
                             lt.peer_ban_alert, lt.tracker_error_alert, lt.tracker_warning_alert,
                             lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert)):
            out(f"ALERT {type(al).__name__}: {al.message()}")
    st = h.status()
    now = time.monotonic()
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
    time.sleep(0.05)

poll_peers()
st = h.status()
out(f"TOTAL payload_up={st.total_payload_upload} payload_down={st.total_payload_download}")
for key, e in seen.items():
    out(f"PEER {key} {e['dir']} client={e['client']!r} down={e['down']} up={e['up']}")
ses.pause()
del h, ses
sys.exit(rc)
