#!/usr/bin/python3
"""`bitveil daemon` driven by transmission-remote 3.00 (ctest label `integration`).

usage: daemon_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  remote      every command of the issue's list: -a FILE.torrent (from a libtorrent seeder through opentracker),
              -a 'magnet:?...&x.pe=' (from a second seeder), -l, -t ID -i, -S / -s, -si, -st, -as, -er/-ep/-et
              (after -er a plaintext-only libtorrent peer is refused), -t HASH and -t 1,2, -r (the data stays),
              --remove-and-delete (the data is gone); none prints "Unexpected response"
  auth        --rpc-auth u:p: -n u:p works, a wrong or missing password exits 1; `bitveil status` likewise
  restart     SIGTERM exits 0 within 5 s; after a restart -l shows the same ids, states and progress, and the
              complete torrent seeds without hashing its pieces; kill -9 mid-download, restart: the download
              resumes and the data is right
  runtime_limits  session-set speed-limit-down while a download runs: the rate follows within two seconds (on,
              changed, off), measured from torrent-get's rateDownload and the payload downloaded
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, MiB, Failure, Payload, Proc, check, free_port, main, need_program  # noqa: E402


class Daemon(Proc):
    """`bitveil daemon` with its own config folder, the RPC on a free port and peers on another."""


def start_daemon(lab, name, config, downloads, extra=(), rpc_port=None):
    rpc_port = rpc_port or free_port()
    argv = [lab.bitveil_path, "daemon", "--config-dir", config, "--rpc-listen", f"127.0.0.1:{rpc_port}",
            "--download-dir", downloads, "--peer-port", 0, "--verbose", *extra]
    log_name, n = name, 1
    while os.path.exists(os.path.join(lab.logs, log_name + ".log")):
        n += 1
        log_name = f"{name}.run{n}"
    d = Daemon(lab, log_name, argv)
    d.rpc_port = rpc_port
    d.wait_for(r"RPC on \S+ \(port \d+\), peers on port (\d+)", 20, "the daemon listening")
    d.peer_port = int(re.findall(r"peers on port (\d+)", d.text())[-1])
    return d


class Remote:
    """transmission-remote against one daemon; every call's output is checked for "Unexpected response"."""

    def __init__(self, lab, daemon, auth=None):
        self.exe = need_program("transmission-remote")
        self.lab, self.daemon, self.auth = lab, daemon, auth
        self.env = dict(os.environ, HOME=lab.home)

    def run(self, *args, expect=0):
        argv = [self.exe, f"127.0.0.1:{self.daemon.rpc_port}"]
        if self.auth:
            argv += ["-n", self.auth]
        argv += [str(a) for a in args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=self.env)
        out = r.stdout + r.stderr
        self.lab.log(f"$ transmission-remote {' '.join(argv[2:])} -> {r.returncode}\n{out.rstrip()}")
        check("Unexpected response" not in out or expect != 0, f"{' '.join(argv)} printed: {out}")
        if expect is not None:
            check(r.returncode == expect, f"{' '.join(argv)} exited with {r.returncode}, expected {expect}: {out}")
        return out

    def rows(self):
        """`-l` as {id: {"done": "100%", "status": "Seeding", "name": ...}}."""
        rows = {}
        for line in self.run("-l").splitlines()[1:]:
            # ID Done Have ETA Up Down Ratio Status Name; Have is "None" or "1.2 MB", ETA "Unknown", "Done" or "5 min".
            m = re.match(r"\s*(\d+)\*?\s+(n/a|\d+%)\s+(None|\S+ \S+)\s+(Unknown|Done|\d+ \w+)\s+(\S+)\s+(\S+)\s+"
                         r"(\S+)\s+(Up & Down|Stopped|Finished|Queued|Verifying|Downloading|Uploading|Seeding|Idle)"
                         r"\s+(.*)$", line)
            if m:
                rows[int(m.group(1))] = {"done": m.group(2), "status": m.group(8), "name": m.group(9).strip()}
        return rows

    def wait_row(self, tid, pred, what, timeout=60):
        end = time.monotonic() + timeout
        while True:
            row = self.rows().get(tid)
            if row and pred(row):
                return row
            check(self.daemon.alive(), f"the daemon exited with {self.daemon.returncode} (log below)")
            check(time.monotonic() < end, f"torrent {tid}: {what} not seen within {timeout} s; last row {row}")
            time.sleep(0.5)


