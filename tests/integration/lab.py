"""Helpers for bitveil's swarm tests: real peers on 127.0.0.1, one throw-away folder per test.

A test builds a `Lab` (a context manager) and asks it for processes: `lab.tracker()` (opentracker),
`lab.lt_peer()` (libtorrent, through lt_peer.py), `lab.aria2()`, `lab.bitveil()`, `lab.bad_peer()`.
Every process writes stdout and stderr to its own log under the lab folder; `Proc.wait_for(regex)`
polls that log with a deadline. When the `with` block ends (also on failure, on the test's time budget
running out, or on SIGTERM/SIGINT) every process is killed and the folder removed ($BITVEIL_KEEP_LAB=1
keeps it). Children also get SIGKILL if this process dies first (PR_SET_PDEATHSIG).

Rules the helpers follow so that two tests can run side by side in one loopback-only network namespace:
every port comes from the kernel (bind port 0) or from `--port 0` and the process's own report, every
client binds 127.0.0.1, and DHT, local discovery, UPnP, NAT-PMP and PEX are off in every third-party client.

Only the standard library is used here; libtorrent is used in lt_peer.py, run by /usr/bin/python3.
"""

import ctypes
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

KiB = 1024
MiB = 1024 * KiB

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LT_PEER = os.path.join(HERE, "lt_peer.py")
BAD_PEER = os.path.join(ROOT, "tools", "bad_peer.py")
BAD_TRACKER = os.path.join(ROOT, "tools", "bad_tracker.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's interpreter: the one python3-libtorrent is built for
SKIP_CODE = 77


class Skip(Exception):
    """A tool the test needs is missing: the test reports SKIP and exits 77."""


class Failure(AssertionError):
    """The client under test (or the setup) did something wrong."""


def check(cond, what):
    if not cond:
        raise Failure(what)


# ---------------------------------------------------------------------------------------------------
# Tools

def need_program(name):
    """The absolute path of `name`, or Skip when it is not installed."""
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/bin:/usr/sbin:/bin")
    if not path:
        raise Skip(f"{name} is not installed (apt-get install {PACKAGES.get(name, name)})")
    return path


PACKAGES = {"opentracker": "opentracker", "aria2c": "aria2", "libtorrent": "python3-libtorrent"}
_lt_ok = None


def need_libtorrent():
    global _lt_ok
    if _lt_ok is None:
        _lt_ok = os.path.exists(SYSTEM_PYTHON) and subprocess.run(
            [SYSTEM_PYTHON, "-c", "import libtorrent"], capture_output=True, timeout=60).returncode == 0
    if not _lt_ok:
        raise Skip(f"{SYSTEM_PYTHON} cannot import libtorrent (apt-get install python3-libtorrent)")


# ---------------------------------------------------------------------------------------------------
# Ports

def free_port(host="127.0.0.1"):
    """A port that is free for both TCP and UDP on `host` right now (the kernel picks it)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((host, port))
                except OSError:
                    continue
        return port
    raise Failure("no free port found")


_sanitized = {}


def sanitized(binary):
    """True when `binary` is built with AddressSanitizer/UBSan (scripts/test's build-asan). Their shadow memory
    and quarantine inflate RSS, and their runtime needs file descriptors of its own: memory bounds and
    descriptor exhaustion are checked on the normal build only."""
    if binary not in _sanitized:
        r = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
        _sanitized[binary] = bool(re.search(r"lib(asan|ubsan)", r.stdout))
    return _sanitized[binary]


def peak_rss_kib(pid):
    """VmHWM of a running process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
    check(m, f"no VmHWM in /proc/{pid}/status")
    return int(m.group(1))


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------------
# Bencode and .torrent files (small and trusting: the input comes from our own tests)

def bdecode(data, i=0):
    """(value, end): bytes for strings, int, list, dict with bytes keys."""
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
            out.setdefault(b"\0spans", {})[k] = (start, i)
        return out, i + 1
    if c.isdigit():
        j = data.index(b":", i)
        n = int(data[i:j])
        return data[j + 1:j + 1 + n], j + 1 + n
    raise ValueError(f"bad bencode at offset {i}")


class Torrent:
    """What the tests need to know about a .torrent file."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            data = f.read()
        top, _ = bdecode(data)
        a, b = top[b"\0spans"][b"info"]
        self.info_hash = hashlib.sha1(data[a:b]).digest()
        info = top[b"info"]
        self.name = info[b"name"].decode()
        self.piece_length = info[b"piece length"]
        self.num_pieces = len(info[b"pieces"]) // 20
        if b"files" in info:
            self.files = [(os.path.join(self.name, *(p.decode() for p in f[b"path"])), f[b"length"])
                          for f in info[b"files"]]
        else:
            self.files = [(self.name, info[b"length"])]
        self.total_size = sum(n for _, n in self.files)
        self.trackers = [top[b"announce"].decode()] if b"announce" in top else []

    @property
    def info_hash_hex(self):
        return self.info_hash.hex()


class Magnet:
    """A magnet link where the lab's helpers take a Torrent (they put `.path` on the command line): the info hash,
    the name as dn= when given, and tr= for each tracker."""

    def __init__(self, torrent, name=None, trackers=()):
        query = [("xt", "urn:btih:" + torrent.info_hash_hex)] + ([("dn", name)] if name else [])
        self.path = "magnet:?" + urllib.parse.urlencode(query + [("tr", t) for t in trackers], safe=":/")
        self.torrent = torrent


class Raw(bytes):
    """Bytes that bencode() copies as they are (an already encoded value, such as a torrent's info dict)."""


def bencode(v):
    """bytes for int, bytes/str, list, dict (keys sorted; the b"\0spans" key bdecode adds is skipped), Raw."""
    if isinstance(v, Raw):
        return bytes(v)
    if isinstance(v, bool) or not isinstance(v, (int, bytes, str, list, tuple, dict)):
        raise TypeError(f"cannot bencode {type(v).__name__}")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:" % len(v) + v
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items() if k != b"\0spans")
    return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"


def torrent_with_trackers(torrent, tiers, out_path):
    """A copy of `torrent` (same info dict bytes, so the same info-hash) whose trackers are `tiers`
    (a list of lists of URLs, BEP 12): 'announce' is the first URL, 'announce-list' all of them."""
    with open(torrent.path, "rb") as f:
        data = f.read()
    top, _ = bdecode(data)
    a, b = top[b"\0spans"][b"info"]
    top = {k: v for k, v in top.items() if k not in (b"\0spans", b"announce", b"announce-list")}
    top[b"info"] = Raw(data[a:b])
    if tiers:
        top[b"announce"] = tiers[0][0]
        top[b"announce-list"] = [list(t) for t in tiers]
    with open(out_path, "wb") as f:
        f.write(bencode(top))
    return Torrent(out_path)


# ---------------------------------------------------------------------------------------------------
# Payloads

class Payload:
    """Deterministic pseudo-random files under parent/name, with their sha256 remembered."""

    def __init__(self, parent, name, files, seed=None):
        """files: [(relative path, size)], or [] with name a single file's size via `single`."""
        self.parent, self.name = parent, name
        self.digests = {}  # path relative to parent -> (size, sha256 hex)
        rng = random.Random(seed if seed is not None else name)
        for rel, size in files:
            rel_path = os.path.join(name, rel) if rel else name
            path = os.path.join(parent, rel_path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            h = hashlib.sha256()
            with open(path, "wb") as f:
                left = size
                while left > 0:
                    chunk = rng.randbytes(min(left, 4 * MiB))
                    f.write(chunk)
                    h.update(chunk)
                    left -= len(chunk)
            self.digests[rel_path] = (size, h.hexdigest())
        self.total_size = sum(s for s, _ in self.digests.values())

    @classmethod
    def single(cls, parent, name, size, seed=None):
        return cls(parent, name, [("", size)], seed)

    @property
    def path(self):
        return os.path.join(self.parent, self.name)

    def problems_in(self, dest_parent):
        """What differs between the source files and dest_parent/<name>/...: [] when all match."""
        out = []
        for rel, (size, digest) in sorted(self.digests.items()):
            p = os.path.join(dest_parent, rel)
            if not os.path.isfile(p):
                out.append(f"{rel}: missing")
                continue
            got = os.path.getsize(p)
            if got != size:
                out.append(f"{rel}: size {got}, expected {size}")
                continue
            if sha256_file(p) != digest:
                out.append(f"{rel}: sha256 differs from the source")
        return out

    def check_copy(self, dest_parent, who):
        problems = self.problems_in(dest_parent)
        check(not problems, f"{who}: data in {dest_parent} is wrong: " + "; ".join(problems[:10]))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


# ---------------------------------------------------------------------------------------------------
# Processes

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup(as_nobody=False):
    def setup():
        if as_nobody and os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid: a uid change clears it
    return setup


# bitveil joins the public DHT through the public routers unless told otherwise, and no test may ever reach
# past loopback (not even to look a router's name up). Every bitveil command line a test or a benchmark runs
# goes through offline_argv: `download` and `seed` get --no-dht, and `dht` gets --no-dht-bootstrap, unless
# the command line chose its DHT options itself (a loopback --dht-bootstrap, say).
DHT_CHOICES = ("--no-dht", "--dht-bootstrap", "--no-dht-bootstrap")


def offline_argv(argv, bitveil):
    """`argv` (str or int items; a runner such as prlimit may come first) with the DHT kept on this machine
    when it runs `bitveil` (the path) with a subcommand that starts a session."""
    argv = [str(a) for a in argv]
    if any(a.split("=")[0] in DHT_CHOICES for a in argv) or str(bitveil) not in argv:
        return argv
    at = argv.index(str(bitveil)) + 1
    if at < len(argv) and argv[at] in ("download", "seed", "daemon"):
        return argv[:at + 1] + ["--no-dht"] + argv[at + 1:]
    if at < len(argv) and argv[at] == "dht":
        return argv[:at + 1] + ["--no-dht-bootstrap"] + argv[at + 1:]
    return argv


class Proc:
    """A child process with its output in a log file (a bitveil command line goes through offline_argv)."""

    def __init__(self, lab, name, argv, env=None, cwd=None, as_nobody=False):
        self.lab, self.name, self.argv = lab, name, offline_argv(argv, lab.bitveil_path)
        self.log_path = os.path.join(lab.logs, f"{name}.log")
        self._log = open(self.log_path, "ab")
        self._log.write(("$ " + " ".join(self.argv) + "\n").encode())
        self._log.flush()
        self.started = time.monotonic()
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True,
                                      preexec_fn=_child_setup(as_nobody))
        self.pid = self.popen.pid
        lab.procs.append(self)

    def __repr__(self):
        return f"{self.name}(pid {self.pid})"

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, lines=40):
        return "\n".join(self.text().splitlines()[-lines:])

    @property
    def returncode(self):
        return self.popen.poll()

    def alive(self):
        return self.popen.poll() is None

    def wait_for(self, pattern, timeout=30, what=None):
        """Poll the log for `pattern` (a regex); the match, or Failure on timeout or early exit."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text())
            if m:
                return m
            if not self.alive():
                m = rx.search(self.text())
                if m:
                    return m
                raise Failure(f"{self.name} exited with {exit_status(self.returncode)} before printing "
                              f"{what or repr(pattern)} (its log is below)")
            if time.monotonic() > end:
                raise Failure(f"{self.name}: no {what or repr(pattern)} within {timeout} s (its log is below)")
            time.sleep(0.05)

    def wait(self, timeout, what="to exit", watch=()):
        """The exit status; Failure if it runs longer than `timeout` seconds, or if a process in `watch`
        (one that must stay up meanwhile, such as the seeder) exits first."""
        end = time.monotonic() + timeout
        while True:
            try:
                return self.popen.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
            for w in watch:
                if not w.alive():
                    raise Failure(f"{w.name} exited with {exit_status(w.returncode)} while {self.name} was running "
                                  f"({what}; logs below)")
            if time.monotonic() > end:
                raise Failure(f"{self.name} did not finish within {timeout} s ({what}; logs below)")

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        """Send `sig`, wait up to `grace` s, then SIGKILL the whole process group. Returns the exit status."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
                self.popen.wait(timeout=grace)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        self._kill_group()
        rc = self.popen.wait()
        self._log.close()
        return rc

    def _kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def exit_status(rc):
    """Popen returncode -> shell-style status (a death by signal N becomes 128 + N)."""
    return 128 - rc if rc is not None and rc < 0 else rc


class Bitveil(Proc):
    """`bitveil download|seed` with --verbose and --stats-json; the port comes from its stderr."""

    def __init__(self, lab, name, argv, stats_path):
        super().__init__(lab, name, argv)
        self.stats_path = stats_path
        self._port = None

    @property
    def port(self):
        if self._port is None:
            m = self.wait_for(r"bitveil: listening on port (\d+)", 20, "'bitveil: listening on port N'")
            self._port = int(m.group(1))
        return self._port

    def stats(self):
        check(os.path.exists(self.stats_path), f"{self.name}: --stats-json file {self.stats_path} was not written")
        with open(self.stats_path) as f:
            text = f.read()
        try:
            return json.loads(text)
        except ValueError as e:
            raise Failure(f"{self.name}: stats json is not valid JSON ({e}): {text[:300]!r}")

    def dht_stats(self):
        """The "dht" object of its --stats-json ({} before the file is written)."""
        if not os.path.exists(self.stats_path):
            return {}
        return self.stats().get("dht", {})

    @property
    def dht_endpoint(self):
        """Its DHT node: the UDP socket of its listen address and port."""
        return f"{self.address}:{self.port}"

    def wait_dht_nodes(self, n, timeout=30):
        """Until its routing table holds n nodes (the stats file is rewritten every 2 s, `bitveil dht`, or
        every second)."""
        end = time.monotonic() + timeout
        while self.dht_stats().get("nodes", 0) < n:
            check(self.alive(), f"{self.name} exited with {exit_status(self.returncode)} (log below)")
            check(time.monotonic() < end, f"{self.name}: {self.dht_stats().get('nodes', 0)} nodes in its DHT "
                                          f"routing table after {timeout} s, expected {n} (log below)")
            time.sleep(0.2)

    def finish(self, timeout, what="download", watch=()):
        """Wait for exit 0 and return the stats."""
        rc = exit_status(self.wait(timeout, what, watch))
        check(rc == 0, f"{self.name}: {what} exited with {rc}, expected 0 (logs below)")
        return self.stats()


class LtPeer(Proc):
    """A libtorrent session (lt_peer.py); see that file for the lines it prints."""

    @property
    def port(self):
        return int(self.wait_for(r"^LISTENING port (\d+)", 30, "LISTENING").group(1))

    def wait_seeding(self, timeout=60):
        self.wait_for(r"^SEEDING", timeout, "SEEDING (data checked)")

    def wait_announced(self, timeout=30):
        self.wait_for(r"^ANNOUNCED", timeout, "ANNOUNCED (tracker reply)")

    def uploaded(self):
        """Payload bytes uploaded so far, from its latest STAT line."""
        found = re.findall(r"^STAT .* up=(\d+)", self.text(), re.M)
        return int(found[-1]) if found else 0

    # --- with --dht (address: the 127.0.0.x it binds; the DHT's UDP port is its listen port) ---------------

    def _dht_line(self):
        return self.wait_for(r"^DHT id=([0-9a-f]{40}) port=(\d+)", 30, "DHT id=.. (the DHT node running)")

    @property
    def dht_id(self):
        return self._dht_line().group(1)

    @property
    def dht_endpoint(self):
        return f"{self.address}:{self._dht_line().group(2)}"

    def dht_nodes(self):
        """The size of its routing table, from its latest `DHT nodes=N` line (0 before the first)."""
        found = re.findall(r"^DHT nodes=(\d+)", self.text(), re.M)
        return int(found[-1]) if found else 0

    def wait_dht_nodes(self, n, timeout=30):
        end = time.monotonic() + timeout
        while self.dht_nodes() < n:
            check(self.alive(), f"{self.name} exited with {exit_status(self.returncode)} (log below)")
            check(time.monotonic() < end, f"{self.name}: {self.dht_nodes()} nodes in its DHT routing table "
                                          f"after {timeout} s, expected {n} (log below)")
            time.sleep(0.1)

    def wait_dht_lookup(self, timeout=30):
        """Its first get_peers lookup ended (a torrent's: announce_peer goes out right after)."""
        self.wait_for(r"^DHT lookup done", timeout, "DHT lookup done")

    def dht_table(self):
        """Its --dht-stats: {"id", "port", "nodes": [{"id", "ip", "port"}], "counters": {...}} ({} before the first)."""
        try:
            with open(self.dht_stats_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}


class Tracker(Proc):
    """opentracker on host:port (TCP and UDP; 127.0.0.1 unless told), whitelisting exactly the given info-hashes."""

    host = "127.0.0.1"

    @property
    def url(self):
        return f"http://{self.host}:{self.port}/announce"

    def check_allowed(self, torrent, timeout=10):
        """Announce (event=stopped, so no peer is added) until the tracker accepts the info-hash."""
        q = urllib.parse.urlencode({"info_hash": torrent.info_hash, "peer_id": b"-XX0000-probeprobepr",
                                    "port": 9, "uploaded": 0, "downloaded": 0, "left": 0,
                                    "event": "stopped", "compact": 1})
        end, last = time.monotonic() + timeout, ""
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"{self.url}?{q}", timeout=2) as r:
                    last = r.read()
                if b"failure reason" not in last:
                    return
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        raise Failure(f"tracker does not accept {torrent.info_hash_hex}: {last!r}; log:\n{self.tail()}")


