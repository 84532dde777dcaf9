#!/usr/bin/python3
"""Transmission 3.00's web UI (Debian's transmission-common, /usr/share/transmission/web) in headless Chromium
against `bitveil daemon` (ctest label `integration`; issue 26, acceptance 4).

usage: web_ui_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Case `web_ui`: the daemon seeds `alpha` (added over the RPC before the page loads); the page at
http://127.0.0.1:PORT/transmission/web/ must list it. Then, through the page only (toolbar, add dialog, context
menu), each checked in the list within two of the web UI's 5 s refreshes and over the RPC:
  - add by magnet: the add dialog's URL field, a magnet whose x.pe= names a loopback libtorrent seeder of `delta`
    (which then downloads completely);
  - add by URL: http://127.0.0.1:N/beta.torrent from a Python http.server in this test (the daemon fetches it);
  - add by file: `gamma.torrent` chosen in the dialog's file input (sent as metainfo);
  - pause and resume `alpha` (toolbar): the row's button and the RPC status follow;
  - remove `beta` (toolbar, confirmed): the row goes, its data stays;
  - remove `gamma` with its data (context menu "Trash Data and Remove From List"): the row and the files go.
The browser console must stay free of errors throughout (the 409s of the session-id handshake aside, see
browser.py). A screenshot is kept: <build>/test-artifacts/web_ui.png (or $BITVEIL_ARTIFACTS).
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped (no Chromium, Node.js,
playwright-core, libtorrent or web UI).
"""
import base64
import functools
import http.server
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, need_browser  # noqa: E402
from daemon_test import rpc, start_daemon  # noqa: E402
from lab import KiB, MiB, Payload, Skip, check, main, need_libtorrent  # noqa: E402

WEB_HOME = "/usr/share/transmission/web"
REFRESH = 5  # seconds: the 3.00 web UI's refresh_rate
WITHIN = 2 * REFRESH + 1  # "within two refreshes", and a second for the RPC round trips

ROW = '#torrent_list > li.torrent .torrent_name:text-is("{}")'  # a row, clicked on its name
ROW_NAMES = "[...document.querySelectorAll('#torrent_list > li.torrent .torrent_name')].map(e => e.textContent)"


def row_js(name, expr):
    """JS: `expr` evaluated with `row` bound to the list row named `name` (false when there is none)."""
    return (f"(() => {{ const row = [...document.querySelectorAll('#torrent_list > li.torrent')]"
            f".find(r => (r.querySelector('.torrent_name') || {{}}).textContent === {name!r}); "
            f"return row ? ({expr}) : false; }})()")


