#!/usr/bin/python3
"""The live progress display of `bitveil download` / `seed` on a terminal (ctest label `integration`).

usage: display_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

bitveil runs in a pseudo-terminal 80 columns wide; its output feeds a small terminal emulator (Screen, below:
\\r, \\n, ESC[K, ESC[J, ESC[nA/B/C/D, ESC[nG, ESC[r;cH; other sequences are ignored) whose screen is much wider
than the 80 columns bitveil is told, so a line that is too long shows as text beyond column 80 instead of
wrapping. While bitveil runs, each settled frame (no output for 0.2 s) must hold exactly one status line per
torrent (a row starting with the torrent's name, two spaces and its state), and nothing may ever be written
beyond column 80; at exit the status lines must be gone and each torrent's summary line (at most 80 columns)
there. Seeders are libtorrent (upload-limited, so a download lasts a few seconds) and a second bitveil, all on
127.0.0.1. Exit status: 0 pass, 1 fail (logs and the last screen are printed), 77 skipped.
"""
import codecs
import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import (KiB, MiB, Failure, Payload, Proc, _child_setup, check, exit_status, main,  # noqa: E402
                 need_libtorrent, offline_argv)

STATES = r"(?:getting metadata|checking|downloading|seeding|stopped|error)"
SEED_LIMIT = 1 * MiB  # bytes/s from each libtorrent seeder: a 5 MiB download takes about five seconds


# ---------------------------------------------------------------------------------------------------
# A terminal, just enough of one