# ---------------------------------------------------------------------------------------------------
# The lab

class Lab:
    def __init__(self, name, bitveil, budget):
        self.name, self.bitveil_path, self.budget = name, bitveil, budget
        self.procs = []

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix=f"bitveil-{self.name}-")
        os.chmod(self.dir, 0o755)  # opentracker runs as nobody and chdirs below it
        self.logs = self.path("logs")
        self.home = self.path("home")  # HOME for third-party clients, so nothing reads or writes ~
        # bitveil keeps its resume records in $XDG_STATE_HOME/bitveil: in the lab, not in root's ~.
        self.state_home = self.path("state")
        self._old_state_home = os.environ.get("XDG_STATE_HOME")
        os.environ["XDG_STATE_HOME"] = self.state_home
        self.t0 = time.monotonic()

        def on_alarm(*_):
            raise Failure(f"test ran over its {self.budget} s budget")

        def on_term(sig, _):
            raise Failure(f"interrupted by signal {sig}")

        self._old = {s: signal.signal(s, h) for s, h in
                     ((signal.SIGALRM, on_alarm), (signal.SIGTERM, on_term), (signal.SIGINT, on_term))}
        signal.alarm(self.budget)
        return self

    def __exit__(self, exc_type, exc, tb):
        signal.alarm(0)
        if self._old_state_home is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = self._old_state_home
        for p in reversed(self.procs):
            try:
                p.stop(grace=3)
            except Exception:  # keep cleaning up whatever happens
                traceback.print_exc()
        for s, h in self._old.items():
            signal.signal(s, h)
        if exc_type is not None and not issubclass(exc_type, Skip):
            self.dump_logs()
        if os.environ.get("BITVEIL_KEEP_LAB") == "1":
            print(f"lab kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def resume_records(self, tor, resume_dir=None):
        """The resume records of `tor` in `resume_dir` (default: bitveil's default one, under the lab's
        XDG_STATE_HOME): one per download folder, named <info-hash hex>-<folder key>.resume."""
        folder = resume_dir or os.path.join(self.state_home, "bitveil")
        prefix = tor.info_hash_hex + "-"
        return sorted(os.path.join(folder, n) for n in (os.listdir(folder) if os.path.isdir(folder) else [])
                      if n.startswith(prefix) and n.endswith(".resume"))

    def path(self, *parts):
        p = os.path.join(self.dir, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def elapsed(self):
        return time.monotonic() - self.t0

    def log(self, msg):
        print(f"[{self.elapsed():6.2f}s] {msg}", flush=True)

    def dump_logs(self, lines=60):
        for p in self.procs:
            print(f"----- {p.name} (exit {exit_status(p.returncode)}), last {lines} lines of {p.log_path}")
            print(p.tail(lines))
            if isinstance(p, Bitveil) and os.path.exists(p.stats_path):
                with open(p.stats_path) as f:
                    print(f"----- {p.name}: {os.path.basename(p.stats_path)}\n{f.read().strip()}")
        for name in sorted(os.listdir(self.logs)):
            if name.endswith(".aria2-debug.log"):  # why aria2 dropped connections
                with open(os.path.join(self.logs, name), errors="replace") as f:
                    hits = [ln.rstrip() for ln in f if "Exception" in ln or "[ERROR]" in ln]
                print(f"----- {name}: last errors\n" + "\n".join(hits[-15:]))
        print("-----", flush=True)

    # --- torrents ------------------------------------------------------------------------------

    def create_torrent(self, payload, tracker_url=None, piece_size=None, private=False):
        out = os.path.join(self.path("torrents"), payload.name + ".torrent")
        argv = [self.bitveil_path, "create", payload.path, "-o", out, "--quiet"]
        if private:
            argv.append("--private")
        if tracker_url:
            argv += ["--tracker", tracker_url]
        if piece_size:
            argv += ["--piece-size", str(piece_size)]
        r = subprocess.run(argv, capture_output=True, timeout=120)
        check(r.returncode == 0, f"bitveil create failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
        return Torrent(out)

    # --- processes -----------------------------------------------------------------------------

    def tracker_url(self, host="127.0.0.1"):
        """Reserve a port for the tracker on `host` (so its URL can go into the torrent before it starts)."""
        need_program("opentracker")
        self._tracker_host = host
        self._tracker_port = free_port(host)
        return f"http://{host}:{self._tracker_port}/announce"

    def tracker(self, torrents, name="opentracker"):
        """opentracker on the port tracker_url() reserved, with its own state folder; whitelists `torrents`
        and waits until it accepts them."""
        exe = need_program("opentracker")
        state = self.path(name)
        os.chmod(state, 0o755)
        wl = os.path.join(state, "whitelist.txt")
        with open(wl, "w") as f:
            f.writelines(t.info_hash_hex + "\n" for t in torrents)
        os.chmod(wl, 0o644)
        host, port = self._tracker_host, self._tracker_port
        # As root it would chroot to -d and drop to nobody, and a uid change clears PR_SET_PDEATHSIG:
        # start it as nobody instead, so it only chdirs to -d (the whitelist path is relative to it).
        t = Tracker(self, name, [exe, "-i", host, "-p", port, "-P", port, "-d", state, "-w", "whitelist.txt"],
                    cwd=state, as_nobody=True)
        t.host, t.port = host, port
        end = time.monotonic() + 10
        while not port_open(port, host):
            check(t.alive(), f"opentracker exited with {t.returncode}:\n{t.tail()}")
            check(time.monotonic() < end, f"opentracker is not listening on {port} after 10 s:\n{t.tail()}")
            time.sleep(0.05)
        for tor in torrents:
            t.check_allowed(tor)
        return t

    def next_address(self):
        """A 127.x.y.z address no other process of this lab uses: libtorrent keeps one DHT node per IP address.
        The second byte comes from the process id, so tests running side by side use different addresses."""
        self._addresses = getattr(self, "_addresses", 0) + 1
        n = self._addresses
        check(n < 250 * 250, "out of loopback addresses")
        return f"127.{os.getpid() % 200 + 20}.{n // 250}.{n % 250 + 1}"

    def lt_peer(self, name, torrent, save, seed, peers=(), no_tracker=False, upload_limit=0, timeout=None,
                encryption="enabled", pex=False, extra=(), address="127.0.0.1", dht_nodes=None):
        """lt_peer.py; `extra`: more of its arguments (--set NAME=VALUE, --remote-class, --peer-log).
        dht_nodes (a list of HOST:PORT, maybe empty): run its DHT (--dht, --dht-stats <lab>/<name>.dht.json), bound
        to `address`, and add these nodes. torrent=None: a bare DHT node (--bare)."""
        need_libtorrent()
        if torrent is None:
            argv = [SYSTEM_PYTHON, LT_PEER, "--bare", "--port", 0]
        else:
            argv = [SYSTEM_PYTHON, LT_PEER, torrent.path, "--seed" if seed else "--leech", "--save", save,
                    "--port", 0, "--encryption", encryption]
        argv += ["--address", address]
        stats = os.path.join(self.dir, f"{name}.dht.json")
        if dht_nodes is not None:
            argv += ["--dht", "--dht-stats", stats]
            for n in dht_nodes:
                argv += ["--dht-node", n]
        for p in peers:
            argv += ["--peer", p]
        if no_tracker:
            argv.append("--no-tracker")
        if upload_limit:
            argv += ["--upload-limit", upload_limit]
        if timeout:
            argv += ["--timeout", timeout]
        if pex:
            argv.append("--pex")
        argv += list(extra)
        p = LtPeer(self, name, argv)
        p.address, p.dht_stats_path = address, stats
        return p

    def lt_dht_nodes(self, n, bootstrap=(), prefix="lt-dht", extra=()):
        """n bare libtorrent DHT nodes, each on its own address; each knows `bootstrap` and the nodes started
        before it (so they form one DHT). Returns them once each is running (not yet with a full table)."""
        nodes, known = [], list(bootstrap)
        for i in range(n):
            node = self.lt_peer(f"{prefix}{i}", None, None, False, address=self.next_address(), dht_nodes=known,
                                extra=extra)
            nodes.append(node)
            known = known + [node.dht_endpoint]
        return nodes

    def aria2(self, name, torrent, dir, seed, verify=True):
        """aria2c on a free port; --seed verifies dir/<name> and seeds forever, else it leeches and exits 0 when done.
        verify=False (with seed): seeds dir/<name> as it is, without hashing it (--bt-seed-unverified), so it
        serves whatever the files hold. aria2 finds peers only through the torrent's tracker (it cannot dial a
        given address)."""
        exe = need_program("aria2c")
        port = free_port()
        argv = [exe, "--no-conf", f"--dir={dir}", f"--listen-port={port}", "--interface=127.0.0.1",
                "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                "--enable-peer-exchange=false", "--bt-tracker-interval=3", "--file-allocation=none",
                "--allow-overwrite=true", "--auto-save-interval=0", "--summary-interval=5",
                "--console-log-level=notice", "--enable-color=false", "--bt-require-crypto=false",
                "--bt-min-crypto-level=plain", "--max-overall-upload-limit=0", "--max-overall-download-limit=0",
                "--bt-stop-timeout=0", "--bt-save-metadata=false", "--follow-torrent=false",
                f"--log={os.path.join(self.logs, name + '.aria2-debug.log')}", "--log-level=debug"]
        if seed and not verify:
            argv += ["--check-integrity=false", "--bt-seed-unverified=true", "--seed-ratio=0.0"]
        elif seed:
            argv += ["--check-integrity=true", "--seed-ratio=0.0", "--bt-hash-check-seed=true"]
        else:
            argv += ["--seed-time=0"]
        argv.append(torrent.path)
        env = dict(os.environ, HOME=self.home)
        p = Proc(self, name, argv, env=env, cwd=self.home)
        p.port = port
        return p

    def bad_peer(self, name, torrent, mode, extra=()):
        argv = [sys.executable, BAD_PEER, torrent.path, "--port", 0, "--mode", mode, *extra]
        p = Proc(self, name, argv)
        p.port = int(p.wait_for(r"^LISTENING 127\.0\.0\.1:(\d+)", 20, "LISTENING").group(1))
        return p

    def bad_tracker(self, name, http=(), udp=(), host="127.0.0.1", peers=()):
        """tools/bad_tracker.py with one port per mode; returns (proc, {("http"|"udp", mode): url})."""
        argv = [sys.executable, BAD_TRACKER, "--host", host, "--http", ",".join(http), "--udp", ",".join(udp)]
        for p in peers:
            argv += ["--peer", p]
        p = Proc(self, name, argv)
        urls, end = {}, time.monotonic() + 20
        while len(urls) < len(http) + len(udp):
            for proto, mode, where in re.findall(r"^LISTENING (http|udp) (\w+) (\S+)$", p.text(), re.M):
                urls[(proto, mode)] = f"http://{where}/announce" if proto == "http" else f"udp://{where}/announce"
            check(p.alive(), f"{name} exited with {p.returncode}:\n{p.tail()}")
            check(time.monotonic() < end, f"{name}: not listening after 20 s:\n{p.tail()}")
            time.sleep(0.05)
        return p, urls

    def bitveil(self, name, command, torrent, dir, peers=(), extra=(), port=0, address="127.0.0.1"):
        """`bitveil download|seed` of one torrent (or a list: one session) bound to `address` with --verbose and
        --stats-json <lab>/<name>.stats.json.
        Restarting under the same name replaces the stats file (the old one is renamed .1, .2, ...)."""
        stats = os.path.join(self.dir, f"{name}.stats.json")
        n = 1
        while os.path.exists(stats):
            stats = os.path.join(self.dir, f"{name}.{n}.stats.json")
            n += 1
        torrents = torrent if isinstance(torrent, (list, tuple)) else [torrent]
        argv = [self.bitveil_path, command, *[t.path for t in torrents], "-d", dir, "--listen-address", address,
                "--port", port, "--stats-json", stats, "--verbose"]
        for p in peers:
            argv += ["--peer", p]
        argv += list(extra)
        log_name = name
        n = 1
        while os.path.exists(os.path.join(self.logs, log_name + ".log")):
            log_name = f"{name}.run{n + 1}"
            n += 1
        b = Bitveil(self, log_name, argv, stats)
        b.address = address
        return b

    def dht_args(self, name, bootstrap=()):
        """bitveil's DHT options for a lab process: the nodes to bootstrap from (none: --no-dht-bootstrap, so
        never the public routers) and a state file of its own (<lab>/<name>.dht.state; the default one in the
        resume folder would be shared by every process of the lab)."""
        args = ["--dht-state", os.path.join(self.dir, f"{name}.dht.state")]
        for b in bootstrap:
            args += ["--dht-bootstrap", b]
        return args + ([] if bootstrap else ["--no-dht-bootstrap"])

    def bitveil_dht(self, name, address, bootstrap=(), extra=()):
        """`bitveil dht` (a node with no torrent) on `address`, a free port, --stats-json <lab>/<name>.stats.json."""
        stats = os.path.join(self.dir, f"{name}.stats.json")
        argv = [self.bitveil_path, "dht", "--listen-address", address, "--port", 0, "--stats-json", stats,
                "--verbose", *self.dht_args(name, bootstrap), *extra]
        b = Bitveil(self, name, argv, stats)
        b.address = address
        return b

    def loopback_dht(self, n_bitveil, n_lt):
        """A DHT of n_bitveil `bitveil dht` nodes, then n_lt libtorrent nodes joining through two of ours (their
        bootstrap lookup queries ours, and each that answers enters their table); returned once every node knows
        two others."""
        need_libtorrent()
        bv = self.bitveil_dht_nodes(n_bitveil)
        lts = self.lt_dht_nodes(n_lt, bootstrap=[bv[0].dht_endpoint, bv[-1].dht_endpoint])
        for n in bv:
            n.wait_dht_nodes(2, 30)
        for n in lts:
            n.wait_dht_nodes(2, 30)
        self.log(f"DHT of {n_bitveil} bitveil and {n_lt} libtorrent nodes up: bitveil tables "
                 f"{[n.dht_stats().get('nodes') for n in bv]}, libtorrent tables {[n.dht_nodes() for n in lts]}")
        return bv, lts

    def bitveil_dht_nodes(self, n, prefix="bv-dht"):
        """n `bitveil dht` nodes, each on its own address: the first bootstraps from nobody, each next one from
        the first and the one before it. Returns them once each listens."""
        nodes = []
        for i in range(n):
            boot = [nodes[0].dht_endpoint] + ([nodes[-1].dht_endpoint] if len(nodes) > 1 else []) if nodes else []
            nodes.append(self.bitveil_dht(f"{prefix}{i}", self.next_address(), boot))
            nodes[-1].port  # noqa: B018 (waits until it listens, so the next one can bootstrap from it)
        return nodes


# ---------------------------------------------------------------------------------------------------
# Running cases

def main(cases, doc):
    """usage: PROG --bitveil PATH [--list] CASE...   -- exit 0 pass, 1 fail, 77 skipped."""
    import argparse
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bitveil", help="path to the bitveil binary under test")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("case", nargs="*", help="cases to run (default: all, one after another)")
    a = ap.parse_args()
    if a.list:
        for name, (_, _, text) in cases.items():
            print(f"{name:24} {text}")
        return 0
    if not a.bitveil:
        ap.error("--bitveil is required")
    for name in a.case:
        if name not in cases:
            ap.error(f"unknown case {name!r}; --list shows them")
    bitveil = os.path.abspath(a.bitveil)
    if not os.access(bitveil, os.X_OK):
        print(f"FAIL: {bitveil} is not an executable")
        return 1
    results = {}
    for name in a.case or list(cases):
        fn, budget, _ = cases[name]
        print(f"=== {name} (budget {budget} s)", flush=True)
        t0 = time.monotonic()
        try:
            with Lab(name, bitveil, budget) as lab:
                fn(lab)
            results[name] = "PASS"
        except Skip as e:
            results[name] = f"SKIP: {e}"
            print(results[name])
        except Failure as e:
            results[name] = f"FAIL: {e}"
        except Exception:  # a bug in the test itself
            results[name] = "FAIL: test error\n" + traceback.format_exc()
        print(f"=== {name}: {results[name]} ({time.monotonic() - t0:.1f} s)", flush=True)
    if any(r.startswith("FAIL") for r in results.values()):
        return 1
    if all(r.startswith("SKIP") for r in results.values()):
        return SKIP_CODE
    return 0