def rpc(daemon, method, arguments=None, auth=None):
    """One raw RPC call (the 409 handshake included); the decoded reply."""
    url = f"http://127.0.0.1:{daemon.rpc_port}/transmission/rpc"
    body = json.dumps({"method": method, "arguments": arguments or {}}).encode()
    session_id = ""
    for _ in range(2):
        req = urllib.request.Request(url, data=body, headers={"X-Transmission-Session-Id": session_id})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise Failure(f"{method}: HTTP {e.code}")
            session_id = e.headers["X-Transmission-Session-Id"]
    raise Failure(f"{method}: 409 twice")


def seeded(lab, name, size, with_tracker=True, upload_limit=0):
    """A payload, its torrent (through an opentracker when asked) and a libtorrent seeder of it."""
    pl = Payload.single(lab.path("src-" + name), name, size)
    tracker = lab.tracker_url() if with_tracker else None
    tor = lab.create_torrent(pl, tracker_url=tracker, piece_size=64 * KiB)
    if with_tracker:
        lab.tracker([tor], name="tracker-" + name)
    seeder = lab.lt_peer("seed-" + name, tor, pl.parent, True, no_tracker=not with_tracker,
                         upload_limit=upload_limit)
    seeder.wait_seeding()
    return pl, tor, seeder




