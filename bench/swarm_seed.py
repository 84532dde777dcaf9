"""bench/swarm --seed: the seeding benchmark.

For every (layout, leechers, mode), --runs times, each seeder client (interleaved: run 1 of every client, then run
2 ...):
1. starts cold on 127.0.0.1 with a fresh settings and resume folder, seeding the tracker-less torrent from the
   payload's folder, and is waited for until it has checked the data and listens;
2. the page cache is dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`; when that fails the rows say so), so the
   seeder reads the data from the disk;
3. the seeder's CPU time is sampled, then 1 to 8 bench/lt_driver leechers start at once, each on its own address
   (127.0.0.11, .12, ...) dialling the seeder directly (no tracker, DHT, LSD or PEX: the seeder is their only peer);
4. once every leecher has exited, the seeder's CPU time and peak RSS are read, then it is stopped (SIGTERM).
Measured: wall seconds from the first leecher's start to the last one's exit; delivered MB/s = payload bytes x
leechers / 10^6 / wall; the seeder's CPU seconds (utime + stime of it and its waited-for children, /proc/PID/stat)
between the leechers' start and the end, per GiB the leechers downloaded (so the initial check is left out); its
peak RSS (VmHWM, /proc/PID/status, at the end: it includes the check; the peak before the leechers start is in
the CSV as rss_check_mib).
A run counts only if every leecher exits 0 (complete) before the timeout, reports that its connection to the
seeder had the mode's encryption (plain: none, rc4: rc4), and (unless --trust-hash-check) every file's sha256
equals the source.
"""
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request

import lab
import swarm_clients
import swarm_report

GiB = 1 << 30
SEEDER_ADDRESS = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def leecher_address(i):
    return f"127.0.0.{11 + i}"


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# What the kernel says about the seeder


def cpu_seconds(pid):
    """utime + stime of `pid` and of the children it waited for (fields 14-17 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return sum(int(x) for x in fields[11:15]) / CLOCK_TICKS  # fields[0] is field 3 (state)


def listens(port):
    """Something listens on TCP `port` (IPv4 or IPv6)."""
    suffix = f":{port:04X}"
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(suffix) and fields[3] == "0A":
                    return True
    return False


def drop_page_cache():
    """None when the page cache was dropped, else why not."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return None
    except OSError as e:
        return f"cannot drop the page cache ({e.strerror})"


# ---------------------------------------------------------------------------------------------------
# RPC of the seeders that have one (127.0.0.1 only)


def aria2_rpc(port, method, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": "bench", "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/jsonrpc", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)["result"]


class TransmissionRpc:
    """Transmission's RPC: the first call gets the X-Transmission-Session-Id from its 409 answer."""

    def __init__(self, port):
        self.url, self.session_id = f"http://127.0.0.1:{port}/transmission/rpc", ""

    def call(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments}).encode()
        for _ in range(3):
            req = urllib.request.Request(self.url, data=body, headers={"X-Transmission-Session-Id": self.session_id})
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    reply = json.load(r)
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.session_id = e.headers.get("X-Transmission-Session-Id", "")
                continue
            lab.check(reply.get("result") == "success", f"transmission RPC {method}: {reply}")
            return reply["arguments"]
        raise lab.Failure(f"transmission RPC {method}: no session id")


# ---------------------------------------------------------------------------------------------------
# Starting a seeder and waiting until it serves


def wait_until(seeder, timeout, what, ready):
    """Call ready() every 0.1 s until it is true; Failure when the seeder exits or the time is up."""
    end = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except OSError:  # its RPC is not up yet
            pass
        lab.check(seeder.alive(), f"{seeder.name} exited with {lab.exit_status(seeder.returncode)} before {what}:\n"
                  f"{seeder.tail()}")
        lab.check(time.monotonic() < end, f"{seeder.name}: not {what} after {timeout:.0f} s:\n{seeder.tail()}")
        time.sleep(0.1)


