#!/usr/bin/env python3
"""A scripted hostile (or, with --mode probe, a correct) DHT client for KRPC tests (BEP 5), plain UDP sockets.

usage: bad_dht.py --target HOST:PORT [--mode MODE[,MODE...]] [--bind 127.x.y.z] [--sources N]
                  [--source-prefix 127.a.b] [--seconds S] [--wait S]

It sends KRPC datagrams to the node at --target from --bind (a fresh UDP port per probe) and reports what came
back, one JSON object per line on stdout, so that a test can assert on it:
  {"mode": M, "case": C, "got": G, "ok": true|false, ...}     one line per probe
  {"mode": M, "summary": true, "got": {G: count}, "ok": ..., "alive_after": true|false}    one line per mode
G is "response" (a "y":"r" message), "error 203" (a "y":"e" with that code), "silence" (nothing within --wait
seconds), "undecodable" (an answer that is not a bencoded dict) or "other" ("y" something else). "ok" says
whether G is what BEP 5 allows for that probe. "alive_after": the node answers a ping from a fresh address
once the mode is over. Exit status: 0 when every line is ok, 1 otherwise, 2 on bad arguments.
The expectations are BEP 5's, stricter than libtorrent 2.0.8, which fails three of them: it answers a query with
duplicate keys and one whose "t" is a dict, and answers an unknown method with 203, not 204 (checked 2026-12).

Modes:
  malformed     not bencode, truncated, deeply nested, huge integers, lying string lengths, not a dict,
                missing "t"/"y"/"q"/"a": allowed are error 203 and silence
  oversized     60 KB datagrams: a find_node whose target is 60 KB (203 or silence), and a ping padded with an
                unknown 60 KB argument (anything; it must not take the node down)
  wrong_types   queries with an int id, a 19-byte id, "a" a list, "q" an int, "t" a dict, a 21-byte info_hash,
                a port of -1, 70000 and "abc": 203 or silence
  bad_token     announce_peer with no token, a random token, a 1000-byte token, and the token the node gave
                another address (get_peers from --bind's neighbour): each must get error 203
  unknown_method  a query "frobnicate" (and one 200-character name): error 204 (or 203 for the long name)
  unsolicited   responses and errors for transactions never sent: silence
  flood         --seconds of pings from one address, as fast as the node reads them; reports sent, answered,
                answers per second (ok: the node is alive after)
  flood_many    the same from --sources addresses (--source-prefix.1 to .250), round robin; reports the answers
                per address and in all
  probe         a correct client: ping, find_node, get_peers, announce_peer with the token, get_peers again
                (and announce_peer with implied_port): ids of 20 bytes, "t" echoed, compact nodes, a token,
                "ip" (BEP 42) equal to our address, the announced peer among the values
"""
import argparse
import json
import os
import random
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from lab import bdecode, bencode  # noqa: E402  (the lab's small bencode; KRPC needs nothing more)

SPANS = b"\0spans"  # the key lab.bdecode adds to every dict
SILENCE_OR_203 = ("silence", "error 203")