def remote(lab):
    config, downloads = lab.path("config"), lab.path("downloads")
    daemon = start_daemon(lab, "daemon", config, downloads)
    tr = Remote(lab, daemon)
    pl_a, tor_a, _ = seeded(lab, "alpha", 3 * MiB)
    pl_b, tor_b, seed_b = seeded(lab, "beta", 2 * MiB, with_tracker=False)

    check("success" in tr.run("-a", tor_a.path), "-a FILE did not answer success")
    magnet = f"magnet:?xt=urn:btih:{tor_b.info_hash_hex}&dn=beta&x.pe=127.0.0.1:{seed_b.port}"
    check("success" in tr.run("-a", magnet), "-a MAGNET did not answer success")
    tr.wait_row(1, lambda r: r["done"] == "100%", "100% for the .torrent")
    tr.wait_row(2, lambda r: r["done"] == "100%", "100% for the magnet")
    rows = tr.rows()
    check(rows[1]["name"] == "alpha" and rows[2]["name"] == "beta", f"-l names: {rows}")
    check(all(r["status"] in ("Seeding", "Idle", "Uploading") for r in rows.values()), f"-l states: {rows}")
    pl_a.check_copy(downloads, "alpha")
    pl_b.check_copy(downloads, "beta")

    info = tr.run("-t", 1, "-i")
    for needle in ("Name: alpha", f"Hash: {tor_a.info_hash_hex}", f"Location: {downloads}", "Percent Done: 100",
                   "Total size:", "Peers:"):
        check(needle in info, f"-t 1 -i lacks {needle!r}")
    by_hash = tr.run("-t", tor_a.info_hash_hex, "-i")
    check("Name: alpha" in by_hash and "Id: 1" in by_hash, "-t HASH does not select torrent 1")

    tr.run("-t", 1, "-S")
    tr.wait_row(1, lambda r: r["status"] == "Stopped", "Stopped after -S", 10)
    tr.run("-t", 1, "-s")
    tr.wait_row(1, lambda r: r["status"] != "Stopped", "running after -s", 10)
    # A check of a seeding torrent, and a start right behind a stop, leave it running (not "Finished").
    tr.run("-t", 1, "-v")
    tr.wait_row(1, lambda r: r["done"] == "100%" and r["status"] in ("Seeding", "Idle"), "seeding after -v", 20)
    tr.run("-t", 1, "-S")
    tr.run("-t", 1, "-s")
    time.sleep(3)
    tr.wait_row(1, lambda r: r["status"] in ("Seeding", "Idle"), "seeding after -S then -s at once", 10)
    tr.run("-t", "1,2", "-S")
    tr.wait_row(1, lambda r: r["status"] == "Stopped", "torrent 1 Stopped after -t 1,2 -S", 10)
    tr.wait_row(2, lambda r: r["status"] == "Stopped", "torrent 2 Stopped after -t 1,2 -S", 10)
    tr.run("-t", "1,2", "-s")

    # --move: the data and its resume record follow (no piece hashed again); -t 1 -i names the new place.
    moved = lab.path("moved")
    tr.run("-t", 1, "--move", moved)
    tr.wait_row(1, lambda r: r["done"] == "100%" and r["status"] != "Stopped", "alpha back after --move", 20)
    check("Location: " + moved in tr.run("-t", 1, "-i"), "-t 1 -i does not show the new location")
    pl_a.check_copy(moved, "alpha after --move")
    check(not os.path.exists(os.path.join(downloads, "alpha")), "--move left alpha in the old folder")
    resumes = re.findall(r"alpha: resume: (\d+) pieces trusted, \d+ files rechecked \((\d+) pieces hashed",
                         daemon.text())
    check(resumes and resumes[-1] == (str(tor_a.num_pieces), "0"), f"alpha after --move: {resumes}")
    tr.run("-t", 1, "--move", downloads)
    tr.wait_row(1, lambda r: r["done"] == "100%" and r["status"] != "Stopped", "alpha back after a 2nd --move", 20)
    pl_a.check_copy(downloads, "alpha after moving back")

    si = tr.run("-si")
    for needle in ("Daemon version: 0.1.0 (bitveil)", "RPC version: 16", f"Download directory: {downloads}",
                   "Encryption: preferred"):
        check(needle in si, f"-si lacks {needle!r}")
    st = tr.run("-st")
    check("CURRENT SESSION" in st and "TOTAL" in st, "-st lacks its blocks")
    check("success" in tr.run("-as"), "-as did not answer success")
    check(rpc(daemon, "session-get")["arguments"]["alt-speed-enabled"] is True, "-as did not turn alt speed on")
    tr.run("-AS")
    # The schedule decides while it is on: a range of the whole day turns alt speed on at once.
    rpc(daemon, "session-set", {"alt-speed-time-enabled": True, "alt-speed-time-begin": 0,
                                "alt-speed-time-end": 1439, "alt-speed-time-day": 127})
    check(rpc(daemon, "session-get")["arguments"]["alt-speed-enabled"] is True, "the schedule did not turn alt speed on")
    rpc(daemon, "session-set", {"alt-speed-time-enabled": False, "alt-speed-enabled": False})

    for flag, word in (("-er", "required"), ("-et", "tolerated"), ("-ep", "preferred"), ("-er", "required")):
        tr.run(flag)
        check(f"Encryption: {word}" in tr.run("-si"), f"-si does not show {word} after {flag}")
    # A plaintext-only peer is refused now: it never gets a connection.
    plain = lab.lt_peer("plain-leech", tor_a, lab.path("plain"), False, no_tracker=True, encryption="disabled",
                        peers=[f"127.0.0.1:{daemon.peer_port}"])
    daemon.wait_for(r"in: plaintext refused \(encryption required\)", 20, "the plaintext peer refused")
    time.sleep(2)
    check(not re.search(r"^STAT .* down=[1-9]", plain.text(), re.M),
          "a plaintext-only peer got data while the policy was required")
    failures = rpc(daemon, "session-get")["arguments"].get("bitveil-handshake-failures", {})
    lab.log(f"handshake failures: {failures}")
    check(any("plaintext" in reason and n > 0 for reason, n in failures.items()),
          f"session-get's bitveil-handshake-failures does not count the refused plaintext peer: {failures}")
    plain.stop()
    tr.run("-ep")

    tr.run("-t", 1, "-r")
    time.sleep(1)
    check(1 not in tr.rows(), "-t 1 -r left torrent 1 in the list")
    pl_a.check_copy(downloads, "alpha after -r")
    tr.run("-t", 2, "--remove-and-delete")
    end = time.monotonic() + 10
    while os.path.exists(os.path.join(downloads, "beta")):
        check(time.monotonic() < end, "--remove-and-delete left beta on disk")
        time.sleep(0.2)
    check(tr.rows() == {}, f"torrents left after removing both: {tr.rows()}")


def auth(lab):
    daemon = start_daemon(lab, "daemon", lab.path("config"), lab.path("downloads"), extra=["--rpc-auth", "u:p"])
    Remote(lab, daemon, auth="u:p").run("-l")
    out = Remote(lab, daemon, auth="u:wrong").run("-l", expect=1)
    check("401" in out or "Unauthorized" in out or "Unexpected response" in out, f"wrong password: {out}")
    Remote(lab, daemon).run("-l", expect=1)
    ok = subprocess.run([lab.bitveil_path, "status", "--rpc", f"127.0.0.1:{daemon.rpc_port}", "--auth", "u:p"],
                        capture_output=True, text=True, timeout=30)
    check(ok.returncode == 0 and "0 torrents" in ok.stdout, f"bitveil status with the password: {ok}")
    bad = subprocess.run([lab.bitveil_path, "status", "--rpc", f"127.0.0.1:{daemon.rpc_port}", "--auth", "u:x"],
                         capture_output=True, text=True, timeout=30)
    check(bad.returncode == 1 and "401" in bad.stderr, f"bitveil status with a wrong password: {bad}")
    daemon.stop()
    down = subprocess.run([lab.bitveil_path, "status", "--rpc", f"127.0.0.1:{daemon.rpc_port}"],
                          capture_output=True, text=True, timeout=30)
    check(down.returncode == 1, f"bitveil status with the daemon down exited {down.returncode}")