class TorrentFiles(http.server.ThreadingHTTPServer):
    """A folder of .torrent files over HTTP on 127.0.0.1 (a thread of this process)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_):
            pass

    def __init__(self, folder):
        super().__init__(("127.0.0.1", 0), functools.partial(self.Handler, directory=folder))
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


def torrents_by_name(daemon):
    got = rpc(daemon, "torrent-get", {"fields": ["id", "name", "status", "percentDone", "hashString"]})
    check(got.get("result") == "success", f"torrent-get: {got}")
    return {t["name"]: t for t in got["arguments"]["torrents"]}


def wait_rpc(daemon, pred, what, timeout=20):
    end = time.monotonic() + timeout
    while True:
        ts = torrents_by_name(daemon)
        if pred(ts):
            return ts
        check(daemon.alive(), f"the daemon exited with {daemon.returncode} (log below)")
        check(time.monotonic() < end, f"{what}: not seen over the RPC within {timeout} s; torrents: {ts}")
        time.sleep(0.3)


def web_ui(lab):
    need_browser()
    need_libtorrent()
    if not os.path.isfile(os.path.join(WEB_HOME, "index.html")):
        raise Skip(f"the Transmission web UI is not in {WEB_HOME} (apt-get install transmission-common)")
    config, downloads, torrents = lab.path("config"), lab.path("downloads"), lab.path("torrents")

    # alpha, beta and gamma are complete in the download folder (the daemon verifies and seeds them);
    # delta comes from a libtorrent seeder through a magnet.
    payloads = {name: Payload(downloads, name, [(name + ".bin", size), ("extra/readme.txt", 1_000 + i)])
                for i, (name, size) in enumerate((("alpha", 1 * MiB), ("beta", 700 * KiB), ("gamma", 900 * KiB)))}
    tors = {name: lab.create_torrent(pl, piece_size=64 * KiB) for name, pl in payloads.items()}
    delta = Payload(lab.path("src"), "delta", [("delta.bin", 2 * MiB + 123)])
    tors["delta"] = lab.create_torrent(delta, piece_size=64 * KiB)
    seeder = lab.lt_peer("lt-seed-delta", tors["delta"], delta.parent, True, no_tracker=True)
    files = TorrentFiles(torrents)
    seeder.wait_seeding()

    daemon = start_daemon(lab, "daemon", config, downloads, ["--web-home", WEB_HOME])
    with open(tors["alpha"].path, "rb") as f:
        added = rpc(daemon, "torrent-add", {"metainfo": base64.b64encode(f.read()).decode()})
    check(added.get("result") == "success" and "torrent-added" in added["arguments"], f"torrent-add alpha: {added}")
    wait_rpc(daemon, lambda ts: ts.get("alpha", {}).get("status") == 6, "alpha seeding")

    b = Browser(lab)
    b.goto(f"http://127.0.0.1:{daemon.rpc_port}/transmission/web/")
    names, took = b.wait(f"{ROW_NAMES}.includes('alpha') && {ROW_NAMES}", 15, "alpha in the list")
    lab.log(f"the list shows {names} after {took:.1f} s")
    b.check_console("while the page loaded")

    def add_through_dialog(name, url=None, path=None):
        b.click("#toolbar-open")
        b.wait("getComputedStyle(document.getElementById('upload_container')).display !== 'none'", 5, "the add dialog")
        if url:
            b.fill("#torrent_upload_url", url)
        if path:
            b.files("#torrent_upload_file", [path])
        b.click("#upload_confirm_button")
        _, took = b.wait(f"{ROW_NAMES}.includes({name!r})", WITHIN, f"{name} in the list after adding it")
        lab.log(f"{name}: in the list {took:.1f} s after the dialog's Upload")
        wait_rpc(daemon, lambda ts: name in ts, f"{name} added")
        b.check_console(f"after adding {name}")

    magnet = f"magnet:?xt=urn:btih:{tors['delta'].info_hash_hex}&dn=delta&x.pe=127.0.0.1:{seeder.port}"
    add_through_dialog("delta", url=magnet)
    add_through_dialog("beta", url=files.url("beta.torrent"))
    add_through_dialog("gamma", path=tors["gamma"].path)
    ts = wait_rpc(daemon, lambda ts: all(ts.get(n, {}).get("status") == 6 for n in ("beta", "gamma")),
                  "beta and gamma verified and seeding", 30)
    check(ts["delta"]["hashString"] == tors["delta"].info_hash_hex, f"delta: wrong hash {ts['delta']}")

    # Pause and resume alpha from the toolbar.
    b.click(ROW.format("alpha"))
    b.click("#toolbar-pause")
    _, took = b.wait(row_js("alpha", "!!row.querySelector('.torrent_resume')"), WITHIN, "alpha shown paused")
    lab.log(f"alpha: shown paused after {took:.1f} s")
    wait_rpc(daemon, lambda ts: ts["alpha"]["status"] == 0, "alpha stopped", 5)
    b.click(ROW.format("alpha"))
    b.click("#toolbar-start")
    _, took = b.wait(row_js("alpha", "!!row.querySelector('.torrent_pause')"), WITHIN, "alpha shown running again")
    lab.log(f"alpha: shown running again after {took:.1f} s")
    wait_rpc(daemon, lambda ts: ts["alpha"]["status"] != 0, "alpha started again", 5)
    b.check_console("after pause and resume")

    # Remove beta (toolbar): the data stays.
    b.click(ROW.format("beta"))
    b.click("#toolbar-remove")
    b.wait("getComputedStyle(document.getElementById('dialog_container')).display !== 'none'", 5, "the confirmation")
    b.click("#dialog_confirm_button")
    _, took = b.wait(f"!{ROW_NAMES}.includes('beta')", WITHIN, "beta gone from the list")
    lab.log(f"beta: gone from the list after {took:.1f} s")
    wait_rpc(daemon, lambda ts: "beta" not in ts, "beta removed", 5)
    payloads["beta"].check_copy(downloads, "beta's data after a plain remove")

    # Remove gamma with its data (context menu).
    b.click(ROW.format("gamma"), button="right")
    b.wait("getComputedStyle(document.getElementById('torrent_context_menu')).display !== 'none'", 5,
           "the context menu")
    b.click('#torrent_context_menu li[data-command="remove_data"]')
    b.wait("getComputedStyle(document.getElementById('dialog_container')).display !== 'none'", 5, "the confirmation")
    b.click("#dialog_confirm_button")
    _, took = b.wait(f"!{ROW_NAMES}.includes('gamma')", WITHIN, "gamma gone from the list")
    lab.log(f"gamma: gone from the list after {took:.1f} s")
    wait_rpc(daemon, lambda ts: "gamma" not in ts, "gamma removed", 5)
    end = time.monotonic() + 10
    while os.path.exists(os.path.join(downloads, "gamma")):
        check(time.monotonic() < end, f"gamma's data is still in {downloads} 10 s after remove-with-data: "
              f"{sorted(os.listdir(os.path.join(downloads, 'gamma')))}")
        time.sleep(0.2)
    payloads["alpha"].check_copy(downloads, "alpha's data")

    # The magnet's download completes, and the list says so.
    wait_rpc(daemon, lambda ts: ts["delta"]["percentDone"] == 1, "delta complete", 60)
    delta.check_copy(downloads, "delta downloaded through the magnet")
    _, took = b.wait(row_js("delta", "row.querySelector('.torrent_peer_details').textContent.startsWith('Seeding')"),
                     WITHIN, "delta shown seeding")
    names = b.eval(ROW_NAMES)
    check(sorted(names) == ["alpha", "delta"], f"the list at the end: {names}, expected alpha and delta")
    b.screenshot("web_ui.png")
    b.check_console("at the end")
    lab.log(f"console: {len(b.console)} entries, none unexpected ({b.rpc_409s} session-id 409s): " +
            "; ".join(f"[{e['type']}] {e['text']}" for e in b.console if e["type"] != "response409"))
    files.shutdown()


CASES = {
    "web_ui": (web_ui, 240, "Transmission's web UI in headless Chromium: list, add x3, pause, resume, remove x2"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