class Screen:
    """rows x cols cells, a cursor, and the widest column ever written to (1-based)."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.widest = 0
        self._decode = codecs.getincrementaldecoder("utf-8")("replace")
        self._state, self._seq = "text", ""

    def feed(self, data):
        for ch in self._decode.decode(data):
            if self._state == "text":
                self._text(ch)
            elif self._state == "esc":
                if ch == "[":
                    self._state, self._seq = "csi", ""
                elif ch == "]":
                    self._state = "osc"
                else:
                    self._state = "text"  # ESC 7, ESC 8, ...: ignored
            elif self._state == "csi":
                if "\x40" <= ch <= "\x7e":
                    self._csi(self._seq, ch)
                    self._state = "text"
                else:
                    self._seq += ch
            elif self._state == "osc":  # until BEL or ESC \
                if ch == "\x07":
                    self._state = "text"
                elif ch == "\x1b":
                    self._state = "esc"

    def _text(self, ch):
        if ch == "\x1b":
            self._state = "esc"
        elif ch == "\r":
            self.c = 0
        elif ch == "\n":
            self._linefeed()
        elif ch == "\b":
            self.c = max(0, self.c - 1)
        elif ch < " " or ch == "\x7f":
            pass
        elif unicodedata.combining(ch):
            pass
        else:
            w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if self.c + w > self.cols:
                self.c = 0
                self._linefeed()
            self.cells[self.r][self.c] = ch
            if w == 2:
                self.cells[self.r][self.c + 1] = ""
            self.c += w
            self.widest = max(self.widest, self.c)

    def _linefeed(self):
        if self.r + 1 < self.rows:
            self.r += 1
        else:
            self.cells.pop(0)
            self.cells.append([" "] * self.cols)

    def _csi(self, seq, final):
        if seq.startswith("?") or seq.startswith(">"):
            return
        args = [int(a) if a.isdigit() else 0 for a in seq.split(";")] if seq else []
        n = args[0] if args and args[0] > 0 else 1
        mode = args[0] if args else 0
        if final == "K":
            row = self.cells[self.r]
            lo, hi = {0: (self.c, self.cols), 1: (0, self.c + 1), 2: (0, self.cols)}.get(mode, (0, 0))
            row[lo:hi] = [" "] * (hi - lo)
        elif final == "J":
            if mode == 0:
                self.cells[self.r][self.c:] = [" "] * (self.cols - self.c)
                for r in range(self.r + 1, self.rows):
                    self.cells[r] = [" "] * self.cols
            elif mode in (2, 3):
                self.cells = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "A":
            self.r = max(0, self.r - n)
        elif final == "B":
            self.r = min(self.rows - 1, self.r + n)
        elif final == "C":
            self.c = min(self.cols - 1, self.c + n)
        elif final == "D":
            self.c = max(0, self.c - n)
        elif final == "G":
            self.c = min(self.cols - 1, n - 1)
        elif final in "Hf":
            row = args[0] if args and args[0] > 0 else 1
            col = args[1] if len(args) > 1 and args[1] > 0 else 1
            self.r, self.c = min(self.rows, row) - 1, min(self.cols, col) - 1
        # SGR (m) and everything else: no effect on the text

    def lines(self):
        return ["".join(row).rstrip() for row in self.cells]

    def dump(self):
        return "\n".join(f"  |{line}" for line in self.lines()).rstrip()


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


# ---------------------------------------------------------------------------------------------------
# bitveil in a pseudo-terminal

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyBitveil(Proc):
    """bitveil with stdin, stdout and stderr on a pseudo-terminal of rows x cols; what it writes goes to a
    Screen (wider than the terminal: see the module's docstring) and, readable, to its log."""

    def __init__(self, lab, name, argv, rows=24, cols=80):
        # Not Proc.__init__: the output goes to the terminal, and from there to the log.
        self.lab, self.name, self.argv = lab, name, offline_argv(argv, lab.bitveil_path)
        self.log_path = os.path.join(lab.logs, f"{name}.log")
        self._log = open(self.log_path, "ab")
        self._log.write(("$ " + " ".join(self.argv) + "\n").encode())
        self.cols = cols
        self.screen = Screen(rows, 400)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.last_output = time.monotonic()
        self.frames = 0  # output bursts (a frame is written at once)
        self._master, slave = pty.openpty()
        set_size(slave, rows, cols)
        env = dict(os.environ, TERM="xterm-256color")
        self.started = time.monotonic()
        self.popen = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                      start_new_session=True, preexec_fn=_child_setup())
        os.close(slave)
        self.pid = self.popen.pid
        lab.procs.append(self)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: every slave descriptor is closed (bitveil exited)
                data = b""
            if not data:
                break
            with self.lock:
                if time.monotonic() - self.last_output > 0.1:
                    self.frames += 1
                self.last_output = time.monotonic()
                self.raw += data
                self.screen.feed(data)
                try:
                    self._log.write(data.replace(b"\x1b", b"\\e").replace(b"\r", b"\\r"))
                    self._log.flush()
                except ValueError:  # closed by stop()
                    pass

    def text(self):
        with self.lock:
            return self.raw.decode("utf-8", "replace")

    def resize(self, rows, cols):
        with self.lock:
            # A terminal that does not reflow (xterm) cuts what is on the screen at the new width; what is
            # written from now on must fit the new width.
            for row in self.screen.cells:
                row[cols:] = [" "] * (len(row) - cols)
            self.screen.widest = 0
        set_size(self._master, rows, cols)
        self.cols = cols

    def settled(self, timeout=10):
        """The screen's lines once a new frame has been drawn and nothing was written for 0.2 s."""
        with self.lock:
            seen = self.frames
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            time.sleep(0.05)
            with self.lock:
                if self.frames > seen and time.monotonic() - self.last_output >= 0.2:
                    return self.screen.lines()
            if not self.alive():
                break
        raise Failure(f"{self.name}: no new frame within {timeout} s; screen:\n{self.dump()}")

    def dump(self):
        with self.lock:
            return self.screen.dump()

    def widest(self):
        with self.lock:
            return self.screen.widest

    def reset_widest(self):
        with self.lock:
            self.screen.widest = 0

    def finish(self, timeout, what, watch=()):
        rc = exit_status(self.wait(timeout, what, watch))
        self._reader.join(timeout=5)
        return rc

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        rc = super().stop(sig, grace)
        self._reader.join(timeout=5)
        try:
            os.close(self._master)
        except OSError:
            pass
        return rc