def sigterm(daemon, lab):
    t0 = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    rc = daemon.wait(5, "exit after SIGTERM")
    lab.log(f"SIGTERM: exit {rc} after {time.monotonic() - t0:.2f} s")
    check(rc == 0, f"SIGTERM: exit {rc}, expected 0")


def wait_partial(tr, tid, above=20):
    """Until torrent `tid` is between `above` % and 90 % done; its row."""
    end = time.monotonic() + 60
    while True:
        row = tr.rows()[tid]
        if row["done"] != "n/a" and above <= int(row["done"].rstrip("%")) <= 90:
            return row
        check(time.monotonic() < end, f"torrent {tid} never got to {above}-90 %: {row}")
        time.sleep(0.3)


def restart(lab):
    config, downloads = lab.path("config"), lab.path("downloads")
    pl_a, tor_a, _ = seeded(lab, "alpha", 2 * MiB)
    pl_b, tor_b, seed_b = seeded(lab, "beta", 24 * MiB, with_tracker=False, upload_limit=3 * MiB)
    daemon = start_daemon(lab, "daemon", config, downloads)
    tr = Remote(lab, daemon)
    tr.run("-a", tor_a.path)
    tr.wait_row(1, lambda r: r["done"] == "100%", "100%")
    # The second one stays paused: its state must come back too.
    magnet = f"magnet:?xt=urn:btih:{tor_b.info_hash_hex}&dn=beta&x.pe=127.0.0.1:{seed_b.port}"
    check(rpc(daemon, "torrent-add", {"filename": magnet, "paused": True})["result"] == "success", "add paused")
    tr.wait_row(2, lambda r: r["status"] == "Stopped", "Stopped (added paused)", 10)
    # Settings come back too, our exact encryption policy included (Transmission's words have no "disable").
    settings = {"encryption": "disable", "speed-limit-up": 321, "speed-limit-up-enabled": True,
                "download-queue-size": 7, "cache-size-mb": 12}
    check(rpc(daemon, "session-get")["arguments"]["cache-size-mb"] == 4, "the read cache's default (4 MiB)")
    check(rpc(daemon, "session-set", settings)["result"] == "success", "session-set before the restart")
    before = tr.rows()
    sigterm(daemon, lab)

    daemon = start_daemon(lab, "daemon", config, downloads)
    tr = Remote(lab, daemon)
    tr.wait_row(1, lambda r: r["status"] in ("Seeding", "Idle", "Uploading"), "seeding after the restart", 20)
    after = tr.rows()
    check({k: (v["name"], v["done"]) for k, v in after.items()} ==
          {k: (v["name"], v["done"]) for k, v in before.items()}, f"-l before {before}, after {after}")
    check(after[2]["status"] == "Stopped", f"the paused torrent is {after[2]['status']} after the restart")
    got = rpc(daemon, "session-get")["arguments"]
    check(got["bitveil-encryption"] == "disable" and got["speed-limit-up"] == 321 and got["speed-limit-up-enabled"]
          and got["download-queue-size"] == 7 and got["cache-size-mb"] == 12, f"settings after the restart: {got}")
    rpc(daemon, "session-set", {"encryption": "prefer", "speed-limit-up-enabled": False})
    m = daemon.wait_for(r"alpha: resume: (\d+) pieces trusted, (\d+) files rechecked \((\d+) pieces hashed",
                        10, "the resume line of alpha")
    check(int(m.group(1)) == tor_a.num_pieces and int(m.group(3)) == 0, f"alpha after the restart: {m.group(0)}")

    # kill -9 mid-download of beta (its seeder is slow), restart, finish. On the way, beta is paused half done:
    # a restart shows its progress before it runs (the resume record is read only when it starts).
    tr.run("-t", 2, "-s")
    row = wait_partial(tr, 2)
    tr.run("-t", 2, "-S")
    paused = tr.wait_row(2, lambda r: r["status"] == "Stopped", "beta paused half done", 10)
    sigterm(daemon, lab)
    daemon = start_daemon(lab, "daemon", config, downloads)
    tr = Remote(lab, daemon)
    again = tr.wait_row(2, lambda r: True, "beta listed after the restart", 10)
    check(again == paused, f"beta paused at {paused}, after the restart {again}")
    tr.run("-t", 2, "-s")
    row = wait_partial(tr, 2, above=int(paused["done"].rstrip("%")) + 5)
    lab.log(f"kill -9 at {row['done']}")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(5)
    daemon = start_daemon(lab, "daemon", config, downloads)
    tr = Remote(lab, daemon)
    tr.wait_row(2, lambda r: r["done"] == "100%", "beta 100% after kill -9 and restart", 90)
    pl_b.check_copy(downloads, "beta after kill -9 and a restart")
    sigterm(daemon, lab)


