#!/usr/bin/env python3
"""A scripted misbehaving BitTorrent peer for hostile-peer tests (plain sockets, asyncio, no libtorrent).

usage: bad_peer.py TORRENT [--host 127.0.0.1] [--port N] [--mode MODE[,MODE...]] [--connect HOST:PORT]...
                   [--seconds S]

It claims to have every piece of TORRENT, accepts plain BitTorrent connections (no MSE, no extensions,
reserved bytes zero) on HOST:PORT and also dials each --connect endpoint. Several modes may be given, comma
separated: each gets its own listening port (--port applies to the first; the others take free ones), its
own random peer id, and one dial to each --connect endpoint. After the handshake it behaves according to MODE:
  corrupt      sends a full bitfield and UNCHOKE, answers every REQUEST with the right length of random bytes
  corrupt_leave  as corrupt, but hangs up (FIN after the last byte) as soon as it has sent every block of one
               piece, so the peer finds the bad piece after this connection is gone
  garbage      sends a full bitfield, then an endless stream of random bytes
  oversized    sends a full bitfield and UNCHOKE, then a PIECE header announcing a 2 GiB message, and trickles bytes
  flood        sends a full bitfield and UNCHOKE, then HAVE and KEEP-ALIVE messages as fast as the peer reads them
  huge_length  sends a full bitfield and UNCHOKE, then a length prefix of 2^31 (a PIECE id), and trickles bytes
  bad_bitfield sends a BITFIELD one byte longer than the piece count needs
  have_oob     sends a full bitfield, then HAVE for piece index = the piece count (out of range)
  request_oob  sends INTERESTED, then a REQUEST for piece index = piece count + 7 (out of range)
  request_huge sends INTERESTED, then a REQUEST of 1 MiB at piece 0
  unrequested  sends a full bitfield (no UNCHOKE, so nothing is asked of it), then a 16 KiB PIECE nobody asked for
  request_flood  sends INTERESTED, waits until the peer announces a piece, then REQUEST + CANCEL pairs for
               that piece's first block as fast as the peer reads them
The next modes set the extension protocol bit (BEP 10) and send an extended handshake offering ut_metadata
(id 3) and ut_pex (id 4); they answer ut_metadata requests for the torrent's info dictionary:
  meta_wrong_size  with pieces one byte short
  meta_wrong_hash  with pieces of the right size whose bytes are flipped
  meta_huge        announces metadata_size 2^31 (and rejects every request)
  pex_flood        sends a full bitfield and UNCHOKE, then a ut_pex message of 50 made-up peers on 127.0.0.0/8
                   (plus the peer's own address and port-0 entries) every 50 ms
The next modes replace the BitTorrent handshake itself. When they dial they send at once; when they are
dialled they first wait (up to 5 s) for the peer's opening bytes:
  random_handshake  sends 4 KiB of random bytes instead of a handshake
  mse_stall95       sends 95 random bytes (one short of an MSE public key), then nothing
  mse_garbage700    sends 700 random bytes (a key, then no synchronisation pattern), then nothing
  wrong_infohash    sends a plain handshake for a random info-hash (when dialled: answers the peer's plain
                    handshake with it; an MSE opening gets the connection closed, so the peer retries plain)
It stays up until SIGTERM/SIGINT or --seconds, and logs one line per event on stdout:
  LISTENING HOST:PORT mode=MODE pieces=N           (one line per mode)
  CONN <n> in|out <ip:port> local=<ip:port> mode=MODE
  HANDSHAKE <n> ok peer_id=<hex> | HANDSHAKE <n> bad <why>
  RECV <n> <message> / SENT <n> <what>
  CLOSED <n> by-peer|reset|by-us <why> after requests=R blocks=B bytes=X seconds=S
  SUMMARY connections=N handshakes=N requests=N blocks=N closed_by_peer=N
"""
import argparse
import asyncio
import hashlib
import os
import random
import signal
import sys
import time