def run_in_pty(lab, name, command, torrents, dir, peers=(), extra=()):
    argv = [lab.bitveil_path, command, *[t.path for t in torrents], "-d", dir, "--listen-address", "127.0.0.1",
            "--port", 0, "--stats-json", os.path.join(lab.dir, f"{name}.stats.json")]
    for p in peers:
        argv += ["--peer", p]
    return PtyBitveil(lab, name, argv + list(extra))


def status_rows(lines, prefix):
    """The rows that are the status line of the torrent whose name starts with `prefix`."""
    rx = re.compile(re.escape(prefix) + r"\S*(?: \S+)*?\u2026?  " + STATES + r"\b")
    return [line for line in lines if rx.match(line)]


def check_frame(bv, lines, prefixes, what):
    """One status line per torrent, nothing else that looks like one, nothing wider than the terminal."""
    where = f"{bv.name} ({what}); screen:\n" + "\n".join(f"  |{line}" for line in lines)
    for prefix in prefixes:
        rows = status_rows(lines, prefix)
        check(len(rows) == 1, f"{len(rows)} status lines for {prefix}…, expected one: {where}")
    any_status = [line for line in lines if re.search(r"  " + STATES + r"\b", line)
                  and not line.startswith("bitveil: ")]
    check(len(any_status) == len(prefixes), f"{len(any_status)} status lines for {len(prefixes)} torrents: {where}")
    for line in lines:
        check(width(line) <= bv.cols, f"a line of {width(line)} columns on a {bv.cols}-column terminal: {where}")
    check(bv.widest() <= bv.cols, f"something was written up to column {bv.widest()} of {bv.cols}: {where}")


def at_exit(lines):
    """The screen shows the summary: bitveil is done (its process may still be ending)."""
    return any(re.match(r"bitveil: .*: (complete|incomplete)", line) for line in lines)


def live_frames(bv):
    """The settled frames while bitveil runs, until its summary shows or it exits."""
    while bv.alive():
        try:
            lines = bv.settled()
        except Failure:
            if not bv.alive():
                return
            raise
        if at_exit(lines) or not bv.alive():
            return
        yield lines


def check_exit_screen(bv, prefixes, what, breakdown=True):
    lines = bv.screen.lines()
    where = f"{bv.name} ({what}); screen:\n{bv.dump()}"
    for prefix in prefixes:
        check(not status_rows(lines, prefix), f"a status line of {prefix}… was left on the screen: {where}")
        summary = [line for line in lines if line.startswith(f"bitveil: {prefix}")
                   and re.search(r": (complete|incomplete)", line)]
        check(len(summary) == 1, f"{len(summary)} summary lines for {prefix}…, expected one: {where}")
        check(width(summary[0]) <= 80, f"summary line of {width(summary[0])} columns: {where}")
        peers = r"\d+ peers? \((\d+ )?(rc4|header|plain)" if breakdown else r"\d+ peers?"
        check(re.search(peers, summary[0]), f"summary without peers (by kind): {where}")
    check(bv.widest() <= bv.cols, f"something was written up to column {bv.widest()} of {bv.cols}: {where}")


def lt_seeder(lab, name, tor, payload):
    seeder = lab.lt_peer(name, tor, payload.parent, seed=True, no_tracker=True, upload_limit=SEED_LIMIT)
    seeder.wait_seeding()
    return seeder


# ---------------------------------------------------------------------------------------------------

LONG = "alpha-a-long-torrent-name-that-cannot-fit-beside-its-numbers-in-80-columns"


