#!/usr/bin/python3
"""A libtorrent seeder for bench/swarm, driven over stdin (run by /usr/bin/python3, which has python3-libtorrent).

usage: lt_seeder.py TORRENT --save DIR --bind ADDR --encryption plain|rc4

Binds ADDR (a 127.x address) for listening, outgoing peer connections and tracker announces, so three seeders on
127.0.0.1-3 look like three hosts to clients that keep one connection per IP. Settings: libtorrent's
high_performance_seed() preset, TCP only, DHT/LSD/UPnP/NAT-PMP/PEX off. plain = pe_disabled (plaintext only);
rc4 = pe_forced + pe_rc4 (MSE with RC4 only).

Prints (flushed): `LISTENING port N`, `SEEDING` (data checked), `ANNOUNCED` (first tracker reply), `ERROR ...`.
Reads commands, one per line:
  DIAL HOST:PORT   connect to that peer now and every second until connected (transmission needs this)
  REPORT           print `REPORT up=BYTES peers=N enc=E1,E2 first=S last=S` for the time since the previous REPORT
                   (payload bytes uploaded; peers that got payload; the encryption of every peer seen past the
                   handshake, as libtorrent's peer_info flags say: rc4, mse-plain or none; seconds of the first and
                   last upload seen, monotonic clock), then forget the dial targets
  QUIT             exit 0 (so does SIGTERM or the end of stdin)
"""
import argparse
import os
import select
import signal
import sys
import time

import libtorrent as lt

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("torrent")
ap.add_argument("--save", required=True)
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--encryption", choices=["plain", "rc4"], required=True)
a = ap.parse_args()


def out(line):
    print(line, flush=True)


policy, level = {"plain": (lt.enc_policy.pe_disabled, lt.enc_level.pe_plaintext),
                 "rc4": (lt.enc_policy.pe_forced, lt.enc_level.pe_rc4)}[a.encryption]
settings = lt.high_performance_seed()
settings.update({
    "listen_interfaces": f"{a.bind}:0", "outgoing_interfaces": a.bind,
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False, "dht_bootstrap_nodes": "",
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "out_enc_policy": int(policy), "in_enc_policy": int(policy), "allowed_enc_level": int(level),
    "prefer_rc4": a.encryption == "rc4",
    "allow_multiple_connections_per_ip": True, "min_reconnect_time": 1, "max_failcount": 1000,
    "alert_mask": lt.alert_category.error | lt.alert_category.status | lt.alert_category.tracker,
})
ses = lt.session(settings)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(a.torrent)
atp.save_path = a.save
atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
atp.flags |= lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
h = ses.add_torrent(atp)

stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
signal.signal(signal.SIGINT, lambda *_: stopping.append(1))

dial = {}  # (host, port) -> next dial time
peers = {}  # "ip:port" -> {"enc": str, "up": int}
base_up, first_up, last_up, prev_up = 0, None, None, 0
said = set()
inbox = b""


def encryption_of(p):
    if p.flags & lt.peer_info.rc4_encrypted:
        return "rc4"
    return "mse-plain" if p.flags & lt.peer_info.plaintext_encrypted else "none"


def command(line):
    global base_up, first_up, last_up
    words = line.split()
    if not words:
        return
    if words[0] == "DIAL" and len(words) == 2:
        host, port = words[1].rsplit(":", 1)
        dial[(host, int(port))] = 0.0
    elif words[0] == "REPORT":
        up = h.status().total_payload_upload
        uploaded_to = sum(1 for v in peers.values() if v["up"] > 0)
        # Every peer seen past the handshake, not only those with upload counted yet: libtorrent's per-peer
        # totals can lag a download that lasts a few milliseconds.
        encs = sorted({v["enc"] for v in peers.values()})
        out(f"REPORT up={up - base_up} peers={uploaded_to} enc={','.join(encs) or '-'} "
            f"first={first_up or 0:.3f} last={last_up or 0:.3f}")
        base_up, first_up, last_up = up, None, None
        peers.clear()
        dial.clear()
    elif words[0] == "QUIT":
        stopping.append(1)


while not stopping:
    for al in ses.pop_alerts():
        if isinstance(al, lt.listen_succeeded_alert) and "port" not in said:
            out(f"LISTENING port {al.port}")
            said.add("port")
        elif isinstance(al, lt.listen_failed_alert):
            out(f"ERROR {al.message()}")
            sys.exit(1)
        elif isinstance(al, lt.tracker_reply_alert) and "announced" not in said:
            out("ANNOUNCED")
            said.add("announced")
        elif isinstance(al, (lt.torrent_error_alert, lt.file_error_alert, lt.tracker_error_alert)):
            out(f"ALERT {type(al).__name__}: {al.message()}")
    st = h.status()
    now = time.monotonic()
    if st.errc.value():
        out(f"ERROR {st.errc.message()}")
        sys.exit(1)
    if "seeding" not in said:
        if st.state in (lt.torrent_status.seeding, lt.torrent_status.finished):
            out("SEEDING")
            said.add("seeding")
        elif st.state == lt.torrent_status.downloading:
            out(f"ERROR the data in {a.save} is incomplete ({st.progress * 100:.2f}%), cannot seed")
            sys.exit(1)
    connected = set()
    for p in h.get_peer_info():
        connected.add((p.ip[0], p.ip[1]))
        if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
            continue
        e = peers.setdefault(f"{p.ip[0]}:{p.ip[1]}", {"enc": encryption_of(p), "up": 0})
        e["up"] = max(e["up"], p.total_upload)
    if st.total_payload_upload != prev_up:
        first_up = first_up or now
        last_up, prev_up = now, st.total_payload_upload
    for ep, when in list(dial.items()):
        if ep in connected:
            continue
        if now >= when and "seeding" in said:
            h.connect_peer(ep)
            dial[ep] = now + 1.0
    # Poll fast until this period's first peer is seen: a small download can come and go within one slow poll,
    # and then its encryption would be unknown. Once a peer is seen, slow polling spares the cores it shares.
    if select.select([0], [], [], 0.05 if peers else 0.002)[0]:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        inbox += chunk
        while b"\n" in inbox:
            line, inbox = inbox.split(b"\n", 1)
            command(line.decode())
ses.pause()
os._exit(0)  # skip libtorrent's slow orderly shutdown (it would wait for trackers)