def downloaded(daemon):
    reply = rpc(daemon, "torrent-get", {"ids": [1], "fields": ["downloadedEver", "leftUntilDone"]})
    t = reply["arguments"]["torrents"][0]
    return t["downloadedEver"], t["leftUntilDone"]


def follow(lab, daemon, limit_kb, phase_seconds):
    """Sets speed-limit-down (KB/s; None: off) and samples the payload every 0.05 s for `phase_seconds`:
    (seconds until the rate over 0.25 s came within 25 % of the new limit (or above 8 MB/s for off),
    average rate of the phase's second half in B/s). Time figures are printed, not asserted."""
    args = {"speed-limit-down-enabled": limit_kb is not None}
    if limit_kb is not None:
        args["speed-limit-down"] = limit_kb
    t0 = time.monotonic()
    check(rpc(daemon, "session-set", args)["result"] == "success", f"session-set {args} failed")
    samples = []
    while time.monotonic() - t0 < phase_seconds:
        got, left = downloaded(daemon)
        samples.append((time.monotonic() - t0, got))
        if left == 0:
            break
        time.sleep(0.05)
    settled = None
    for i, (t, got) in enumerate(samples):
        j = next((k for k in range(i, len(samples)) if samples[k][0] >= t + 0.25), None)
        if j is None:
            break
        rate = (samples[j][1] - got) / (samples[j][0] - t)
        near = (abs(rate - limit_kb * 1000) <= 0.25 * limit_kb * 1000) if limit_kb is not None else rate > 8e6
        if near:
            settled = t
            break
    half = [x for x in samples if x[0] >= samples[-1][0] / 2]
    average = (half[-1][1] - half[0][1]) / max(half[-1][0] - half[0][0], 1e-3)
    lab.log(f"limit {limit_kb} KB/s: rate settled after {settled if settled is None else round(settled, 2)} s, "
            f"second half averaged {average / 1e6:.2f} MB/s")
    return settled, average


def runtime_limits(lab):
    # The seeder's own limit (20 MiB/s) keeps the unlimited phases from finishing the download at once.
    pl, tor, seeder = seeded(lab, "big", 160 * MiB, with_tracker=False, upload_limit=20 * MiB)
    daemon = start_daemon(lab, "daemon", lab.path("config"), lab.path("downloads"))
    tr = Remote(lab, daemon)
    rpc(daemon, "session-set", {"speed-limit-down": 2000, "speed-limit-down-enabled": True})
    tr.run("-a", f"magnet:?xt=urn:btih:{tor.info_hash_hex}&dn=big&x.pe=127.0.0.1:{seeder.port}")
    tr.wait_row(1, lambda r: r["done"] not in ("n/a", "0%"), "the download under way", 30)
    # Off, on, changed up and down, off again: each while the download runs.
    _, average = follow(lab, daemon, None, 2)
    check(average > 8e6, f"with the limit off the download averaged {average / 1e6:.2f} MB/s")
    for limit in (2000, 6000, 1000):
        _, average = follow(lab, daemon, limit, 5)
        check(abs(average - limit * 1000) <= 0.15 * limit * 1000,
              f"under a limit of {limit} KB/s the download averaged {average / 1e6:.2f} MB/s")
    _, average = follow(lab, daemon, None, 3)
    check(average > 8e6 or downloaded(daemon)[1] == 0, "turning the limit off did not speed it up")
    tr.wait_row(1, lambda r: r["done"] == "100%", "100%", 60)
    pl.check_copy(lab.path("downloads"), "big")


CASES = {
    "remote": (remote, 240, "transmission-remote's commands"),
    "auth": (auth, 120, "--rpc-auth"),
    "restart": (restart, 300, "SIGTERM, restart, kill -9"),
    "runtime_limits": (runtime_limits, 180, "session-set limits while downloading"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