PSTR = b"\x13BitTorrent protocol"
MAX_MESSAGE = 1 << 20  # longest message we accept from the peer (a bitfield of 8M pieces)
MAX_BLOCK = 128 * 1024  # longest block we answer; longer requests get the connection closed
BLOCK = 16 * 1024
HANDSHAKE_MODES = ("random_handshake", "mse_stall95", "mse_garbage700", "wrong_infohash")
EXTENSION_MODES = ("meta_wrong_size", "meta_wrong_hash", "meta_huge", "pex_flood")
MODES = ("corrupt", "corrupt_leave", "garbage", "oversized", "flood", "huge_length", "bad_bitfield", "have_oob", "request_oob",
         "request_huge", "unrequested", "request_flood") + EXTENSION_MODES + HANDSHAKE_MODES
NAMES = {0: "CHOKE", 1: "UNCHOKE", 2: "INTERESTED", 3: "NOT_INTERESTED", 4: "HAVE", 5: "BITFIELD", 6: "REQUEST",
         7: "PIECE", 8: "CANCEL", 9: "PORT", 13: "SUGGEST", 14: "HAVE_ALL", 15: "HAVE_NONE", 16: "REJECT",
         17: "ALLOWED_FAST", 20: "EXTENDED"}


def bdecode(data, i=0, spans=None):
    """(value, end) of the bencoded value at data[i:]; records (start, end) of top-level dict values in spans."""
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            start = i
            out[k], i = bdecode(data, i)
            if spans is not None:
                spans[k] = (start, i)
        return out, i + 1
    if c.isdigit():
        j = data.index(b":", i)
        n = int(data[i:j])
        return data[j + 1:j + 1 + n], j + 1 + n
    raise ValueError(f"bad bencode at offset {i}")


def load_torrent(path):
    with open(path, "rb") as f:
        data = f.read()
    spans = {}
    top, _ = bdecode(data, 0, spans)
    a, b = spans[b"info"]
    info = top[b"info"]
    num_pieces = len(info[b"pieces"]) // 20
    total = info[b"length"] if b"length" in info else sum(f[b"length"] for f in info[b"files"])
    last_piece_size = total - (num_pieces - 1) * info[b"piece length"]
    return hashlib.sha1(data[a:b]).digest(), num_pieces, info[b"piece length"], last_piece_size, data[a:b]


