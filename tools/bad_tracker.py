#!/usr/bin/env python3
"""A scripted misbehaving BitTorrent tracker, HTTP and UDP (BEP 15), for hostile-tracker tests.

usage: bad_tracker.py [--host 127.0.0.1] [--http MODE[,MODE...]] [--udp MODE[,MODE...]]
                      [--peer HOST:PORT]... [--seconds S]

Every mode gets its own port (the kernel picks it), so one process can play many trackers at once; a
torrent lists them as separate tiers. Standard library only (asyncio).

HTTP modes (any path is accepted; the reply ignores the query):
  huge         200, no Content-Length, then 50 MiB of 'x' after "d5:peers" (or until the client hangs up)
  truncated    a valid compact reply cut in the middle of its peers string
  wrong_types  "interval" is a string and "peers" an integer
  bad_peers    compact peers of 7 bytes (not a multiple of 6)
  not_dict     a bencoded list
  failure      a "failure reason" holding a newline, a terminal escape sequence and 10 KB of text
  status500    HTTP 500
  garbage      64 KiB of random bytes instead of an HTTP reply
  trickle      200 headers with a 1 MiB Content-Length, then one byte every second, forever
  silent       reads the request and never answers
  huge_peers   a valid compact reply with 50,000 peers (127.1.x.y, port 1: nothing listens there)
  ok           a valid compact reply with the --peer endpoints, without seeder or leecher counts; a
               scrape (a path ending in /scrape, BEP 48) gets 7 seeders, 3 leechers and 11 downloads for
               every info_hash it names
UDP modes (connection ids are random and not checked):
  silent       never answers
  wrong_tid    answers every request correctly but with a wrong transaction id
  short        answers a connect with 3-byte datagrams, then an 8-byte one (action + transaction id only)
  error        answers with action 3 (error) and a message holding a newline and an escape sequence
  bad_peers    a connect reply, then an announce reply whose peers take 7 bytes
  huge_peers   a connect reply, then the largest announce reply a datagram can carry (10,914 IPv4 peers)
  ok           a connect reply, then an announce reply with the --peer endpoints (in the socket's family:
               IPv4 peers become ::ffff:a.b.c.d on an IPv6 socket)

Output, one line per event on stdout:
  LISTENING http|udp MODE HOST:PORT          (one line per mode)
  REQUEST http|udp MODE <what>
  SENT http|udp MODE <what>
"""
import argparse
import asyncio
import ipaddress
import os
import random
import signal
import socket
import struct
import sys
import urllib.parse

MiB = 1024 * 1024
HTTP_MODES = ["huge", "truncated", "wrong_types", "bad_peers", "not_dict", "failure", "status500", "garbage",
              "trickle", "silent", "huge_peers", "ok"]
UDP_MODES = ["silent", "wrong_tid", "short", "error", "bad_peers", "huge_peers", "ok"]
PROTOCOL_ID = 0x41727101980


def say(*parts):
    print(*parts, flush=True)


def compact(endpoints, v6):
    out = b""
    for host, port in endpoints:
        addr = ipaddress.ip_address(host)
        if v6 and addr.version == 4:
            addr = ipaddress.IPv6Address("::ffff:" + host)
        out += addr.packed + struct.pack(">H", port)
    return out


def fake_peers(n):
    return b"".join(bytes([127, 1, (i >> 8) & 0xff, i & 0xff]) + struct.pack(">H", 1) for i in range(n))


def bstr(b):
    return str(len(b)).encode() + b":" + b


# --------------------------------------------------------------------------------------------------
# HTTP

def http_head(status="200 OK", length=None):
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + "\r\n").encode()


def scrape_body(target):
    """The "ok" mode's BEP 48 reply to GET `target` (bytes): fixed counts for every info_hash asked."""
    query = target.partition(b"?")[2]
    hashes = [urllib.parse.unquote_to_bytes(v) for k, _, v in (p.partition(b"=") for p in query.split(b"&"))
              if k == b"info_hash"]
    files = b"".join(bstr(h) + b"d8:completei7e10:downloadedi11e10:incompletei3ee" for h in sorted(hashes))
    return b"d5:filesd" + files + b"ee"


