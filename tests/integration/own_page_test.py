#!/usr/bin/python3
"""bitveil's own page (src/daemon/index.html, served at /) in headless Chromium against `bitveil daemon`
(ctest label `integration`; issue 26, acceptance 5).

usage: own_page_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Case `own_page`: the daemon seeds `mixed`; three rate-limited libtorrent leechers dial it, one per kind of
connection: plaintext (encryption disabled), MSE with RC4 (forced, RC4 only) and MSE header-only (forced,
allowed_enc_level=1). The page must show each connection with the kind the RPC reports for it (and so one of
each kind), the torrent's counts by kind, and the session's encryption policy. Then three forced handshake
failures, each of which must appear on the page with its reason and the count the RPC reports:
  - two raw connections sending a BitTorrent handshake for an unknown info-hash (session-wide failures);
  - a second torrent whose only peer (tools/bad_peer.py wrong_infohash, named by tools/bad_tracker.py) answers
    with another info-hash: the failure is that torrent's own; its name is markup (<img ... onerror=...>) and
    must show as text;
  - session-set encryption "required", then a plaintext-only libtorrent peer dials in and is refused
    (session-wide), while the page shows the policy "require".
The browser console must stay free of errors (the session-id 409 aside, see browser.py). A screenshot is kept:
<build>/test-artifacts/own_page.png (or $BITVEIL_ARTIFACTS).
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import base64
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, need_browser  # noqa: E402
from daemon_test import rpc, start_daemon  # noqa: E402
from lab import KiB, MiB, Failure, Payload, check, main, need_libtorrent  # noqa: E402

KINDS = ("plaintext", "mse-rc4", "mse-header-only")
WITHIN = 2 * 2 + 1  # two of the page's 2 s refreshes, and a second for the round trips
LEECH_RATE = 40_000  # B/s per leecher: 8 MiB keeps each connected for minutes
# libtorrent settings per kind (lt_peer.py --encryption, then --set): required = forced with RC4 only; level 1
# (pe_plaintext) forced = MSE with the payload in the clear.
LT_KIND = {"plaintext": ("disabled", []), "mse-rc4": ("required", []),
           "mse-header-only": ("required", ["--set", "allowed_enc_level=1"])}
XSS_NAME = '<img src=x onerror="window.__bitveil_pwned=1">ghost'

# Everything the page shows, read from its DOM as the user sees it (textContent).
READ_PAGE = r"""(() => {
  const text = (root, sel) => { const e = root.querySelector(sel); return e ? e.textContent : null; };
  const failures = (rows) => Object.fromEntries([...rows].map(r => [text(r, '.reason'), Number(text(r, '.count'))]));
  return {
    state: document.body.dataset.state || '',
    version: text(document, '#version'),
    encryption: text(document, '#encryption'),
    sessionFailures: failures(document.querySelectorAll('#session-failures tr[data-failure]')),
    torrents: [...document.querySelectorAll('#torrents section.torrent')].map(s => ({
      hash: s.dataset.hash, name: text(s, '.title .name'), status: text(s, '.title .status'),
      counts: [...s.querySelectorAll('.counts .kind')].map(k => k.textContent),
      peers: Object.fromEntries([...s.querySelectorAll('tr[data-peer]')].map(r => [text(r, '.address'), {
        client: text(r, '.client'), kind: text(r, '.kind-cell'), direction: text(r, '.direction')}])),
      failures: failures(s.querySelectorAll('tr[data-failure]')),
    })),
    pwned: window.__bitveil_pwned === 1 || document.querySelectorAll('#torrents img, #torrents script').length > 0,
  };
})()"""


def torrent(daemon, tid, fields):
    got = rpc(daemon, "torrent-get", {"ids": [tid], "fields": ["id", *fields]})
    check(got.get("result") == "success" and len(got["arguments"]["torrents"]) == 1, f"torrent-get {tid}: {got}")
    return got["arguments"]["torrents"][0]


def session_failures(daemon):
    got = rpc(daemon, "session-get", {"fields": ["bitveil-handshake-failures"]})
    check(got.get("result") == "success", f"session-get: {got}")
    return got["arguments"].get("bitveil-handshake-failures", {})


def endpoint(p):
    return f"[{p['address']}]:{p['port']}" if ":" in p["address"] else f"{p['address']}:{p['port']}"


def counts_agree(before, page, after, reasons):
    """The page's {reason: count} agrees with the RPC's, read just before and just after it: each of `reasons`
    is shown, with a count between the one the RPC had two increments earlier (the page refreshes every 2 s
    while peers keep redialling) and the RPC's latest."""
    return all(r in page and max(1, before.get(r, 0) - 2) <= page[r] <= after.get(r, 0) for r in reasons)