def tty_download(lab):
    """A download from an upload-limited libtorrent seeder, in an 80-column terminal, resized to 60 halfway."""
    need_libtorrent()
    pl = Payload.single(lab.path("src"), LONG + ".bin", 6 * MiB)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lt_seeder(lab, "lt-seed", tor, pl)
    bv = run_in_pty(lab, "bitveil", "download", [tor], lab.path("dl"), peers=[f"127.0.0.1:{seeder.port}"])
    frames, downloading = 0, []
    resized = False
    for lines in live_frames(bv):
        check_frame(bv, lines, ["alpha-"], f"frame {frames}")
        row = status_rows(lines, "alpha-")[0]
        if "downloading" in row:
            downloading.append(row)
        frames += 1
        if frames == 3 and not resized:
            lab.log(f"at 80 columns: {row!r}; resizing to 60")
            bv.resize(24, 60)
            resized = True
            bv.settled()  # the frame drawn at the old width may still be arriving
            bv.reset_widest()
    rc = bv.finish(30, "download", watch=[seeder])
    lab.log(f"exit {rc} after {frames} frames; while downloading: {downloading[:2]} ... {downloading[-1:]}")
    check(rc == 0, f"download exited with {rc}; screen:\n{bv.dump()}")
    check(len(downloading) >= 3, f"only {len(downloading)} frames showed the download; screen:\n{bv.dump()}")
    check(any(re.search(r"\d+\.\d%", r) and "eta " in r for r in downloading),
          f"no frame with a percent and an ETA: {downloading}")
    check(any("\u2026" in r for r in downloading), f"the long name was never shortened: {downloading}")
    pl.check_copy(lab.path("dl"), "bitveil")
    check_exit_screen(bv, ["alpha-"], "at exit, 60 columns", breakdown=False)


def tty_seed(lab):
    """`bitveil seed` in an 80-column terminal while libtorrent downloads from it; the upload rate falls to 0
    within 3 s of the last byte; Ctrl-C leaves the summary and no status line."""
    need_libtorrent()
    pl = Payload.single(lab.path("src"), "bravo-\u65e5\u672c\u8a9e\u306e\u540d\u524d-" + "x" * 60, 4 * MiB)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    bv = run_in_pty(lab, "bitveil", "seed", [tor], pl.parent)
    m = None
    end = time.monotonic() + 20
    while not m and time.monotonic() < end:
        m = re.search(r"bitveil: listening on port (\d+)", bv.text())
        time.sleep(0.05)
    check(m, f"no 'listening on port' line; screen:\n{bv.dump()}")
    for i in range(2):
        check_frame(bv, bv.settled(), ["bravo-"], f"before the leecher, frame {i}")
    leech = lab.lt_peer("lt-leech", tor, lab.path("dl"), seed=False, peers=[f"127.0.0.1:{m.group(1)}"],
                        no_tracker=True, timeout=60)
    leech.wait_for(r"^DONE", 60, "DONE")
    done = time.monotonic()
    rows = []
    while time.monotonic() - done < 6:
        lines = bv.settled()
        check_frame(bv, lines, ["bravo-"], f"{time.monotonic() - done:.1f} s after the leecher finished")
        rows.append((time.monotonic() - done, status_rows(lines, "bravo-")[0]))
    lab.log("after the leecher: " + "; ".join(f"{t:.1f}s {r!r}" for t, r in rows))
    check(all("seeding" in r for _, r in rows), f"not seeding: {rows}")
    check(re.search(r"ratio (1\.\d\d|[2-9])", rows[-1][1]), f"no ratio of 1 or more after the upload: {rows[-1]}")
    check(re.search(r"uploaded 4\.0", rows[-1][1]), f"no 'uploaded 4.0 MiB': {rows[-1]}")
    # The short rate window: zero within 3 s of the last byte (plus a tick and a redraw).
    check(re.search(r"up 0 ?B/s", rows[-1][1]), f"the upload rate is not 0 B/s 5 s after the last byte: {rows}")
    bv.send_signal(signal.SIGINT)
    rc = bv.finish(30, "seed after SIGINT")
    check(rc == 130, f"seed exited with {rc} after SIGINT, expected 130; screen:\n{bv.dump()}")
    lines = bv.screen.lines()
    check(any(line.startswith("bitveil: stopping") for line in lines), f"no 'stopping' line; screen:\n{bv.dump()}")
    check_exit_screen(bv, ["bravo-"], "after SIGINT")