def http_body(mode, peers):
    if mode == "truncated":
        full = b"d8:intervali1800e5:peers" + bstr(fake_peers(10)) + b"e"
        return full[: len(full) // 2]
    if mode == "wrong_types":
        return b"d8:interval4:soon5:peersi5ee"
    if mode == "bad_peers":
        return b"d8:intervali1800e5:peers7:abcdefge"
    if mode == "not_dict":
        return b"li1ei2ee"
    if mode == "failure":
        text = b"evil\nsecond line \x1b[31mred\x1b[0m " + b"A" * 10000
        return b"d14:failure reason" + bstr(text) + b"e"
    if mode == "huge_peers":
        return b"d8:intervali1800e5:peers" + bstr(fake_peers(50_000)) + b"e"
    if mode == "ok":
        return b"d8:intervali1800e5:peers" + bstr(compact(peers, False)) + b"e"
    raise ValueError(mode)


async def serve_http(mode, peers, reader, writer):
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        say(f"REQUEST http {mode} {head.split(b' ')[1][:60].decode(errors='replace')}")
        if mode == "silent":
            await asyncio.sleep(3600)
            return
        if mode == "huge":
            writer.write(http_head() + b"d5:peers")
            chunk, sent = b"x" * (64 * 1024), 0
            while sent < 50 * MiB:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
            say(f"SENT http {mode} {sent} bytes")
            return
        if mode == "trickle":
            writer.write(http_head(length=MiB))
            while True:
                writer.write(b"d")
                await writer.drain()
                await asyncio.sleep(1)
        if mode == "garbage":
            writer.write(os.urandom(64 * 1024))
            await writer.drain()
            say(f"SENT http {mode} 65536 random bytes")
            return
        if mode == "status500":
            body = b"internal error"
            writer.write(http_head("500 Internal Server Error", len(body)) + body)
        elif mode == "ok" and head.split(b" ")[1].partition(b"?")[0].endswith(b"/scrape"):
            body = scrape_body(head.split(b" ")[1])
            writer.write(http_head(length=len(body)) + body)
        else:
            body = http_body(mode, peers)
            writer.write(http_head(length=len(body)) + body)
        await writer.drain()
        say(f"SENT http {mode} {len(body)} bytes")
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError) as e:
        say(f"SENT http {mode} stopped: {type(e).__name__}")
    finally:
        writer.close()


# --------------------------------------------------------------------------------------------------
# UDP

class UdpTracker(asyncio.DatagramProtocol):
    def __init__(self, mode, peers, v6):
        self.mode, self.peers, self.v6 = mode, peers, v6
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def send(self, data, addr, what):
        self.transport.sendto(data, addr)
        say(f"SENT udp {self.mode} {what} ({len(data)} bytes)")

    def datagram_received(self, data, addr):
        if len(data) < 16:
            say(f"REQUEST udp {self.mode} short datagram of {len(data)} bytes")
            return
        if struct.unpack(">Q", data[:8])[0] == PROTOCOL_ID and struct.unpack(">I", data[8:12])[0] == 0:
            action, tid = 0, struct.unpack(">I", data[12:16])[0]
        else:
            action, tid = struct.unpack(">II", data[8:16])
        say(f"REQUEST udp {self.mode} action={action} tid={tid:08x}")
        mode = self.mode
        if mode == "silent":
            return
        if mode == "error":
            msg = b"evil\nsecond line \x1b[31mred\x1b[0m\0"
            self.send(struct.pack(">II", 3, tid) + msg, addr, "error")
            return
        if mode == "short":
            if action == 0:
                for _ in range(3):
                    self.send(b"\0\0\0", addr, "3 bytes")
                self.send(struct.pack(">II", 0, tid), addr, "8-byte connect reply")
            return
        reply_tid = (tid + 1) & 0xffffffff if mode == "wrong_tid" else tid
        if action == 0:
            self.send(struct.pack(">IIQ", 0, reply_tid, random.getrandbits(64)), addr, "connect reply")
            return
        if action != 1:
            return
        header = struct.pack(">IIiII", 1, reply_tid, 1800, 1, 1)
        if mode == "bad_peers":
            body = b"\x7f\0\0\x01\x1a\xe1\x00"
        elif mode == "huge_peers":  # as many as fit in one datagram (65,507 bytes of payload)
            if self.v6:
                body = (b"\0" * 15 + b"\1" + struct.pack(">H", 1)) * ((65507 - len(header)) // 18)
            else:
                body = fake_peers((65507 - len(header)) // 6)
        else:  # ok, wrong_tid
            body = compact(self.peers, self.v6)
        self.send(header + body, addr, "announce reply")


# --------------------------------------------------------------------------------------------------

async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--http", default="", help="comma-separated HTTP modes")
    ap.add_argument("--udp", default="", help="comma-separated UDP modes")
    ap.add_argument("--peer", action="append", default=[], help="HOST:PORT handed out by the 'ok' modes")
    ap.add_argument("--seconds", type=float, default=3600)
    a = ap.parse_args()
    peers = []
    for p in a.peer:
        host, _, port = p.rpartition(":")
        peers.append((host.strip("[]"), int(port)))
    http_modes = [m for m in a.http.split(",") if m]
    udp_modes = [m for m in a.udp.split(",") if m]
    for m in http_modes:
        if m not in HTTP_MODES:
            ap.error(f"unknown HTTP mode {m!r}")
    for m in udp_modes:
        if m not in UDP_MODES:
            ap.error(f"unknown UDP mode {m!r}")
    v6 = ":" in a.host
    shown = f"[{a.host}]" if v6 else a.host
    loop = asyncio.get_running_loop()
    servers = []
    for m in http_modes:
        server = await asyncio.start_server(lambda r, w, m=m: serve_http(m, peers, r, w), a.host, 0)
        servers.append(server)
        say(f"LISTENING http {m} {shown}:{server.sockets[0].getsockname()[1]}")
    for m in udp_modes:
        family = socket.AF_INET6 if v6 else socket.AF_INET
        transport, _ = await loop.create_datagram_endpoint(lambda m=m: UdpTracker(m, peers, v6),
                                                           local_addr=(a.host, 0), family=family)
        servers.append(transport)
        say(f"LISTENING udp {m} {shown}:{transport.get_extra_info('sockname')[1]}")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), a.seconds)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    sys.exit(0)