def say(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def rid():
    return os.urandom(20)


def decode(data):
    """The answer as a dict with bytes keys, or None when it is not one bencoded dict."""
    try:
        v, end = bdecode(data)
    except (ValueError, IndexError, TypeError, RecursionError):
        return None
    if not isinstance(v, dict) or end != len(data):
        return None
    v.pop(SPANS, None)
    return v


def is_query(data):
    """A node may query an address that queried it (to add it to its table): that is no answer, skip it."""
    msg = decode(data)
    return msg is not None and msg.get(b"y") == b"q"


def classify(data):
    if data is None:
        return "silence"
    msg = decode(data)
    if msg is None:
        return "undecodable"
    y = msg.get(b"y")
    if y == b"r":
        return "response"
    if y == b"e":
        e = msg.get(b"e")
        code = e[0] if isinstance(e, list) and e and isinstance(e[0], int) else "?"
        return f"error {code}"
    return "other"


class Client:
    """Sends to the target from `bind`; every probe gets a fresh socket, so answers cannot be confused."""

    def __init__(self, target, bind, wait):
        self.target, self.bind, self.wait = target, bind, wait
        self.my_id = rid()

    def socket(self, bind=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        s.bind((bind or self.bind, 0))
        return s

    def exchange_many(self, datagrams, bind=None):
        """Send each datagram from its own socket at once; [first answer or None] after --wait seconds."""
        socks = [self.socket(bind) for _ in datagrams]
        try:
            for s, d in zip(socks, datagrams):
                s.sendto(d, self.target)
            answers, end = [None] * len(socks), time.monotonic() + self.wait
            while None in answers and time.monotonic() < end:
                ready, _, _ = select.select([s for s, a in zip(socks, answers) if a is None], [], [],
                                            max(0.0, end - time.monotonic()))
                for s in ready:
                    data = s.recv(65536)
                    if not is_query(data):
                        answers[socks.index(s)] = data
            return answers
        finally:
            for s in socks:
                s.close()

    def query(self, method, args, t=b"aa", sock=None, **extra):
        """(datagram, decoded answer or None) of one well-formed query."""
        d = bencode({"t": t, "y": "q", "q": method, "a": dict({"id": self.my_id}, **args), **extra})
        if sock is None:
            return d, decode(self.exchange_many([d])[0] or b"")
        sock.sendto(d, self.target)
        end = time.monotonic() + self.wait
        while True:
            ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return d, None
            data = sock.recv(65536)
            if not is_query(data):
                return d, decode(data)

    def alive(self, bind=None):
        """Does the node answer a ping (from a fresh address, so a rate limit on ours does not count)?"""
        d = bencode({"t": b"al", "y": "q", "q": "ping", "a": {"id": self.my_id}})
        for _ in range(3):
            if classify(self.exchange_many([d], bind=bind)[0]) == "response":
                return True
        return False


# ---------------------------------------------------------------------------------------------------
# Hostile modes: each returns [(case, datagram, allowed answers or None for anything)]

def ping(t=b"aa", **a):
    return {"t": t, "y": "q", "q": "ping", "a": dict({"id": rid()}, **a)}


def cases_malformed():
    good = bencode(ping())
    return [("empty", b"", SILENCE_OR_203), ("open_dict", b"d", SILENCE_OR_203),
            ("truncated_ping", good[:-3], SILENCE_OR_203), ("trailing_bytes", good + b"xyz", SILENCE_OR_203),
            ("random_bytes", random.Random(7).randbytes(300), SILENCE_OR_203),
            ("deep_lists", b"l" * 30000 + b"e" * 30000, SILENCE_OR_203),
            ("deep_dicts", b"d1:a" * 5000 + b"i1e" + b"e" * 5000, SILENCE_OR_203),
            ("huge_int", b"d1:ti" + b"9" * 4000 + b"e1:y1:qe", SILENCE_OR_203),
            ("string_length_lies", b"d1:t999999999:aa1:y1:qe", SILENCE_OR_203),
            ("negative_length", b"d1:t-2:aa1:y1:qe", SILENCE_OR_203),
            ("not_a_dict", b"li1ei2ee", SILENCE_OR_203),
            ("no_y", bencode({"t": b"aa", "q": "ping", "a": {"id": rid()}}), SILENCE_OR_203),
            ("no_q", bencode({"t": b"aa", "y": "q", "a": {"id": rid()}}), SILENCE_OR_203),
            ("no_a", bencode({"t": b"aa", "y": "q", "q": "ping"}), SILENCE_OR_203),
            ("no_id", bencode({"t": b"aa", "y": "q", "q": "ping", "a": {}}), SILENCE_OR_203),
            ("duplicate_keys", b"d1:ad2:id20:" + rid() + b"e1:t2:aa1:t2:bb1:y1:q1:q4:pinge", SILENCE_OR_203)]


def cases_oversized():
    big_target = bencode({"t": b"aa", "y": "q", "q": "find_node", "a": {"id": rid(), "target": os.urandom(60000)}})
    padded = bencode(ping(zz=b"x" * 60000))
    return [("target_60k", big_target, SILENCE_OR_203), ("padded_ping_60k", padded, None)]


def cases_wrong_types():
    fn = {"t": b"aa", "y": "q", "q": "find_node"}
    ann = {"t": b"aa", "y": "q", "q": "announce_peer"}
    return [("id_int", bencode(dict(ping(), a={"id": 7})), SILENCE_OR_203),
            ("id_19", bencode(dict(ping(), a={"id": os.urandom(19)})), SILENCE_OR_203),
            ("a_list", bencode(dict(ping(), a=[rid()])), SILENCE_OR_203),
            ("q_int", bencode(dict(ping(), q=5)), SILENCE_OR_203),
            ("t_dict", bencode(dict(ping(), t={"x": 1})), SILENCE_OR_203),
            ("y_int", bencode(dict(ping(), y=1)), SILENCE_OR_203),
            ("target_19", bencode(dict(fn, a={"id": rid(), "target": os.urandom(19)})), SILENCE_OR_203),
            ("info_hash_21", bencode({"t": b"aa", "y": "q", "q": "get_peers",
                                      "a": {"id": rid(), "info_hash": os.urandom(21)}}), SILENCE_OR_203),
            ("port_negative", bencode(dict(ann, a={"id": rid(), "info_hash": rid(), "port": -1, "token": b"x"})),
             SILENCE_OR_203),
            ("port_70000", bencode(dict(ann, a={"id": rid(), "info_hash": rid(), "port": 70000, "token": b"x"})),
             SILENCE_OR_203),
            ("port_text", bencode(dict(ann, a={"id": rid(), "info_hash": rid(), "port": "abc", "token": b"x"})),
             SILENCE_OR_203)]


def cases_unknown_method():
    return [("frobnicate", bencode(dict(ping(), q="frobnicate")), ("error 204",)),
            ("long_name", bencode(dict(ping(), q="x" * 200)), ("error 204", "error 203"))]


def cases_unsolicited():
    return [("response", bencode({"t": b"zz", "y": "r", "r": {"id": rid(), "nodes": b""}}), ("silence",)),
            ("response_with_nodes", bencode({"t": b"zy", "y": "r", "r": {"id": rid(), "nodes": os.urandom(26 * 8)}}),
             ("silence",)),
            ("error", bencode({"t": b"zx", "y": "e", "e": [201, "nobody asked"]}), ("silence",))]


def run_cases(client, mode, cases):
    answers = client.exchange_many([d for _, d, _ in cases])
    got = {}
    for (case, d, allowed), ans in zip(cases, answers):
        g = classify(ans)
        got[g] = got.get(g, 0) + 1
        say({"mode": mode, "case": case, "bytes": len(d), "got": g, "ok": allowed is None or g in allowed})
    return got, all(allowed is None or classify(a) in allowed for (_, _, allowed), a in zip(cases, answers))


def mode_bad_token(client):
    """announce_peer with tokens the node never gave to this address for this info-hash: error 203 each."""
    ih = rid()
    neighbour = client.bind.rsplit(".", 1)[0] + "." + str(int(client.bind.rsplit(".", 1)[1]) % 250 + 2)
    other = Client(client.target, neighbour, client.wait)
    _, r = other.query("get_peers", {"info_hash": ih})
    stolen = r.get(b"r", {}).get(b"token") if r else None
    say({"mode": "bad_token", "case": "neighbour_get_peers", "from": neighbour, "got": "token" if stolen else "no token",
         "ok": bool(stolen)})

    def announce(token):
        a = {"id": client.my_id, "info_hash": ih, "port": 6881}
        if token is not None:
            a["token"] = token
        return bencode({"t": b"aa", "y": "q", "q": "announce_peer", "a": a})
    cases = [("no_token", announce(None), ("error 203",)), ("random_token", announce(os.urandom(8)), ("error 203",)),
             ("long_token", announce(os.urandom(1000)), ("error 203",)), ("empty_token", announce(b""), ("error 203",))]
    if stolen:
        cases.append(("other_address_token", announce(stolen), ("error 203",)))
    got, ok = run_cases(client, "bad_token", cases)
    return got, ok and bool(stolen)


def flood(client, mode, binds, seconds):
    """Pings from `binds` (one socket each, round robin) for `seconds`, reading answers between sends."""
    socks = [client.socket(b) for b in binds]
    sent, answered = [0] * len(socks), [0] * len(socks)
    d = bencode(ping(t=b"fl"))
    end = time.monotonic() + seconds
    i = 0
    try:
        while time.monotonic() < end:
            s = socks[i % len(socks)]
            try:
                s.sendto(d, client.target)
                sent[i % len(socks)] += 1
            except (BlockingIOError, OSError):
                pass
            i += 1
            if i % 16 == 0:
                drain(socks, answered, 0)
        drain(socks, answered, min(client.wait, 1.0))
    finally:
        for s in socks:
            s.close()
    total_sent, total = sum(sent), sum(answered)
    report = {"mode": mode, "case": "pings", "sources": len(socks), "seconds": seconds, "sent": total_sent,
              "answered": total, "answered_per_second": round(total / seconds, 1),
              "max_answered_per_source": max(answered), "ok": True}
    say(report)
    return {"response": total, "silence": total_sent - total}, True


def drain(socks, answered, timeout):
    end = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select(socks, [], [], max(0.0, end - time.monotonic()))
        if not ready:
            return
        for s in ready:
            while True:
                try:
                    data = s.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if classify(data) == "response" and decode(data).get(b"t") == b"fl":
                    answered[socks.index(s)] += 1


# ---------------------------------------------------------------------------------------------------
# probe: a correct client checking the answers' shape

def mode_probe(client):
    results = []

    def report(case, ok, why=""):
        results.append(ok)
        say({"mode": "probe", "case": case, "got": "response" if ok else "wrong", "ok": ok, **({} if ok else {"why": why})})

    sock = client.socket()
    my_ip, my_port = sock.getsockname()

    def ask(case, method, args, t):
        _, msg = client.query(method, args, t=t, sock=sock)
        if msg is None:
            report(case, False, "silence or undecodable")
            return None
        r = msg.get(b"r")
        problems = []
        if msg.get(b"t") != t:
            problems.append(f"t={msg.get(b't')!r}, sent {t!r}")
        if msg.get(b"y") != b"r" or not isinstance(r, dict):
            problems.append(f"not a response: {classify(bencode(msg))}")
            r = {}
        if not (isinstance(r.get(b"id"), bytes) and len(r[b"id"]) == 20):
            problems.append(f"id {r.get(b'id')!r} is not 20 bytes")
        ip = msg.get(b"ip")
        if ip != socket.inet_aton(my_ip) + my_port.to_bytes(2, "big"):
            problems.append(f"ip {ip!r} is not our {my_ip}:{my_port} (BEP 42)")
        nodes = r.get(b"nodes")
        if nodes is not None and (not isinstance(nodes, bytes) or len(nodes) % 26):
            problems.append(f"nodes of {len(nodes) if isinstance(nodes, bytes) else type(nodes).__name__} bytes")
        report(case, not problems, "; ".join(problems))
        return r if not problems else None

    try:
        ask("ping", "ping", {}, b"p1")
        r = ask("find_node", "find_node", {"target": rid()}, b"f1")
        if r is not None:
            report("find_node_has_nodes", b"nodes" in r, "no nodes key")
        ih = rid()
        r = ask("get_peers", "get_peers", {"info_hash": ih}, b"g1")
        token = r.get(b"token") if r else None
        report("get_peers_token", isinstance(token, bytes) and len(token) > 0, f"token {token!r}")
        if r is not None:
            report("get_peers_nodes_or_values", b"nodes" in r or b"values" in r, "neither nodes nor values")
        if token:
            port = random.randrange(20000, 60000)
            ask("announce_peer", "announce_peer", {"info_hash": ih, "port": port, "token": token}, b"a1")
            r = ask("get_peers_after_announce", "get_peers", {"info_hash": ih}, b"g2")
            values = r.get(b"values", []) if r else []
            want = socket.inet_aton(my_ip) + port.to_bytes(2, "big")
            report("values_hold_announced_peer", isinstance(values, list) and want in values,
                   f"values {values!r} lack {my_ip}:{port}")
            token = (r or {}).get(b"token", token)
            ask("announce_peer_implied_port", "announce_peer",
                {"info_hash": ih, "port": 1, "implied_port": 1, "token": token}, b"a2")
            r = ask("get_peers_after_implied", "get_peers", {"info_hash": ih}, b"g3")
            want = socket.inet_aton(my_ip) + my_port.to_bytes(2, "big")
            values = r.get(b"values", []) if r else []
            report("values_hold_implied_port", isinstance(values, list) and want in values,
                   f"values {values!r} lack {my_ip}:{my_port}")
    finally:
        sock.close()
    return {"response": sum(results), "wrong": len(results) - sum(results)}, all(results)


MODES = {
    "malformed": lambda c, a: run_cases(c, "malformed", cases_malformed()),
    "oversized": lambda c, a: run_cases(c, "oversized", cases_oversized()),
    "wrong_types": lambda c, a: run_cases(c, "wrong_types", cases_wrong_types()),
    "bad_token": lambda c, a: mode_bad_token(c),
    "unknown_method": lambda c, a: run_cases(c, "unknown_method", cases_unknown_method()),
    "unsolicited": lambda c, a: run_cases(c, "unsolicited", cases_unsolicited()),
    "flood": lambda c, a: flood(c, "flood", [c.bind], a.seconds),
    "flood_many": lambda c, a: flood(c, "flood_many", [f"{a.source_prefix}.{i + 1}" for i in range(a.sources)],
                                     a.seconds),
    "probe": lambda c, a: mode_probe(c),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--target", required=True, metavar="HOST:PORT", help="the DHT node under test")
    ap.add_argument("--mode", default="probe", help="one of the modes above, or several comma separated")
    ap.add_argument("--bind", default="127.0.0.1", help="our address (flood_many: see --source-prefix)")
    ap.add_argument("--sources", type=int, default=200, help="flood_many: how many source addresses (at most 250)")
    ap.add_argument("--source-prefix", default="127.250.0", help="flood_many: addresses PREFIX.1 to PREFIX.N")
    ap.add_argument("--seconds", type=float, default=3.0, help="flood: how long")
    ap.add_argument("--wait", type=float, default=1.0, help="seconds to wait for an answer")
    a = ap.parse_args()
    if not 1 <= a.sources <= 250:
        ap.error("--sources: 1 to 250")
    modes = a.mode.split(",")
    for m in modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r}; modes: {', '.join(MODES)}")
    client = Client(endpoint(a.target), a.bind, a.wait)
    all_ok = True
    for m in modes:
        got, ok = MODES[m](client, a)
        # from a fresh address: the flooding ones may be rate limited, and that is fine
        alive = client.alive(bind=a.bind.rsplit(".", 1)[0] + ".254")
        say({"mode": m, "summary": True, "got": got, "ok": ok and alive, "alive_after": alive})
        all_ok = all_ok and ok and alive
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