def aria2_seeding(port, size):
    active = aria2_rpc(port, "aria2.tellActive", ["status", "seeder", "completedLength", "totalLength",
                                                   "verifiedLength", "verifyIntegrityPending"])
    return bool(active) and all(d.get("seeder") == "true" and "verifiedLength" not in d and
                                "verifyIntegrityPending" not in d and int(d["completedLength"]) == size
                                for d in active)


class TransmissionTorrent:
    """The torrent added to a transmission-daemon, followed until it seeds (status 6) with every byte checked."""

    FIELDS = ["status", "haveValid", "sizeWhenDone", "error", "errorString", "recheckProgress"]

    def __init__(self, rpc, torrent, data_parent):
        self.rpc = rpc
        added = rpc.call("torrent-add", filename=torrent, **{"download-dir": data_parent, "paused": False})
        self.id = (added.get("torrent-added") or added.get("torrent-duplicate"))["id"]
        self.verify_asked = False

    def seeding(self):
        t = self.rpc.call("torrent-get", ids=[self.id], fields=self.FIELDS)["torrents"][0]
        lab.check(t["error"] == 0, f"transmission: torrent error {t['errorString']!r}")
        if t["status"] == 6 and t["haveValid"] == t["sizeWhenDone"]:
            return True
        if t["status"] not in (1, 2) and not self.verify_asked:  # not checking, and not complete: check it
            self.rpc.call("torrent-verify", ids=[self.id])
            self.verify_asked = True
        return False


def start_seeder(L, a, client, tag, payload, torrent, mode):
    home = L.path("home", tag)
    port, rpc_port = lab.free_port(SEEDER_ADDRESS), lab.free_port()
    spec = swarm_clients.seeder(client, bitveil=a.bitveil, lt_driver=a.lt_driver, torrent=torrent.path,
                                data_parent=payload.parent, home=home, address=SEEDER_ADDRESS, port=port,
                                rpc_port=rpc_port, mode=mode)
    seeder = lab.Proc(L, f"seeder-{tag}", spec.argv, env=spec.env, cwd=home)
    check_timeout = 120 + payload.total_size / 20e6
    if spec.ready == "lt_driver":
        seeder.wait_for(r"^SEEDING", check_timeout, "SEEDING (data checked)")
    elif spec.ready == "bitveil":
        seeder.wait_for(r": all \d+ pieces on disk", check_timeout, "its check report ('all N pieces on disk')")
    elif spec.ready == "aria2":
        wait_until(seeder, check_timeout, "seeding (aria2.tellActive)",
                   lambda: aria2_seeding(spec.rpc_port, payload.total_size))
    elif spec.ready == "transmission":
        rpc = TransmissionRpc(spec.rpc_port)
        added = []
        wait_until(seeder, 30, "answering RPC", lambda: added.append(TransmissionTorrent(rpc, torrent.path,
                                                                                         payload.parent)) or True)
        wait_until(seeder, check_timeout, "seeding (torrent-get)", added[0].seeding)
    wait_until(seeder, 30, f"listening on port {port}", lambda: listens(port))
    return seeder, port


# ---------------------------------------------------------------------------------------------------
# One run: one seeder, its leechers


def encryption_of(leecher):
    """The kinds of connection the leecher's ENCRYPTION line counts, e.g. "rc4"; "-" without such a line or peers."""
    m = re.search(r"^ENCRYPTION peers=(\d+) none=(\d+) rc4=(\d+) mse-plain=(\d+)", leecher.text(), re.M)
    if not m or m.group(1) == "0":
        return "-"
    kinds = [kind for kind, n in zip(("none", "rc4", "mse-plain"), m.groups()[1:]) if int(n) > 0]
    return ",".join(kinds)


def payload_down(leecher):
    m = re.search(r"^TOTAL payload_up=\d+ payload_down=(\d+)", leecher.text(), re.M)
    return int(m.group(1)) if m else 0