def full_bitfield(num_pieces):
    bits = bytearray((num_pieces + 7) // 8)
    for i in range(num_pieces):
        bits[i // 8] |= 0x80 >> (i % 8)
    return bytes(bits)


def message(msg_id, payload=b""):
    return (len(payload) + 1).to_bytes(4, "big") + bytes([msg_id]) + payload


class Closed(Exception):
    pass


class BadPeer:
    def __init__(self, args):
        self.args = args
        (self.info_hash, self.num_pieces, self.piece_length, self.last_piece_size,
         self.info_bytes) = load_torrent(args.torrent)
        self.modes = args.mode.split(",")
        # One peer id per mode: a peer banned for one mode must not hide what the other modes do.
        self.peer_ids = {m: b"-BP0001-" + os.urandom(12) for m in self.modes}
        self.t0 = time.monotonic()
        self.counts = {"connections": 0, "handshakes": 0, "requests": 0, "blocks": 0, "closed_by_peer": 0}
        self.stop = asyncio.Event()
        self.conns = set()

    def log(self, line):
        print(f"[{time.monotonic() - self.t0:8.3f}] {line}", flush=True)

    async def serve(self):
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        servers = []
        for i, mode in enumerate(self.modes):
            server = await asyncio.start_server(lambda r, w, m=mode: self.connection(r, w, "in", m),
                                                self.args.host, self.args.port if i == 0 else 0)
            servers.append(server)
            port = server.sockets[0].getsockname()[1]
            print(f"LISTENING {self.args.host}:{port} mode={mode} pieces={self.num_pieces}", flush=True)
        for ep in self.args.connect:
            host, p = ep.rsplit(":", 1)
            for mode in self.modes:
                asyncio.ensure_future(self.dial(host.strip("[]"), int(p), mode))
        try:
            await asyncio.wait_for(self.stop.wait(), self.args.seconds or None)
        except asyncio.TimeoutError:
            pass
        for server in servers:
            server.close()
        for t in list(self.conns):
            t.cancel()
        await asyncio.sleep(0.1)
        c = self.counts
        self.log(" ".join(["SUMMARY"] + [f"{k}={v}" for k, v in c.items()]))

    async def dial(self, host, port, mode):
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except (OSError, asyncio.TimeoutError) as e:
            self.log(f"DIAL {host}:{port} mode={mode} failed: {e}")
            return
        await self.connection(reader, writer, "out", mode)

    async def connection(self, reader, writer, direction, mode):
        self.counts["connections"] += 1
        n = self.counts["connections"]
        peer = writer.get_extra_info("peername")
        local = writer.get_extra_info("sockname")
        self.log(f"CONN {n} {direction} {peer[0]}:{peer[1]} local={local[0]}:{local[1]} mode={mode}")
        st = {"requests": 0, "blocks": 0, "bytes": 0, "t0": time.monotonic(), "mode": mode}
        task = asyncio.current_task()
        self.conns.add(task)
        how, why = "by-us", "done"
        try:
            if mode in HANDSHAKE_MODES:
                await getattr(self, "mode_" + mode)(n, reader, writer, direction, st)
            else:
                await self.handshake(n, reader, writer, direction, mode)
                await getattr(self, "mode_" + mode)(n, reader, writer, st)
        except asyncio.IncompleteReadError:
            how, why = "by-peer", "eof"
            self.counts["closed_by_peer"] += 1
        except (ConnectionResetError, BrokenPipeError) as e:
            how, why = "reset", type(e).__name__
            self.counts["closed_by_peer"] += 1
        except Closed as e:
            why = str(e)
        except asyncio.CancelledError:
            why = "shutting down"
        finally:
            self.conns.discard(task)
            writer.transport.abort()
            self.log(f"CLOSED {n} {how} {why} after requests={st['requests']} blocks={st['blocks']} "
                     f"bytes={st['bytes']} seconds={time.monotonic() - st['t0']:.2f}")

    async def handshake(self, n, reader, writer, direction, mode):
        reserved = bytes([0, 0, 0, 0, 0, 0x10, 0, 0]) if mode in EXTENSION_MODES else bytes(8)
        ours = PSTR + reserved + self.info_hash + self.peer_ids[mode]
        if direction == "out":
            writer.write(ours)
        first = await asyncio.wait_for(reader.readexactly(20), 30)
        if first != PSTR:
            self.log(f"HANDSHAKE {n} bad not a plain BitTorrent handshake (MSE?): {first[:8].hex()}")
            raise Closed("bad handshake")
        rest = await asyncio.wait_for(reader.readexactly(48), 30)
        reserved, info_hash, peer_id = rest[:8], rest[8:28], rest[28:]
        if info_hash != self.info_hash:
            self.log(f"HANDSHAKE {n} bad info_hash {info_hash.hex()}")
            raise Closed("unknown info-hash")
        if direction == "in":
            writer.write(ours)
        self.counts["handshakes"] += 1
        self.log(f"HANDSHAKE {n} ok peer_id={peer_id.hex()} ({peer_id[:8].decode('ascii', 'replace')}) "
                 f"reserved={reserved.hex()}")

    async def read_message(self, n, reader):
        length = int.from_bytes(await reader.readexactly(4), "big")
        if length == 0:
            return None, b""
        if length > MAX_MESSAGE:
            raise Closed(f"peer announced a {length}-byte message")
        body = await reader.readexactly(length)
        return body[0], body[1:]

    async def send_have_all(self, n, writer, unchoke=True):
        writer.write(message(5, full_bitfield(self.num_pieces)))
        if unchoke:
            writer.write(message(1))
        await writer.drain()
        self.log(f"SENT {n} BITFIELD (all {self.num_pieces} pieces)" + (" + UNCHOKE" if unchoke else ""))

    def log_message(self, n, msg_id, payload):
        if msg_id is None:
            self.log(f"RECV {n} KEEP_ALIVE")
        elif msg_id == 6 and len(payload) == 12:
            return  # logged by the caller with the answer
        elif msg_id in (5, 20):
            self.log(f"RECV {n} {NAMES[msg_id]} ({len(payload)} bytes)")
        else:
            name = NAMES.get(msg_id, f"UNKNOWN({msg_id})")
            self.log(f"RECV {n} {name} {payload[:16].hex()}")

    async def mode_corrupt(self, n, reader, writer, st, leave_after_a_piece=False):
        await self.send_have_all(n, writer)
        sent = {}  # piece -> bytes of it sent
        while True:
            msg_id, payload = await self.read_message(n, reader)
            self.log_message(n, msg_id, payload)
            if msg_id == 6 and len(payload) == 12:
                index, begin, length = (int.from_bytes(payload[i:i + 4], "big") for i in (0, 4, 8))
                st["requests"] += 1
                self.counts["requests"] += 1
                if length == 0 or length > MAX_BLOCK or index >= self.num_pieces:
                    self.log(f"RECV {n} REQUEST {index}:{begin}+{length} out of bounds")
                    raise Closed("bad request")
                writer.write(message(7, payload[:8] + os.urandom(length)))
                await writer.drain()
                st["blocks"] += 1
                st["bytes"] += length
                self.counts["blocks"] += 1
                self.log(f"RECV {n} REQUEST {index}:{begin}+{length} -> SENT random bytes")
                sent[index] = sent.get(index, 0) + length
                piece_size = self.last_piece_size if index == self.num_pieces - 1 else self.piece_length
                if leave_after_a_piece and sent[index] >= piece_size:
                    # Hang up without losing the piece's tail: everything to the kernel, then FIN after it
                    # (a close with unread requests would send RST and could drop what is still queued).
                    writer.transport.set_write_buffer_limits(0)
                    await writer.drain()
                    writer.write_eof()
                    try:
                        await asyncio.wait_for(self.read_all(n, reader), 10)
                    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                        pass
                    raise Closed(f"sent all of piece {index}")

    async def mode_corrupt_leave(self, n, reader, writer, st):
        await self.mode_corrupt(n, reader, writer, st, leave_after_a_piece=True)

    async def mode_garbage(self, n, reader, writer, st):
        await self.send_have_all(n, writer, unchoke=False)
        drain = asyncio.ensure_future(self.read_all(n, reader))
        try:
            while not drain.done():
                chunk = os.urandom(16 * 1024)
                writer.write(chunk)
                await writer.drain()
                st["bytes"] += len(chunk)
                await asyncio.sleep(0.01)
            drain.result()
        finally:
            drain.cancel()

    async def mode_oversized(self, n, reader, writer, st):
        await self.send_have_all(n, writer)
        writer.write((0x7FFFFFFF).to_bytes(4, "big") + bytes([7]) + (0).to_bytes(8, "big"))
        self.log(f"SENT {n} PIECE header with length 2147483647")
        drain = asyncio.ensure_future(self.read_all(n, reader))
        try:
            while not drain.done():
                writer.write(os.urandom(1024))
                await writer.drain()
                st["bytes"] += 1024
                await asyncio.sleep(0.05)
            drain.result()
        finally:
            drain.cancel()

    async def mode_flood(self, n, reader, writer, st):
        await self.send_have_all(n, writer)
        drain = asyncio.ensure_future(self.read_all(n, reader))
        rng = random.Random()
        try:
            while not drain.done():
                batch = b"".join(message(4, rng.randrange(self.num_pieces).to_bytes(4, "big")) + bytes(4)
                                 for _ in range(1000))
                writer.write(batch)
                await writer.drain()
                st["bytes"] += len(batch)
                await asyncio.sleep(0)
            drain.result()
        finally:
            drain.cancel()

    # --- wire violations after a good handshake ---------------------------------------------------

    async def trickle_until_closed(self, n, reader, writer, st, chunk=1024, pause=0.05):
        """Send random bytes slowly while logging what the peer sends, until it closes the connection."""
        drain = asyncio.ensure_future(self.read_all(n, reader))
        try:
            while not drain.done():
                writer.write(os.urandom(chunk))
                await writer.drain()
                st["bytes"] += chunk
                await asyncio.sleep(pause)
            drain.result()
        finally:
            drain.cancel()

    async def send_then_read(self, n, reader, writer, data, what):
        writer.write(data)
        await writer.drain()
        self.log(f"SENT {n} {what}")
        await self.read_all(n, reader)

    async def mode_huge_length(self, n, reader, writer, st):
        await self.send_have_all(n, writer)
        writer.write((1 << 31).to_bytes(4, "big") + bytes([7]) + (0).to_bytes(8, "big"))
        self.log(f"SENT {n} length prefix 2^31 (PIECE)")
        await self.trickle_until_closed(n, reader, writer, st)

    async def mode_bad_bitfield(self, n, reader, writer, st):
        bits = full_bitfield(self.num_pieces) + b"\xff"
        await self.send_then_read(n, reader, writer, message(5, bits),
                                  f"BITFIELD of {len(bits)} bytes for {self.num_pieces} pieces")

    async def mode_have_oob(self, n, reader, writer, st):
        await self.send_have_all(n, writer, unchoke=False)
        await self.send_then_read(n, reader, writer, message(4, self.num_pieces.to_bytes(4, "big")),
                                  f"HAVE {self.num_pieces} (out of range)")

    async def mode_request_oob(self, n, reader, writer, st):
        index = self.num_pieces + 7
        req = message(2) + message(6, index.to_bytes(4, "big") + bytes(4) + BLOCK.to_bytes(4, "big"))
        await self.send_then_read(n, reader, writer, req, f"INTERESTED + REQUEST {index}:0+{BLOCK} (out of range)")

    async def mode_request_huge(self, n, reader, writer, st):
        req = message(2) + message(6, bytes(8) + (1 << 20).to_bytes(4, "big"))
        await self.send_then_read(n, reader, writer, req, "INTERESTED + REQUEST 0:0+1048576")

    async def mode_unrequested(self, n, reader, writer, st):
        await self.send_have_all(n, writer, unchoke=False)
        await self.send_then_read(n, reader, writer, message(7, bytes(8) + os.urandom(BLOCK)),
                                  f"PIECE 0:0+{BLOCK} that was never requested")

    async def mode_request_flood(self, n, reader, writer, st):
        writer.write(message(2))
        await writer.drain()
        self.log(f"SENT {n} INTERESTED; waiting for the peer to announce a piece")
        piece = None
        while piece is None:
            msg_id, payload = await self.read_message(n, reader)
            self.log_message(n, msg_id, payload)
            if msg_id == 4:
                piece = int.from_bytes(payload, "big")
            elif msg_id == 5:
                piece = next((i for i in range(self.num_pieces) if payload[i // 8] & (0x80 >> (i % 8))), None)
        # A valid request (the last piece may be shorter than a block): only the flood is abusive.
        piece_size = self.last_piece_size if piece == self.num_pieces - 1 else self.piece_length
        length = min(BLOCK, piece_size)
        block = piece.to_bytes(4, "big") + bytes(4) + length.to_bytes(4, "big")
        batch = (message(6, block) + message(8, block)) * 500
        self.log(f"SENT {n} flooding REQUEST + CANCEL {piece}:0+{length}")
        drain = asyncio.ensure_future(self.read_all(n, reader))
        try:
            while not drain.done():
                writer.write(batch)
                await writer.drain()
                st["requests"] += 500
                st["bytes"] += len(batch)
                await asyncio.sleep(0)
            drain.result()
        finally:
            drain.cancel()

    # --- openings that are not a BitTorrent handshake ---------------------------------------------

    async def opening(self, n, reader, direction):
        """When dialled, wait for the peer to speak first; returns what it sent (b"" when we dialled)."""
        if direction == "out":
            return b""
        try:
            first = await asyncio.wait_for(reader.read(4096), 5)
        except asyncio.TimeoutError:
            first = b""
        self.log(f"RECV {n} opening of {len(first)} bytes ({'plain' if first.startswith(PSTR) else 'not plain'})")
        return first

    async def raw_then_wait(self, n, reader, writer, direction, st, data, what):
        await self.opening(n, reader, direction)
        writer.write(data)
        await writer.drain()
        st["bytes"] += len(data)
        self.log(f"SENT {n} {what}")
        while await reader.read(65536):  # until the peer closes (IncompleteReadError is not raised here)
            pass
        raise asyncio.IncompleteReadError(b"", None)

    def random_bytes(self, size):
        while True:
            b = os.urandom(size)
            if b[0] != PSTR[0]:  # never starts like a plain handshake
                return b

    async def mode_random_handshake(self, n, reader, writer, direction, st):
        await self.raw_then_wait(n, reader, writer, direction, st, self.random_bytes(4096),
                                 "4096 random bytes instead of a handshake")

    async def mode_mse_stall95(self, n, reader, writer, direction, st):
        await self.raw_then_wait(n, reader, writer, direction, st, self.random_bytes(95), "95 random bytes, then silence")

    async def mode_mse_garbage700(self, n, reader, writer, direction, st):
        await self.raw_then_wait(n, reader, writer, direction, st, self.random_bytes(700),
                                 "700 random bytes, then silence")

    async def mode_wrong_infohash(self, n, reader, writer, direction, st):
        first = await self.opening(n, reader, direction)
        if direction == "in" and not first.startswith(PSTR):
            self.log(f"HANDSHAKE {n} bad not a plain BitTorrent handshake (MSE?): {first[:8].hex()}")
            raise Closed("bad handshake")
        other = os.urandom(20)
        writer.write(PSTR + bytes(8) + other + self.peer_ids["wrong_infohash"])
        await writer.drain()
        self.log(f"SENT {n} handshake for unknown info_hash {other.hex()}")
        while await reader.read(65536):
            pass
        raise asyncio.IncompleteReadError(b"", None)

    def bencode(self, v):
        if isinstance(v, int):
            return b"i%de" % v
        if isinstance(v, bytes):
            return b"%d:%s" % (len(v), v)
        if isinstance(v, dict):
            return b"d" + b"".join(self.bencode(k) + self.bencode(v[k]) for k in sorted(v)) + b"e"
        raise TypeError(type(v))

    async def extended_handshake(self, n, writer, metadata_size):
        hs = {b"m": {b"ut_metadata": 3, b"ut_pex": 4}, b"v": b"bad_peer", b"metadata_size": metadata_size}
        writer.write(message(20, bytes([0]) + self.bencode(hs)))
        await writer.drain()
        self.log(f"SENT {n} EXTENDED handshake metadata_size={metadata_size}")

    async def serve_metadata(self, n, reader, writer, st, size, damage):
        """Answers the peer's ut_metadata requests: `damage(piece bytes)` gives what is sent; size None: reject."""
        their = {}
        while True:
            msg_id, payload = await self.read_message(n, reader)
            if msg_id != 20 or not payload:
                continue
            if payload[0] == 0:
                their = bdecode(payload[1:])[0].get(b"m", {})
                self.log(f"RECV {n} EXTENDED handshake m={sorted(k.decode() for k in their)}")
                continue
            if payload[0] != 3 or b"ut_metadata" not in their:
                continue
            req, _ = bdecode(payload[1:])
            piece = req.get(b"piece", 0)
            st["requests"] += 1
            self.counts["requests"] += 1
            if size is None:
                body = self.bencode({b"msg_type": 2, b"piece": piece})
                self.log(f"RECV {n} ut_metadata request {piece} -> SENT reject")
            else:
                chunk = damage(self.info_bytes[piece * BLOCK:(piece + 1) * BLOCK])
                body = self.bencode({b"msg_type": 1, b"piece": piece, b"total_size": size}) + chunk
                self.log(f"RECV {n} ut_metadata request {piece} -> SENT {len(chunk)} bytes")
            writer.write(message(20, bytes([their[b"ut_metadata"]]) + body))
            await writer.drain()

    async def mode_meta_wrong_size(self, n, reader, writer, st):
        await self.extended_handshake(n, writer, len(self.info_bytes))
        await self.serve_metadata(n, reader, writer, st, len(self.info_bytes), lambda b: b[:-1])

    async def mode_meta_wrong_hash(self, n, reader, writer, st):
        await self.extended_handshake(n, writer, len(self.info_bytes))
        await self.serve_metadata(n, reader, writer, st, len(self.info_bytes), lambda b: bytes(x ^ 0x5A for x in b))

    async def mode_meta_huge(self, n, reader, writer, st):
        await self.extended_handshake(n, writer, 1 << 31)
        await self.serve_metadata(n, reader, writer, st, None, None)

    async def mode_pex_flood(self, n, reader, writer, st):
        await self.send_have_all(n, writer)
        await self.extended_handshake(n, writer, len(self.info_bytes))
        their = {}
        peer_ip = writer.get_extra_info("peername")[0]
        own = bytes(int(x) for x in peer_ip.split(".")) if "." in peer_ip else b""
        drain = asyncio.ensure_future(self.read_all_extended(n, reader, their))
        try:
            sent = 0
            while not drain.done():
                if b"ut_pex" in their:
                    # Made-up peers on 127.0.0.0/8 only: whoever dials them stays on this machine.
                    added = b"".join(bytes([127, random.randrange(1, 256), random.randrange(256), random.randrange(1, 255)])
                                     + random.randrange(1, 65536).to_bytes(2, "big") for _ in range(47))
                    port = their.get(b"\x00p", 6881)  # the peer itself, at the port it listens on
                    added += own + port.to_bytes(2, "big") if own else b""
                    added += bytes([127, 9, 9, 9, 0, 0]) * 2  # port 0
                    body = self.bencode({b"added": added, b"added.f": bytes(len(added) // 6), b"dropped": b""})
                    writer.write(message(20, bytes([their[b"ut_pex"]]) + body))
                    await writer.drain()
                    sent += 1
                    st["bytes"] += len(body)
                    if sent % 100 == 1:
                        self.log(f"SENT {n} ut_pex message #{sent} ({len(added) // 6} peers)")
                await asyncio.sleep(0.05)
            drain.result()
        finally:
            drain.cancel()

    async def read_all_extended(self, n, reader, their):
        """read_all, noting the ids of the peer's extended handshake in `their`."""
        while True:
            msg_id, payload = await self.read_message(n, reader)
            if msg_id == 20 and payload[:1] == b"\x00":
                hs = bdecode(payload[1:])[0]
                their.update(hs.get(b"m", {}))
                if isinstance(hs.get(b"p"), int):
                    their[b"\x00p"] = hs[b"p"]
                self.log(f"RECV {n} EXTENDED handshake m={sorted(k.decode() for k in their)}")

    async def read_all(self, n, reader):
        """Read and log the peer's messages until it closes (raises IncompleteReadError then)."""
        while True:
            msg_id, payload = await self.read_message(n, reader)
            self.log_message(n, msg_id, payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("torrent")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="listen port (0: the kernel picks, see LISTENING)")
    ap.add_argument("--mode", default="corrupt", help="one of the modes above, or several comma separated")
    ap.add_argument("--connect", action="append", default=[], metavar="HOST:PORT", help="also dial this peer")
    ap.add_argument("--seconds", type=float, default=0, help="exit after S seconds (default: run until SIGTERM)")
    args = ap.parse_args()
    for mode in args.mode.split(","):
        if mode not in MODES:
            ap.error(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    try:
        peer = BadPeer(args)
    except (OSError, ValueError, KeyError) as e:
        print(f"bad_peer: cannot read {args.torrent}: {e}", file=sys.stderr)
        return 2
    asyncio.run(peer.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
