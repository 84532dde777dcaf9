#!/usr/bin/env python3
"""Open many TCP connections at once against a BitTorrent listener and hold them (a connection storm).

usage: conn_storm.py --port N [--host 127.0.0.1] [--count 1000] [--hold SECONDS]

The connections are started together (non-blocking connect) and cycle through four kinds:
  idle      connect, send nothing
  plain     send the first 34 bytes of a plain BitTorrent handshake (protocol string, reserved bytes, part of
            an info-hash), then nothing
  mse       send 48 random bytes (half an MSE public key), then nothing
  garbage   send 1 KiB of random bytes, then nothing
Then it holds every socket for --hold seconds, reading (and discarding) whatever arrives and noting which
ones the other side closed, and closes the rest. Raise RLIMIT_NOFILE for it first when count is large.
Output, one line each:
  STORM started count=N
  CONNECTED n=N failed=F (first error: ...)
  SUMMARY connected=N failed=F closed_by_peer=C still_open=O idle=.. plain=.. mse=.. garbage=..
Exit status 0 (the storm itself cannot fail; the caller judges the target).
"""
import argparse
import errno
import os
import selectors
import socket
import sys
import time

KINDS = ("idle", "plain", "mse", "garbage")


def payload(kind):
    if kind == "plain":
        return b"\x13BitTorrent protocol" + bytes(8) + os.urandom(6)
    if kind == "mse":
        return os.urandom(48)
    if kind == "garbage":
        b = bytearray(os.urandom(1024))
        b[0] = b[0] if b[0] != 0x13 else 0x14  # not a plain handshake
        return bytes(b)
    return b""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=10.0)
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    socks = []  # [sock, kind, state] state: connecting|open|closed|failed
    first_error = None
    print(f"STORM started count={a.count}", flush=True)
    for i in range(a.count):
        kind = KINDS[i % len(KINDS)]
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            first_error = first_error or str(e)
            continue
        s.setblocking(False)
        err = s.connect_ex((a.host, a.port))
        if err not in (0, errno.EINPROGRESS):
            first_error = first_error or os.strerror(err)
            s.close()
            continue
        entry = [s, kind, "connecting"]
        socks.append(entry)
        sel.register(s, selectors.EVENT_WRITE, entry)

    connected = failed = closed_by_peer = 0
    reported = False
    end = time.monotonic() + a.hold
    while time.monotonic() < end:
        events = sel.select(timeout=0.1)
        for key, mask in events:
            entry = key.data
            s, kind, state = entry
            if state == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(s)
                if err:
                    failed += 1
                    first_error = first_error or os.strerror(err)
                    entry[2] = "failed"
                    s.close()
                    continue
                connected += 1
                entry[2] = "open"
                data = payload(kind)
                try:
                    if data:
                        s.send(data)
                except OSError:
                    pass
                sel.register(s, selectors.EVENT_READ, entry)
            elif state == "open":
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    b = b""
                if not b:
                    closed_by_peer += 1
                    entry[2] = "closed"
                    sel.unregister(s)
                    s.close()
        if connected + failed == len(socks) and not reported:
            reported = True
            print(f"CONNECTED n={connected} failed={failed}" + (f" (first error: {first_error})" if first_error
                                                                    else ""), flush=True)
    still_open = 0
    by_kind = {k: 0 for k in KINDS}
    for s, kind, state in socks:
        if state == "open":
            still_open += 1
        if state in ("open", "closed"):
            by_kind[kind] += 1
        if state in ("open", "connecting"):
            s.close()
    failed += sum(1 for _, _, state in socks if state == "connecting") + (a.count - len(socks))
    print(f"SUMMARY connected={connected} failed={failed} closed_by_peer={closed_by_peer} still_open={still_open} "
          + " ".join(f"{k}={v}" for k, v in by_kind.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