def grown(before, after):
    """{reason: count} of the reasons whose count went up."""
    return {r: n for r, n in after.items() if n > before.get(r, 0)}


def poll(what, timeout, fn):
    """fn() until it returns (True, x): x; Failure with the last x after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        ok, last = fn()
        if ok:
            return last
        if time.monotonic() > end:
            raise Failure(f"{what}: not seen within {timeout} s; last: {json.dumps(last, indent=1)[:3000]}")
        time.sleep(0.25)


def unknown_hash_handshake(port):
    """A plain BitTorrent handshake for an info-hash nobody has; reads until the daemon hangs up."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\x13BitTorrent protocol" + bytes(8) + os.urandom(20) + b"-XX0000-" + os.urandom(12))
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass


def own_page(lab):
    need_browser()
    need_libtorrent()
    config, downloads = lab.path("config"), lab.path("downloads")
    pl = Payload(downloads, "mixed", [("mixed.bin", 8 * MiB + 77)])
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    daemon = start_daemon(lab, "daemon", config, downloads)
    with open(tor.path, "rb") as f:
        added = rpc(daemon, "torrent-add", {"metainfo": base64.b64encode(f.read()).decode()})
    check(added.get("result") == "success", f"torrent-add: {added}")
    tid = added["arguments"]["torrent-added"]["id"]
    poll("mixed seeding", 30, lambda: (lambda t: (t["status"] == 6, t))(torrent(daemon, tid, ["status"])))

    ep = f"127.0.0.1:{daemon.peer_port}"
    for kind, (encryption, extra) in LT_KIND.items():
        lab.lt_peer(f"lt-{kind}", tor, lab.path(f"dl-{kind}"), False, peers=[ep], no_tracker=True,
                    encryption=encryption,
                    extra=["--remote-class", "--set", f"download_rate_limit={LEECH_RATE}", *extra])

    def rpc_peers():
        t = torrent(daemon, tid, ["peers", "bitveil-peers-by-kind"])
        by_kind = t["bitveil-peers-by-kind"]
        return all(by_kind.get(k) == 1 for k in KINDS) and len(t["peers"]) == 3, t
    t = poll("one connection of each kind (RPC)", 40, rpc_peers)
    lab.log("the daemon's peers: " + ", ".join(f"{endpoint(p)} {p['bitveil-kind']}" for p in t["peers"]))

    b = Browser(lab)
    b.goto(f"http://127.0.0.1:{daemon.rpc_port}/")
    b.wait("document.body.dataset.state === 'ok'", 10, "the page's first refresh")
    page = b.eval(READ_PAGE)
    version = rpc(daemon, "session-get", {"fields": ["version"]})["arguments"].get("version", "")
    check(version and page["version"] == version, f"the page shows version {page['version']!r}, the RPC {version!r}")
    check(page["encryption"] == "prefer", f"the page shows the policy {page['encryption']!r}, expected 'prefer'")

    def page_torrent(page, hash_hex):
        return next((x for x in page["torrents"] if x["hash"] == hash_hex), None)

    # Each connection with its kind, as the RPC reports it (read again each time: rates and ports move).
    def kinds_match():
        want = {endpoint(p): p["bitveil-kind"] for p in torrent(daemon, tid, ["peers"])["peers"]}
        page = b.eval(READ_PAGE)
        shown = page_torrent(page, tor.info_hash_hex)
        got = {e: p["kind"] for e, p in (shown or {}).get("peers", {}).items()}
        ok = (got == want and sorted(got.values()) == sorted(KINDS) and
              all(p["direction"] == "incoming" for p in shown["peers"].values()) and
              sorted(shown["counts"]) == sorted(f"{k} 1" for k in KINDS))
        return ok, {"rpc": want, "page": shown}
    shown = poll("each connection's kind on the page", WITHIN, kinds_match)["page"]
    lab.log(f"the page shows: {shown['peers']} counts {shown['counts']}")
    b.check_console("with the three kinds")

    # 1. Unknown info-hash, twice: session-wide.
    before = session_failures(daemon)
    for _ in range(2):
        unknown_hash_handshake(daemon.peer_port)
    new = poll("the unknown info-hash failures (RPC)", 10,
               lambda: (sum(grown(before, session_failures(daemon)).values()) >= 2,
                        grown(before, session_failures(daemon))))
    lab.log(f"unknown info-hash: the daemon counts {new}")
    check_session_failures_shown(b, daemon, new, "unknown info-hash")

    # 2. A second torrent whose only peer (from its tracker) answers with another info-hash: the failure is
    # that torrent's own. Its name is markup, which must show as text.
    bad = lab.bad_peer("bad-wrong-hash", tor, "wrong_infohash")
    _, urls = lab.bad_tracker("tracker", http=("ok",), peers=[f"127.0.0.1:{bad.port}"])
    ghost = lab.create_torrent(Payload(lab.path("src"), XSS_NAME, [("ghost.bin", 300 * KiB)]),
                               tracker_url=urls[("http", "ok")], piece_size=64 * KiB)
    ghost_hash = ghost.info_hash_hex
    with open(ghost.path, "rb") as f:
        added = rpc(daemon, "torrent-add", {"metainfo": base64.b64encode(f.read()).decode()})
    check(added.get("result") == "success", f"torrent-add {ghost.path}: {added}")
    gid = added["arguments"]["torrent-added"]["id"]
    failures = poll("the second torrent's handshake failures (RPC)", 20, lambda: (
        bool(torrent(daemon, gid, ["bitveil-handshake-failures"])["bitveil-handshake-failures"]),
        torrent(daemon, gid, ["bitveil-handshake-failures"])))["bitveil-handshake-failures"]
    lab.log(f"wrong info-hash from its peer: the daemon counts {failures}")

    def ghost_shown():
        want = torrent(daemon, gid, ["name", "bitveil-handshake-failures"])
        page = b.eval(READ_PAGE)
        after = torrent(daemon, gid, ["bitveil-handshake-failures"])["bitveil-handshake-failures"]
        shown = page_torrent(page, ghost_hash)
        ok = (shown is not None and shown["name"] == want["name"] and
              counts_agree(want["bitveil-handshake-failures"], shown["failures"], after, failures))
        return ok, {"rpc": want, "page": shown, "pwned": page["pwned"]}
    shown = poll("the second torrent's failures on the page", WITHIN, ghost_shown)["page"]
    lab.log(f"the page shows the second torrent {shown['name']!r} with failures {shown['failures']}")
    check(not b.eval(READ_PAGE)["pwned"], "the torrent name's markup was rendered as HTML")

    # 3. Policy "required", then a plaintext-only peer dials in and is refused.
    set_ = rpc(daemon, "session-set", {"encryption": "required"})
    check(set_.get("result") == "success", f"session-set encryption required: {set_}")
    poll("the policy 'require' on the page", WITHIN, lambda: (b.eval(READ_PAGE)["encryption"] == "require",
                                                                 b.eval(READ_PAGE)["encryption"]))
    before = session_failures(daemon)
    refused = lab.lt_peer("lt-refused", tor, lab.path("dl-refused"), False, peers=[ep], no_tracker=True,
                          encryption="disabled")
    poll("the refused plaintext peer (RPC)", 20, lambda: (bool(grown(before, session_failures(daemon))),
                                                          grown(before, session_failures(daemon))))
    refused.stop()  # no more redials: the counts stand still
    time.sleep(0.5)
    new = grown(before, session_failures(daemon))
    lab.log(f"plaintext against require: the daemon counts {new}")
    check_session_failures_shown(b, daemon, new, "plaintext against require")
    by_kind = torrent(daemon, tid, ["bitveil-peers-by-kind"])["bitveil-peers-by-kind"]
    check(by_kind.get("plaintext") == 1, f"a plaintext peer got in under 'require': {by_kind}")

    page = b.eval(READ_PAGE)
    lab.log("page at the end: " + json.dumps(page)[:2000])
    b.screenshot("own_page.png")
    b.check_console("at the end")
    check(not page["pwned"], "the torrent name's markup was rendered as HTML")


def check_session_failures_shown(b, daemon, reasons, what):
    """The page's session table shows each of `reasons` with the count the RPC reports now."""
    def shown():
        want = session_failures(daemon)
        got = b.eval(READ_PAGE)["sessionFailures"]
        return counts_agree(want, got, session_failures(daemon), reasons), {"rpc": want, "page": got}
    got = poll(f"{what}: the session's failures on the page", WITHIN, shown)["page"]
    b.lab.log(f"{what}: the page shows {({r: got[r] for r in reasons})}")


CASES = {
    "own_page": (own_page, 180, "our page: each connection's kind, handshake failures by reason and count"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