def seed_run(L, a, client, layout, count, mode, run, payload, torrent):
    tag = f"{layout}-l{count}-{mode}-{client}-{run}"
    timeout = a.timeout * count
    seeder, port = start_seeder(L, a, client, tag, payload, torrent, mode)
    cache = drop_page_cache() or "dropped"
    leechers, finished = [], {}
    rss_check_kib = lab.peak_rss_kib(seeder.pid)  # the peak so far: start-up and the data check
    cpu_before, t0 = cpu_seconds(seeder.pid), time.monotonic()
    for i in range(count):
        dest = L.path("dl", tag, str(i + 1))
        argv = swarm_clients.lt_driver_leecher(a.lt_driver, torrent.path, dest, leecher_address(i),
                                               [f"{SEEDER_ADDRESS}:{port}"], mode, int(timeout))
        leechers.append((lab.Proc(L, f"leech-{tag}-{i + 1}", argv, cwd=dest), dest))

    def reap(i, proc):  # waitpid, so that this process spends no CPU while the leechers run
        proc.popen.wait()
        finished[i] = time.monotonic()

    waiters = [threading.Thread(target=reap, args=(i, p), daemon=True) for i, (p, _) in enumerate(leechers)]
    for w in waiters:
        w.start()
    timed_out = False
    for w in waiters:
        while w.is_alive() and seeder.alive() and not timed_out:
            w.join(0.2)
            timed_out = time.monotonic() - t0 > timeout
    seeder_alive = seeder.alive()
    if seeder_alive:
        cpu, rss_kib = cpu_seconds(seeder.pid) - cpu_before, lab.peak_rss_kib(seeder.pid)
    else:
        cpu, rss_kib = 0.0, 0
    end = max(finished.values()) if len(finished) == count else time.monotonic()
    for p, _ in leechers:
        p.stop(grace=1)
    seeder.stop(grace=10)
    wall = end - t0
    downloaded = sum(payload_down(p) for p, _ in leechers)
    encs = sorted({encryption_of(p) for p, _ in leechers})
    want = "rc4" if mode == "rc4" else "none"
    failed = [(i + 1, lab.exit_status(p.returncode)) for i, (p, _) in enumerate(leechers) if p.returncode != 0]
    if not seeder_alive:
        status = f"the seeder exited with {lab.exit_status(seeder.returncode)}"
    elif timed_out:
        status = f"timed out after {timeout:.0f} s ({count - len(finished)} leecher(s) unfinished)"
    elif failed:
        status = f"leecher {failed[0][0]} exit status {failed[0][1]} ({len(failed)} failed)"
    elif encs != [want]:
        status = f"encryption {','.join(encs)}, expected {want}"
    else:
        status = "ok"
        if not a.trust_hash_check:
            for i, (_, dest) in enumerate(leechers):
                problems = payload.problems_in(dest)
                if problems:
                    status = f"leecher {i + 1}: data wrong: {problems[0]} ({len(problems)} file(s))"
                    break
    for _, dest in leechers:
        shutil.rmtree(dest, ignore_errors=True)
    uploaded_gib = (downloaded or payload.total_size * count) / GiB
    row = {"layout": layout, "leechers": count, "mode": mode, "client": client, "run": run, "ok": status == "ok",
           "status": status, "wall_s": round(wall, 3), "mb_s": round(payload.total_size * count / wall / 1e6, 1),
           "cpu_s": round(cpu, 3), "cpu_s_per_gib": round(cpu / uploaded_gib, 3), "rss_mib": round(rss_kib / 1024, 1),
           "rss_check_mib": round(rss_check_kib / 1024, 1), "enc": ",".join(encs), "uploaded": downloaded, "page_cache": cache}
    say(f"[{L.elapsed():7.1f}s] {tag}: {status}: {wall:.2f} s, {row['mb_s']} MB/s delivered, seeder CPU {cpu:.2f} s "
        f"({row['cpu_s_per_gib']} s/GiB), RSS {row['rss_mib']:.0f} MiB ({row['rss_check_mib']:.0f} after the check), enc {row['enc']}, page cache {cache}")
    if status != "ok":
        say("  last lines of the seeder's log:\n    " + "\n    ".join(seeder.tail(15).splitlines()))
        for p, _ in leechers:
            if p.returncode != 0:
                say(f"  last lines of {p.name}'s log:\n    " + "\n    ".join(p.tail(10).splitlines()))
                break
    return row