def tty_three_torrents(lab):
    """Three torrents in one session: two from upload-limited libtorrent seeders, one from a `bitveil seed`
    (done at once, then shown seeding while the others download)."""
    need_libtorrent()
    src = lab.path("src")
    alpha = Payload.single(src, LONG + ".bin", 5 * MiB)
    bravo = Payload(src, "bravo-\u65e5\u672c\u8a9e\u306e\u30a2\u30eb\u30d0\u30e0",
                    [("01 \u97f3\u697d.flac", 3 * MiB), ("02.flac", 2 * MiB + 17)])
    charlie = Payload.single(src, "charlie.iso", 3 * MiB)
    tors = [lab.create_torrent(p, piece_size=64 * KiB) for p in (alpha, bravo, charlie)]
    seeders = [lt_seeder(lab, "lt-alpha", tors[0], alpha), lt_seeder(lab, "lt-bravo", tors[1], bravo)]
    bseed = lab.bitveil("bitveil-seed", "seed", tors[2], src)
    peers = [f"127.0.0.1:{s.port}" for s in seeders] + [f"127.0.0.1:{bseed.port}"]
    dl = lab.path("dl")
    bv = run_in_pty(lab, "bitveil", "download", tors, dl, peers=peers)
    prefixes = ["alpha-", "bravo-", "charlie"]
    frames, samples = 0, []
    for lines in live_frames(bv):
        check_frame(bv, lines, prefixes, f"frame {frames}")
        samples.append([status_rows(lines, p)[0] for p in prefixes])
        frames += 1
    rc = bv.finish(30, "download", watch=seeders + [bseed])
    lab.log(f"exit {rc} after {frames} frames; first: {samples[:1]}; last: {samples[-1:]}")
    check(rc == 0, f"download exited with {rc}; screen:\n{bv.dump()}")
    check(frames >= 3, f"only {frames} frames while three torrents downloaded; screen:\n{bv.dump()}")
    check(any("downloading" in s[0] and "seeding" in s[2] for s in samples),
          f"no frame with alpha downloading and charlie (from the bitveil seeder) seeding: {samples}")
    for p in (alpha, bravo, charlie):
        p.check_copy(dl, "bitveil")
    check_exit_screen(bv, prefixes, "at exit")


def plain_lines(lab):
    """Not a terminal: full status lines every 5 s, one line each, no escape sequence."""
    need_libtorrent()
    pl = Payload.single(lab.path("src"), LONG + ".bin", 9 * MiB)
    tor = lab.create_torrent(pl, piece_size=64 * KiB)
    seeder = lt_seeder(lab, "lt-seed", tor, pl)
    dl = lab.path("dl")
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[f"127.0.0.1:{seeder.port}"])
    bv.finish(60, watch=[seeder])
    text = bv.text()
    check("\x1b" not in text, "an escape sequence in the log")
    rows = re.findall(r"^" + re.escape(LONG) + r"\.bin  downloading \d+\.\d%  .*$", text, re.M)
    lab.log(f"status lines: {rows}")
    check(rows, "no full status line in the log")
    check(all(re.search(r"  down \S+ \S+/s  up \S+ \S+/s  1 peer \((rc4|header|plain)\)", r) for r in rows),
          f"a status line without its rates or peers: {rows}")
    check(re.search(r"^bitveil: " + re.escape(LONG) + r"\.bin: complete, [\d.]+ s, down 9\.0 MiB \(.*/s\), up 0 B, "
                    r"\d+ peers? \((rc4|header|plain|\d+ rc4)", text, re.M), "no full summary line")
    pl.check_copy(dl, "bitveil")


CASES = {  # name -> (function, time budget in seconds, summary)
    "tty_download": (tty_download, 120, "download in an 80-column terminal, resized to 60"),
    "tty_seed": (tty_seed, 120, "seed in an 80-column terminal; the upload rate falls to 0"),
    "tty_three_torrents": (tty_three_torrents, 150, "three torrents in one session, one line each"),
    "plain_lines": (plain_lines, 120, "not a terminal: full lines every 5 s"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
