"""Headless Chromium for bitveil's browser tests: tests/web/driver.js (playwright-core driving Debian's
/usr/bin/chromium) as a child of the lab, one JSON command and one JSON reply per line.

`need_browser()` raises Skip (exit 77) with the reason when Chromium, Node.js or playwright-core is missing
(scripts/deps installs them). `Browser(lab)` starts the driver; its calls return the reply's value and raise
Failure on an error. Everything the page reports (console errors and warnings, uncaught exceptions, dialogs,
failed requests) is collected; `check_console()` fails on any of it but warnings and one expected entry: Chromium
logs each 409 of the RPC's session-id handshake as "Failed to load resource: ... status of 409", and both
pages get that reply by design on their first request.
Screenshots go to the artifacts folder: $BITVEIL_ARTIFACTS, else test-artifacts beside the bitveil binary
(the build folder).
"""
import json
import os
import re
import shutil
import subprocess
import time

from lab import ROOT, Failure, Skip, _child_setup, check

CHROMIUM = os.environ.get("BITVEIL_CHROMIUM", "/usr/bin/chromium")
WEB = os.path.join(ROOT, "tests", "web")
DRIVER = os.path.join(WEB, "driver.js")
PLAYWRIGHT = os.path.join(WEB, "node_modules", "playwright-core", "package.json")
HANDSHAKE_409 = re.compile(r"^Failed to load resource: the server responded with a status of 409\b")


def is_rpc(url):
    return url.split("?")[0].rstrip("/").endswith("/transmission/rpc")


def need_browser():
    if not os.access(CHROMIUM, os.X_OK):
        raise Skip(f"{CHROMIUM} is missing (apt-get install chromium; scripts/deps does)")
    node = shutil.which("node")
    if not node:
        raise Skip("node is missing (apt-get install nodejs npm; scripts/web-deps does)")
    r = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    m = re.match(r"v(\d+)", r.stdout.strip())
    if not m or int(m.group(1)) < 18:
        raise Skip(f"node {r.stdout.strip() or '?'} is too old for playwright-core (18 or newer)")
    if not os.path.exists(PLAYWRIGHT):
        raise Skip(f"playwright-core is not installed in {os.path.dirname(os.path.dirname(PLAYWRIGHT))} "
                   "(run scripts/web-deps)")
    return node


def artifacts_dir(lab):
    out = os.environ.get("BITVEIL_ARTIFACTS") or os.path.join(os.path.dirname(lab.bitveil_path), "test-artifacts")
    os.makedirs(out, exist_ok=True)
    return out


class Browser:
    """The driver process; registered in lab.procs, so it is stopped with the lab."""

    def __init__(self, lab, name="chromium"):
        node = need_browser()
        self.lab, self.name = lab, name
        self.log_path = os.path.join(lab.logs, f"{name}.log")
        self._log = open(self.log_path, "ab")
        env = dict(os.environ, HOME=lab.home, BITVEIL_CHROMIUM=CHROMIUM)
        self.popen = subprocess.Popen([node, DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._log, env=env, cwd=lab.home, start_new_session=True,
                                      preexec_fn=_child_setup(), text=True, bufsize=1)
        self.pid = self.popen.pid
        self.console = []  # every entry the page reported: {"type", "text", "url"}
        self.unexpected = []  # the ones check_console() fails on
        self.rpc_409s = self.matched_409s = 0
        lab.procs.append(self)

    # --- the protocol ----------------------------------------------------------------------------

    def call(self, cmd, **args):
        check(self.alive(), f"the browser driver exited with {self.popen.poll()} (log: {self.log_path})")
        self.popen.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.popen.stdin.flush()
        line = self.popen.stdout.readline()
        if not line:
            raise Failure(f"the browser driver exited with {self.popen.wait()} during {cmd} (log: {self.log_path})")
        r = json.loads(line)
        if "skip" in r:
            raise Skip(r["skip"])
        batch = r.get("console", [])
        self.console += batch
        for entry in batch:  # first the 409 replies, which their console errors may precede
            if entry["type"] == "response409":
                if is_rpc(entry["url"]):
                    self.rpc_409s += 1
                else:
                    self.unexpected.append(entry)
        for entry in batch:
            if entry["type"] != "response409" and not self.expected(entry):
                self.unexpected.append(entry)
        if not r.get("ok"):
            raise Failure(f"browser {cmd} {args}: {r.get('error')}")
        return r.get("value")

    def expected(self, entry):
        """Warnings (logged only: jQuery Migrate in the 3.00 web UI warns), and the two traces of each 409 of the
        RPC's session-id handshake: Chromium's console error, and the request playwright reports failed with
        ERR_ABORTED. Each console 409 error needs a 409 reply from the RPC not yet accounted for."""
        if entry["type"] == "warning":
            return True
        if entry["type"] == "error" and HANDSHAKE_409.match(entry["text"]) and self.matched_409s < self.rpc_409s:
            self.matched_409s += 1
            return True
        return entry["type"] == "requestfailed" and is_rpc(entry["url"]) and entry["text"].endswith("net::ERR_ABORTED")

    def check_console(self, when=""):
        check(not self.unexpected, f"the browser console reported errors{' ' + when if when else ''}: " +
              "; ".join(f"[{e['type']}] {e['text']} {e['url']}".strip() for e in self.unexpected))

    def goto(self, url):
        return self.call("goto", url=url)

    def eval(self, js):
        return self.call("eval", js=js)

    def wait(self, js, timeout, what):
        """The value of `js` once it is truthy, and the seconds it took; Failure after `timeout` seconds."""
        t0 = time.monotonic()
        try:
            value = self.call("wait", js=js, timeout=int(timeout * 1000))
        except Failure as e:
            raise Failure(f"{what}: not seen within {timeout} s ({e})")
        return value, time.monotonic() - t0

    def click(self, selector, button="left"):
        return self.call("click", selector=selector, button=button)

    def fill(self, selector, value):
        return self.call("fill", selector=selector, value=value)

    def files(self, selector, paths):
        return self.call("files", selector=selector, paths=list(paths))

    def screenshot(self, name):
        path = os.path.join(artifacts_dir(self.lab), name)
        self.call("screenshot", path=path)
        self.lab.log(f"screenshot: {path}")
        return path

    # --- what Lab expects of a process -------------------------------------------------------------

    def alive(self):
        return self.popen.poll() is None

    @property
    def returncode(self):
        return self.popen.poll()

    def tail(self, lines=40):
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])

    def stop(self, sig=None, grace=3.0):
        if self.alive():
            try:
                self.popen.stdin.write('{"cmd": "quit"}\n')
                self.popen.stdin.flush()
                self.popen.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        rc = self.popen.wait()
        self._log.close()
        return rc