# ---------------------------------------------------------------------------------------------------


def main(a, make_payload, machine):
    """bench/swarm --seed (a: bench/swarm's parsed arguments); the process exit status."""
    for c, prog in (("aria2", "aria2c"), ("transmission", "transmission-daemon")):
        if c in a.client_list:
            lab.need_program(prog)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    host = machine()
    say(f"bench/swarm --seed {started}; {host}")
    runs_total = len(a.layouts) * len(a.leecher_counts) * len(a.modes) * len(a.client_list) * a.runs
    budget = int(3600 + runs_total * (a.timeout * max(a.leecher_counts) + 120))
    rows = []
    with lab.Lab("swarm-seed", a.bitveil, budget) as L:
        for layout in a.layouts:
            t = time.monotonic()
            payload = make_payload(L, layout, a.size << 20)
            torrent = L.create_torrent(payload, piece_size=1 << 20)  # no tracker
            say(f"[{L.elapsed():7.1f}s] payload {layout}: {len(payload.digests)} file(s), {payload.total_size} bytes, "
                f"{torrent.num_pieces} pieces ({time.monotonic() - t:.1f} s)")
            for count in a.leecher_counts:
                for mode in a.modes:
                    for run in range(1, a.runs + 1):
                        for client in a.client_list:
                            rows.append(seed_run(L, a, client, layout, count, mode, run, payload, torrent))
            shutil.rmtree(payload.path, ignore_errors=True)
    summaries = swarm_report.summarize(rows, count_field="leechers")
    ratio_rows = swarm_report.seed_ratios(summaries)
    versions = swarm_clients.versions(a.bitveil, lab.SYSTEM_PYTHON, a.lt_driver)
    versions["transmission"] = versions["transmission-daemon"]
    versions["libtorrent"] = versions["libtorrent-cpp"]
    caches = sorted({r["page_cache"] for r in rows})
    cache_line = ("The page cache was dropped before every run." if caches == ["dropped"] else
                  "The page cache was NOT dropped before every run: " + "; ".join(c for c in caches if c != "dropped")
                  + " (the seeders may have read the data from memory).")
    command = "bench/swarm " + " ".join(sys.argv[1:])
    text = "\n".join([
        f"Date: {started}. Machine: {host}. Command: `{command}`.",
        f"Seeding: {a.size} MiB per layout (single: 1 file; multi: 200 files), 1 MiB pieces; {a.runs} run(s) per "
        f"seeder; leechers: bench/lt_driver on 127.0.0.11 and up, dialling the seeder on {SEEDER_ADDRESS}. "
        + cache_line + (" The leechers' files were not compared with the source (--trust-hash-check: libtorrent "
                        "checked every piece's SHA-1)." if a.trust_hash_check else
                        " Every leecher's files were compared with the source (sha256)."),
        "Seeders: " + "; ".join(f"{c}: {versions[c]}" for c in a.client_list) + ".",
        "",
        swarm_report.seed_markdown(summaries, ratio_rows),
    ])
    print()
    print(text)
    if a.csv:
        swarm_report.write_csv(a.csv, rows, summaries, {"date": started, "machine": host},
                               fields=swarm_report.SEED_RUN_FIELDS, count_field="leechers")
        say(f"wrote {a.csv}")
    if a.results:
        with open(a.results, "a") as f:
            f.write(f"\n## {started}{': ' + a.label if a.label else ''}\n\n{text}\n")
        say(f"appended to {a.results}")
    return 0 if all(r["ok"] for r in rows) else 1
