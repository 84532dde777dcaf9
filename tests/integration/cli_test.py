#!/usr/bin/python3
"""Integration test of the bitveil command line (ctest label `integration`).

usage: cli_test.py --bitveil PATH/TO/bitveil --lt-reference tools/lt_reference.py

Checks that `bitveil create` gives the same info-hash as libtorrent (python3-libtorrent, v1-only, no
pad files) and as mktorrent when it is installed, that `bitveil info --json` reads torrents as
libtorrent does (ours, and the real-world ones in ../shared/testdata/torrents when that folder
exists), and that bad input fails cleanly: a table of bad command lines (BAD_COMMAND_LINES), each with its
exit status (2 usage or bad input, 1 a failure while working) and its one `bitveil: ` line on stderr.
Works in a temporary folder that is removed at the end. Exits 77 (skipped) when libtorrent is missing,
after running the checks that do not need it.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import offline_argv  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
SHARED_TORRENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/testdata/torrents")

args = None
failures = []
checks = 0


def run(cmd, cwd=None, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=300)


def bitveil(*argv, cwd=None, env=None):
    return run(offline_argv([args.bitveil, *argv], args.bitveil), cwd=cwd, env=env)


def lt_ref(*argv):
    r = run(["/usr/bin/python3", args.lt_reference, *map(str, argv)])
    if r.returncode != 0:
        raise AssertionError(f"lt_reference.py {' '.join(map(str, argv))} failed: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout)


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def info_json(torrent):
    r = bitveil("info", "--json", torrent)
    check(r.returncode == 0, f"info --json {torrent}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout.decode("utf-8"))  # strict: must be valid UTF-8 JSON


def create(path, out, *extra, cwd=None):
    r = bitveil("create", path, "-o", out, *extra, cwd=cwd)
    check(r.returncode == 0, f"create {path} {extra}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    check(r.stderr == b"", f"create wrote to stderr although it is not a terminal: {r.stderr!r}")
    return info_json(out)


def expect_invalid(argv, what, contains=None):
    r = bitveil(*argv)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 2, f"{what}: expected exit 2, got {r.returncode} ({err!r})")
    lines = err.splitlines()
    check(len(lines) == 1 and lines[0].startswith("bitveil: "), f"{what}: expected one 'bitveil: ' line, got {err!r}")
    if contains:
        check(contains in err, f"{what}: {contains!r} not in {err!r}")
    check(r.stdout == b"", f"{what}: unexpected stdout {r.stdout!r}")


def write(path, size, seed=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed if seed is not None else path)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


def same_reading(ours, ref, what):
    for key in ("info_hash", "name", "total_size", "piece_length", "num_pieces", "private", "trackers"):
        check(ours[key] == ref[key], f"{what}: {key}: bitveil {ours[key]!r} != libtorrent {ref[key]!r}")
    mine = [(f["path"], f["length"], f.get("pad", False)) for f in ours["files"]]
    theirs = [(f["path"], f["length"], f.get("pad", False)) for f in ref["files"]]
    check(mine == theirs, f"{what}: files differ:\n  bitveil    {mine}\n  libtorrent {theirs}")


# ---------------------------------------------------------------------------------------------------
# Trees used below.

def make_single(root):
    write(os.path.join(root, "single", "odd-size.bin"), 1_000_003)
    return os.path.join(root, "single", "odd-size.bin")


def make_nested(root):
    """Nested folders, an empty file, a hidden file, sizes that are not multiples of a piece, and names
    whose component order differs from whole-string order (a.txt vs a/, b-c/ vs b.txt vs b/)."""
    top = os.path.join(root, "nested")
    for rel, size in [("a.txt", 40_000), ("a/b/c.dat", 70_001), ("a/b/d.dat", 1), ("b/x", 16 * KiB),
                      ("b-c/q", 123_457), ("b.txt", 3), ("empty.txt", 0), (".hidden", 99),
                      ("deep/er/and/deeper/file", 2 * MiB + 5), ("z", 1_000_000)]:
        write(os.path.join(top, rel), size)
    return top


def make_plain(root):
    """A tree where whole-path order and component order agree (for mktorrent)."""
    top = os.path.join(root, "plain")
    for rel, size in [("01.flac", 300_001), ("02.flac", 123), ("art/cover.jpg", 77_777),
                      ("art/empty", 0), ("info.txt", 1_500_000)]:
        write(os.path.join(top, rel), size)
    return top


# ---------------------------------------------------------------------------------------------------
# Checks that need libtorrent.

def test_create_matches_libtorrent(tmp):
    single = make_single(tmp)
    nested = make_nested(tmp)
    for path in (single, nested):
        for piece in (16 * KiB, 1 * MiB, 64 * KiB):
            name = f"{os.path.basename(path)}-{piece}"
            ours = create(path, os.path.join(tmp, name + ".torrent"), "--piece-size", piece)
            ref = lt_ref("create", path, "--piece-size", piece, "-o", os.path.join(tmp, name + ".lt.torrent"))
            check(ours["info_hash"] == ref["info_hash"],
                  f"create {name}: info-hash {ours['info_hash']} != libtorrent {ref['info_hash']}\n"
                  f"  bitveil files    {[f['path'] for f in ours['files']]}\n"
                  f"  libtorrent files {[f['path'] for f in ref['files']]}")
            same_reading(ours, lt_ref("info", os.path.join(tmp, name + ".torrent")), f"info {name}")
    # Default piece size, trackers and the private flag (which is inside the info dictionary).
    ours = create(nested, os.path.join(tmp, "nested-priv.torrent"), "--private", "--tracker", "http://t1.test/announce",
                  "--tracker", "udp://t2.test:6969/announce", "--comment", "hello")
    check(ours["private"] is True and ours["comment"] == "hello", "private/comment not stored")
    check(ours["trackers"] == [["http://t1.test/announce"], ["udp://t2.test:6969/announce"]], f"tiers {ours['trackers']}")
    check(ours["created_by"] == "bitveil/0.1.0" and isinstance(ours.get("creation_date"), int), "created by / date")
    ref = lt_ref("create", nested, "--piece-size", ours["piece_length"], "--private",
                 "--tracker", "http://t1.test/announce", "--tracker", "udp://t2.test:6969/announce",
                 "-o", os.path.join(tmp, "nested-priv.lt.torrent"))
    check(ours["info_hash"] == ref["info_hash"], f"private torrent: {ours['info_hash']} != {ref['info_hash']}")
    same_reading(ours, lt_ref("info", os.path.join(tmp, "nested-priv.torrent")), "info nested-priv")
    same_reading(info_json(os.path.join(tmp, "nested-priv.lt.torrent")),
                 lt_ref("info", os.path.join(tmp, "nested-priv.lt.torrent")), "info of libtorrent's torrent")


def test_info_reads_libtorrent_hybrid_and_refuses_v2_only(tmp):
    nested = make_nested(tmp)
    hybrid = os.path.join(tmp, "hybrid.torrent")
    lt_ref("create", nested, "--piece-size", 16 * KiB, "--mode", "hybrid", "-o", hybrid)
    ours = info_json(hybrid)
    check(ours["hybrid"] is True, "hybrid torrent not reported as hybrid")
    check(any(f.get("pad") for f in ours["files"]), "libtorrent's hybrid torrent should have pad files")
    same_reading(ours, lt_ref("info", hybrid), "info hybrid (pad files included)")
    r = bitveil("info", hybrid)
    check(r.returncode == 0 and b"pad file" in r.stdout and b".pad/" not in r.stdout, "pad files not hidden")
    v2 = os.path.join(tmp, "v2.torrent")
    lt_ref("create", nested, "--piece-size", 16 * KiB, "--mode", "v2", "-o", v2)
    expect_invalid(["info", v2], "info v2-only (libtorrent)", "v2")


def test_info_matches_libtorrent_on_real_torrents(_tmp):
    folder = os.path.normpath(SHARED_TORRENTS)
    if not os.path.isdir(folder):
        print(f"  (no {folder}: real-world torrents not checked)")
        return
    names = sorted(n for n in os.listdir(folder) if n.endswith(".torrent"))
    for n in names:
        path = os.path.join(folder, n)
        same_reading(info_json(path), lt_ref("info", path), n)
    print(f"  checked {len(names)} real-world torrents")


# ---------------------------------------------------------------------------------------------------
# Checks that need only bitveil (and mktorrent when installed).

def test_create_matches_mktorrent(tmp):
    if shutil.which("mktorrent") is None:
        print("  (mktorrent not installed: skipped)")
        return
    plain = make_plain(tmp)
    single = make_single(tmp)
    for path in (plain, single):
        for log2 in (15, 20):
            for private in (False, True):
                name = f"{os.path.basename(path)}-{log2}-{int(private)}"
                mk_out = os.path.join(tmp, name + ".mk.torrent")
                cmd = ["mktorrent", "-l", str(log2), "-o", mk_out] + (["-p"] if private else []) + [path]
                r = run(cmd)
                check(r.returncode == 0, f"mktorrent failed: {r.stderr!r}")
                ours = create(path, os.path.join(tmp, name + ".torrent"), "--piece-size", 1 << log2,
                              *(["--private"] if private else []))
                theirs = info_json(mk_out)
                check(ours["info_hash"] == theirs["info_hash"], f"{name}: {ours['info_hash']} != mktorrent {theirs['info_hash']}")


def test_threads_and_defaults(tmp):
    nested = make_nested(tmp)
    one = create(nested, os.path.join(tmp, "t1.torrent"), "--threads", 1, "--piece-size", "16K")
    four = create(nested, os.path.join(tmp, "t4.torrent"), "--threads", 4, "--piece-size", "16KiB")
    check(one["info_hash"] == four["info_hash"], "--threads 1 and 4 disagree")
    # Default output name in the current folder; summary on stdout, nothing on stderr.
    work = os.path.join(tmp, "cwd")
    os.makedirs(work)
    r = bitveil("create", nested, cwd=work)
    check(r.returncode == 0 and r.stderr == b"", f"default create: {r.returncode} {r.stderr!r}")
    check(os.path.isfile(os.path.join(work, "nested.torrent")), "default output nested.torrent missing")
    check(b"info hash:" in r.stdout, f"no summary: {r.stdout!r}")
    check(not [n for n in os.listdir(work) if n != "nested.torrent"], f"leftover files: {os.listdir(work)}")
    d = info_json(os.path.join(work, "nested.torrent"))
    check(d["num_pieces"] <= 2000 and d["piece_length"] >= 16 * KiB, "default piece size rule")
    # Trailing slash and "." name the torrent after the folder.
    r = bitveil("create", ".", "-o", os.path.join(tmp, "dot.torrent"), "-q", cwd=nested)
    check(r.returncode == 0 and r.stdout == b"", f"create . -q: {r.returncode} {r.stdout!r} {r.stderr!r}")
    check(info_json(os.path.join(tmp, "dot.torrent"))["info_hash"] == d["info_hash"], "create . differs")
    r = bitveil("--version")
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and lines[0] == "bitveil 0.1.0" and r.stderr == b"", f"--version: {r.stdout!r}")
    for library in ("OpenSSL ", "libcurl ", "Asio ", "fmt ", "CLI11 "):
        check(any(line.strip().startswith(library) for line in lines[1:]), f"--version: no {library}: {lines}")
    for argv in (["--help"], ["info", "--help"], ["create", "--help"], ["dht", "--help"]):
        r = bitveil(*argv)
        check(r.returncode == 0 and b"Usage" in r.stdout, f"{argv}: {r.returncode}")
    for sub in ("create", "dht"):
        check(b"Examples:" in bitveil(sub, "--help").stdout, f"{sub} --help has no examples")


def test_refuses_to_overwrite(tmp):
    src = make_single(tmp)
    out = os.path.join(tmp, "out.torrent")
    with open(out, "wb") as f:
        f.write(b"precious")
    expect_invalid(["create", src, "-o", out], "create over an existing file", "already exists")
    with open(out, "rb") as f:
        check(f.read() == b"precious", "existing output was changed")
    r = bitveil("create", src, "-o", out, "--force", "-q")
    check(r.returncode == 0, f"--force failed: {r.stderr!r}")
    check(info_json(out)["name"] == "odd-size.bin", "overwritten output not a torrent")
    check(sorted(os.listdir(tmp)) == ["out.torrent", "single"], f"temporary files left: {os.listdir(tmp)}")


def test_create_refuses_bad_input(tmp):
    os.makedirs(os.path.join(tmp, "empty-folder"))
    write(os.path.join(tmp, "zeros", "a"), 0)
    write(os.path.join(tmp, "zeros", "b", "c"), 0)
    src = make_single(tmp)
    out = os.path.join(tmp, "x.torrent")
    expect_invalid(["create", os.path.join(tmp, "empty-folder"), "-o", out], "empty folder", "empty")
    expect_invalid(["create", os.path.join(tmp, "zeros"), "-o", out], "only empty files", "empty")
    expect_invalid(["create", os.path.join(tmp, "missing"), "-o", out], "missing path", "No such file")
    for bad in ("1000", "8K", "48K", "256M", "abc", "0"):
        expect_invalid(["create", src, "-o", out, "--piece-size", bad], f"--piece-size {bad}", "--piece-size")
    expect_invalid(["create", src, "-o", out, "--tracker", "not a url"], "bad tracker", "--tracker")
    # Only trackers bitveil can announce to: http(s):// with a host, udp://host:port.
    for bad, says in (("ftp://x.test/announce", "cannot announce to ftp://"),
                      ("udp://x.test/announce", "a UDP tracker needs a host and a port"),
                      ("http:///announce", "no valid host"), ("HTTP://x.test/announce", "write the scheme in lower case")):
        expect_invalid(["create", src, "-o", out, "--tracker", "http://ok.test/announce", "--tracker", bad],
                       f"--tracker {bad}", f"bitveil: --tracker {bad}: {says}")
    # -t takes one URL each time: PATH may follow it.
    r = bitveil("create", "-t", "udp://x.test:6969/announce", src, "-o", out, "-q")
    check(r.returncode == 0 and r.stderr == b"", f"create -t URL PATH: exit {r.returncode}: {r.stderr!r}")
    check(info_json(out)["trackers"] == [["udp://x.test:6969/announce"]], "create -t URL PATH: trackers")
    os.remove(out)
    expect_invalid(["create", src, "-o", tmp], "output is a folder", "folder")
    os.symlink("nowhere", os.path.join(tmp, "zeros", "dangling"))
    expect_invalid(["create", os.path.join(tmp, "zeros"), "-o", out], "broken symlink", "broken symbolic link")
    check(not os.path.exists(out), "an output file was written for bad input")
    for argv in (["frobnicate"], ["create"], ["info"], ["create", src, "--bogus"], []):
        r = bitveil(*argv)
        check(r.returncode == 2, f"usage error {argv}: exit {r.returncode}")


def test_info_refuses_bad_input(tmp):
    src = make_single(tmp)
    good = os.path.join(tmp, "good.torrent")
    create(src, good, "--piece-size", "16K")
    data = open(good, "rb").read()
    cases = {
        "garbage": b"this is not bencode at all\n",
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "trailing": data + b"x",
        "list": b"li1ei2ee",
        "no-info": b"d8:announce3:urle",
        # BEP 52 v2-only: a file tree and meta version 2, no 'pieces'.
        "v2-only": b"d4:infod9:file treed4:filed0:d6:lengthi1e11:pieces root32:" + b"\x11" * 32 +
                   b"eee12:meta versioni2e4:name4:file12:piece lengthi16384ee12:piece layersdee",
        "binary": bytes(range(256)),
    }
    for name, content in cases.items():
        path = os.path.join(tmp, name + ".torrent")
        with open(path, "wb") as f:
            f.write(content)
        for json_flag in ([], ["--json"]):
            expect_invalid(["info", *json_flag, path], f"info {name}", path)
    expect_invalid(["info", os.path.join(tmp, "missing.torrent")], "info missing", "No such file")
    expect_invalid(["info", tmp], "info folder", "folder")
    big = os.path.join(tmp, "big.torrent")
    with open(big, "wb") as f:
        f.truncate(64 * MiB + 1)
    expect_invalid(["info", big], "info > 64 MiB", "too large")
    for bad in ("magnet:?dn=x", "magnet:?xt=urn:btih:1234", "MAGNET:?xt=urn:btih:" + "z" * 40):
        expect_invalid(["info", bad], f"info {bad}")


class Has(str):
    """A substring the error line must contain (for text from the C library, such as strerror's)."""


USAGE = "the short usage"  # `bitveil` alone: a few lines on stderr, not one

# Bad command lines, run in a folder holding good.torrent, garbage.torrent, afile and adir/: the
# arguments, the exit status (2 usage or bad input, 1 a failure while working) and the one line on
# stderr, exact unless Has(...). Nothing may appear on stdout.
BAD_COMMAND_LINES = [
    ([], 2, USAGE),
    (["bogus"], 2, "bitveil: unknown subcommand 'bogus' (the subcommands are download, seed, create, info, dht, daemon, status)"),
    (["dowload", "good.torrent"], 2, "bitveil: unknown subcommand 'dowload' (did you mean 'download'?)"),
    (["download", "--seed-tme", "60", "good.torrent"], 2,
     "bitveil: download: unknown option '--seed-tme' (did you mean '--seed-time'?)"),
    (["info", "good.torrent", "--jsn"], 2, "bitveil: info: unknown option '--jsn' (did you mean '--json'?)"),
    (["-V"], 2, "bitveil: unknown option '-V' (did you mean '--version'?)"),
    (["--seed", "download", "good.torrent"], 2,
     "bitveil: option '--seed' goes after the subcommand: bitveil download --seed ..."),
    (["download"], 2, "bitveil: download: missing argument 'torrents' (see 'bitveil download --help')"),
    (["download", "good.torrent", "--seed-time", "60", "--seed"], 2, "bitveil: download: --seed-time excludes --seed"),
    (["download", "good.torrent", "--max-peers", "-1"], 2,
     "bitveil: download: --max-peers: expected a whole number from 1 to 10000, not '-1'"),
    (["seed", "good.torrent", "--port", "70000"], 2,
     "bitveil: seed: --port: expected a whole number from 0 to 65535, not '70000'"),
    (["download", "good.torrent", "--port"], 2, "bitveil: download: --port needs a value"),
    (["download", "good.torrent", "--dht-bootstrap", "nohost"], 2,
     "bitveil: --dht-bootstrap nohost: no port; expected HOST:PORT, e.g. localhost:6881, 10.0.0.2:6881 or [::1]:6881"),
    (["seed", "good.torrent", "--dht-bootstrap", "127.0.0.1:0"], 2,
     "bitveil: --dht-bootstrap 127.0.0.1:0: the port must be a number from 1 to 65535"),
    (["download", "good.torrent", "--no-dht", "--dht-bootstrap", "127.0.0.1:6881"], 2,
     "bitveil: download: --dht-bootstrap excludes --no-dht"),
    (["dht", "--port", "70000"], 2, "bitveil: dht: --port: expected a whole number from 0 to 65535, not '70000'"),
    (["dht", "--no-dht"], 2, "bitveil: dht: unknown option '--no-dht' (did you mean '--no-dht-bootstrap'?)"),
    (["download", "good.torrent", "--seed-ratio", "0"], 2,
     "bitveil: download: --seed-ratio: expected a number above 0, not '0'"),
    (["download", "good.torrent", "--encryption", "requre"], 2, "bitveil: download: --encryption: expected "
     "disable, allow, prefer or require, not 'requre' (did you mean 'require'?)"),
    (["info", ""], 2, "bitveil: info: expected a .torrent file, its URL or a magnet link, not ''"),
    (["download", ""], 2, "bitveil: download: expected a .torrent file, not ''"),
    (["info", "adir"], 2, "bitveil: adir: is a folder, not a .torrent file"),
    (["download", "adir"], 2, "bitveil: adir: is a folder, not a .torrent file"),
    (["info", "missing.torrent"], 2, "bitveil: missing.torrent: No such file or directory"),
    (["info", "afile/x.torrent"], 2, "bitveil: afile/x.torrent: Not a directory"),
    (["info", "x\x1b[2J.torrent"], 2, "bitveil: x\\x1b[2J.torrent: No such file or directory"),  # escaped
    (["info", "garbage.torrent"], 2, Has("bitveil: garbage.torrent: malformed bencode")),
    (["download", "good.torrent", "garbage.torrent"], 2, Has("bitveil: garbage.torrent: malformed bencode")),
    (["info", "good.torrent", "other.torrent"], 2, "bitveil: info: unexpected argument 'other.torrent'"),
    (["info", "--scrape", "good.torrent"], 1, "bitveil: good.torrent: no trackers to scrape"),
    (["info", "--scrape", "good.torrent", "--tracker-timeout", "0"], 2,
     "bitveil: info: --tracker-timeout: expected a whole number from 1 to 600, not '0'"),
    (["create"], 2, "bitveil: create: missing argument 'path' (see 'bitveil create --help')"),
    (["create", "-p", "3KiB"], 2, "bitveil: create: unknown option '-p' (did you mean '--piece-size' or '--private'?)"),
    (["create", "afile", "--piece-size", "3KiB"], 2,
     "bitveil: create: --piece-size: expected a power of two from 16 KiB to 128 MiB (e.g. 256K, 4M), not '3KiB'"),
    (["create", "afile", "out.torrent"], 2, "bitveil: create: unexpected argument 'out.torrent'"),
    (["create", "afile", "--threads", "0"], 2, "bitveil: create: --threads: expected a whole number from 1 to 1024, not '0'"),
    (["create", "afile", "-o", "nowhere/x.torrent"], 1,
     Has("bitveil: nowhere/x.torrent: cannot create a temporary file in nowhere: ")),
    (["download", "good.torrent", "-d", "afile/sub"], 1,
     "bitveil: afile/sub: cannot create the download folder: Not a directory"),
]


def check_error_line(argv, status, want, cwd, runner=None):
    r = run(offline_argv([*(runner or []), args.bitveil, *argv], args.bitveil), cwd=cwd)
    err = r.stderr.decode(errors="replace")
    what = f"bitveil {' '.join(map(repr, argv))}"
    check(r.returncode == status, f"{what}: exit {r.returncode}, expected {status} ({err!r})")
    check(r.stdout == b"", f"{what}: unexpected stdout {r.stdout!r}")
    lines = err.splitlines()
    if want is USAGE:
        check(lines and lines[0].startswith("bitveil: ") and len(lines) <= 14, f"{what}: not a short usage: {err!r}")
        for sub in ("download", "seed", "create", "info", "dht"):
            check(any(line.split()[:1] == [sub] for line in lines), f"{what}: usage has no {sub}: {err!r}")
        return
    check(len(lines) == 1 and lines[0].startswith("bitveil: "), f"{what}: expected one 'bitveil: ' line, got {err!r}")
    if isinstance(want, Has):
        check(want in lines[0], f"{what}: {str(want)!r} not in {lines[0]!r}")
    else:
        check(lines[0] == want, f"{what}:\n  got      {lines[0]!r}\n  expected {want!r}")


def test_bad_command_lines(tmp):
    create(make_single(tmp), os.path.join(tmp, "good.torrent"))
    with open(os.path.join(tmp, "garbage.torrent"), "wb") as f:
        f.write(b"this is not bencode\n")
    write(os.path.join(tmp, "afile"), 1000)
    os.makedirs(os.path.join(tmp, "adir"))
    for argv, status, want in BAD_COMMAND_LINES:
        check_error_line(argv, status, want, tmp)
    print(f"  {len(BAD_COMMAND_LINES)} bad command lines")
    # A file we may not read.
    runner = unprivileged(tmp)
    if runner is None:
        return
    secret = os.path.join(tmp, "secret.torrent")
    shutil.copy(os.path.join(tmp, "good.torrent"), secret)
    os.chmod(secret, 0)
    for sub in ("info", "download", "seed"):
        check_error_line([sub, "secret.torrent"], 2, "bitveil: secret.torrent: Permission denied", tmp, runner)


def unprivileged(tmp):
    """The prefix that runs bitveil where permissions apply: none for a user, setpriv to nobody for root
    (whom chmod does not stop; tmp is opened to nobody). None, after saying why, when that cannot be."""
    if os.geteuid() != 0:
        return []
    runner = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    os.chmod(tmp, 0o755)
    if shutil.which("setpriv") is None or run([*runner, args.bitveil, "--version"]).returncode != 0:
        print("  (permission errors not checked: running as root, and bitveil cannot run as nobody)")
        return None
    return runner


def test_write_error_reported_once(tmp):
    # A download into a folder we may not write fails at its first write: one line, exit 1 (the session's
    # log used to print the same error again).
    runner = unprivileged(tmp)
    if runner is None:
        return
    data = make_single(tmp)
    torrent = os.path.join(tmp, "t.torrent")
    create(data, torrent)
    readonly = os.path.join(tmp, "readonly")
    os.makedirs(readonly, mode=0o555)
    os.chmod(readonly, 0o555)
    seeder = subprocess.Popen(offline_argv([args.bitveil, "seed", torrent, "-d", os.path.dirname(data), "--port", "0"],
                                           args.bitveil),
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        first = seeder.stderr.readline().decode()
        check(first.startswith("bitveil: listening on port "), f"seeder: {first!r}")
        port = int(first.split()[-1])
        r = run(offline_argv([*runner, args.bitveil, "download", torrent, "-d", readonly, "--port", "0", "-q",
                              "--peer", f"127.0.0.1:{port}"], args.bitveil))
    finally:
        seeder.terminate()
        seeder.wait(timeout=30)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1, f"download into a read-only folder: exit {r.returncode} ({err!r})")
    check(err == f"bitveil: odd-size.bin: open {readonly}/odd-size.bin: Permission denied\n",
          f"download into a read-only folder: {err!r}")


def test_info_magnet(_tmp):
    ih = "0123456789abcdef0123456789abcdef01234567"
    uri = (f"magnet:?xt=urn:btih:{ih.upper()}&dn=My%20Demo&tr=http%3A%2F%2Ft.test%2Fa"
           f"&tr=udp%3A%2F%2Fu.test%3A1&x.pe=127.0.0.1:6881")
    r = bitveil("info", "--json", uri)
    check(r.returncode == 0, f"magnet info: {r.stderr!r}")
    d = json.loads(r.stdout.decode("utf-8"))
    check(d["info_hash"] == ih and d["name"] == "My Demo", f"magnet fields {d}")
    check(d["trackers"] == [["http://t.test/a"], ["udp://u.test:1"]], f"magnet trackers {d['trackers']}")
    check(d["peers"] == ["127.0.0.1:6881"], f"magnet peers {d['peers']}")
    check("total_size" not in d and "files" not in d, "magnet must not invent sizes")
    r = bitveil("info", uri)
    check(r.returncode == 0 and ih.encode() in r.stdout, "magnet human output")


def test_json_is_valid_for_non_utf8_names(tmp):
    top = os.path.join(tmp.encode(), b"names")
    os.makedirs(top)
    for name in (b"caf\xc3\xa9.txt", b"latin1-\xe9t\xe9.txt", b"ctrl-\x01-\x1b[31m.txt", b'quote"back\\slash'):
        with open(os.path.join(top, name), "wb") as f:
            f.write(b"data " + name)
    out = os.path.join(tmp, "names.torrent")
    d = create(top.decode(errors="surrogateescape"), out, "--comment", "line1\nline2\ttab")
    paths = [f["path"] for f in d["files"]]
    # Read as libtorrent reads them: invalid UTF-8 and controls become '_', '\' goes, '"' is kept.
    check("names/caf\u00e9.txt" in paths, f"UTF-8 name not kept: {paths}")
    check("names/latin1-_.txt" in paths, f"invalid UTF-8 not replaced as libtorrent does: {paths}")
    check("names/ctrl-_-_[31m.txt" in paths, f"control characters not replaced: {paths}")
    check('names/quote"backslash' in paths, f"quote/backslash: {paths}")
    # The notes show the names as the torrent has them: invalid UTF-8 as U+FFFD, controls as they are.
    sources = [n["from"] for n in d["notes"]]
    check("names/latin1-\ufffdt\ufffd.txt" in sources, f"invalid UTF-8 not replaced by U+FFFD: {sources}")
    check("names/ctrl-\x01-\x1b[31m.txt" in sources, f"control characters not round-tripped: {sources}")
    check(d["comment"] == "line1\nline2\ttab", "comment escaping")
    r = bitveil("info", out)
    check(r.returncode == 0 and b"\x1b" not in r.stdout, "human output must not pass escape sequences through")


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"


def hand_made_torrent(path, name, files):
    """A torrent written byte by byte (names that no tool would create); files: [(path components, length)]."""
    total = sum(length for _, length in files)
    pieces = (total + 16 * KiB - 1) // (16 * KiB)
    info = {b"name": name, b"piece length": 16 * KiB, b"pieces": b"\x11" * 20 * pieces}
    info[b"files"] = [{b"length": length, b"path": comps} for comps, length in files]
    with open(path, "wb") as f:
        f.write(bencode({b"info": info}))


def test_info_escapes_terminal_control_in_names(tmp):
    # ESC sequences (colour, OSC window title ended by BEL), a C1 CSI (U+009B) and a newline, in the torrent's
    # name and in a file name. Read as libtorrent reads them, the C0 controls become '_'; the C1 CSI (a valid
    # character) stays in the name, and the notes show the names as the torrent has them: `bitveil info` shows
    # every control as \xNN, never as the bytes themselves.
    out = os.path.join(tmp, "evil.torrent")
    hand_made_torrent(out, b"evil\x1b]0;title\x07\xc2\x9b31m\n", [([b"f\x1b[2J.txt"], 10)])
    r = bitveil("info", out)
    check(r.returncode == 0, f"info: exit {r.returncode}: {r.stderr!r}")
    for raw in (b"\x1b", b"\x07", b"\xc2\x9b"):
        check(raw not in r.stdout, f"info printed the control byte(s) {raw!r}: {r.stdout!r}")
    check(b"name:          evil_]0;title_\\xc2\\x9b31m_\n" in r.stdout, f"name not escaped: {r.stdout!r}")
    check(b"f_[2J.txt" in r.stdout, f"file name not sanitised: {r.stdout!r}")
    check(b"renamed 'evil\\x1b]0;title\\x07\\xc2\\x9b31m\\x0a' to 'evil_]0;title_\\xc2\\x9b31m_'" in r.stdout,
          f"the note does not show the name as the torrent has it, escaped: {r.stdout!r}")


# Path elements from the wild, each read by libtorrent 2.0 in its own way (path_sanitizer.hpp). Left out: a
# last element "." or ".." (libtorrent 2.0.8 then names the file "." or "..", which it cannot create) and
# elements that only grow past 255 bytes by replacement (bitveil cuts them at 255; libtorrent keeps them and
# cannot create the file).
WILD_ELEMENTS = [b"", b".", b"..", b"...", b"a", b"A", b"a.txt", b"A.TXT", b"b", b"/", b"\\", b"a/b", b"..\\x",
                 b"/..", b"\x00", b"x\x01y", b"\xff", b"\xc3\x28", b"\xc3", b"caf\xc3\xa9", b"\xe2\x80\xae",
                 b"e\xe2\x80\x8ex", b".hidden", b"d", b"d.1", b"a.1.txt", b"x" * 250, b"y" * 245 + b".flac",
                 b"z" * 300 + b".longextension", b"\xf0\x9f\x98\x80" * 70 + b".mp3", b"_____padding_file_0",
                 b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]


def test_info_reads_wild_torrents_as_libtorrent(tmp):
    """Random torrents of odd path elements, clashing paths, pad files with and without a path and file
    attributes: bitveil names every file as libtorrent does, and says which ones are executable."""
    rng = random.Random(23)
    checked = 0
    for case in range(150):
        files = []
        for _ in range(rng.randint(1, 6)):
            entry = {b"length": rng.choice([0, 1, 100, 20000])}
            elements = [rng.choice(WILD_ELEMENTS) for _ in range(rng.randint(1, 3))]
            if elements[-1].lstrip(b"/") in (b".", b".."):
                elements.append(b"f")
            r = rng.random()
            if r < 0.1:
                entry[b"attr"] = b"p"
                if rng.random() < 0.5 and files:  # libtorrent names the torrent after a first pathless pad
                    files.append(entry)
                    continue
            elif r < 0.2:
                entry[b"attr"] = rng.choice([b"x", b"h", b"xh"])
            entry[b"path"] = elements
            files.append(entry)
        total = sum(f[b"length"] for f in files)
        if total == 0:
            continue  # refused by both: nothing to download
        info = {b"name": rng.choice([b"top", b"", b"..", b".", b"a/b", b"n\xff", b"Top"]), b"piece length": 16 * KiB,
                b"pieces": b"\x11" * 20 * max(1, (total + 16 * KiB - 1) // (16 * KiB)), b"files": files}
        path = os.path.join(tmp, f"wild-{case}.torrent")
        with open(path, "wb") as f:
            f.write(bencode({b"info": info}))
        ours, ref = info_json(path), lt_ref("info", path)
        what = f"wild torrent {case} ({info!r:.2000})"
        check(ours["name"] == ref["name"], f"{what}: name {ours['name']!r} != libtorrent {ref['name']!r}")
        mine = [(f["path"], f["length"], f.get("executable", False)) for f in ours["files"] if not f.get("pad")]
        theirs = [(f["path"], f["length"], f.get("executable", False)) for f in ref["files"] if not f.get("pad")]
        check(mine == theirs, f"{what}: files differ:\n  bitveil    {mine}\n  libtorrent {theirs}")
        checked += 1
    print(f"  {checked} wild torrents read as libtorrent reads them")


def test_torrent_named_like_the_resume_folder_is_renamed(tmp):
    # DIR/.bitveil held earlier versions' resume records, which are still moved from there: a torrent cannot be
    # named so (path_sanitizer.hpp, rule 6).
    out = os.path.join(tmp, "reserved.torrent")
    hand_made_torrent(out, b".bitveil", [([b"x.resume"], 10)])
    d = info_json(out)
    check(d["name"] == ".bitveil_", f"name {d['name']!r}")
    check([f["path"] for f in d["files"]] == [".bitveil_/x.resume"], f"paths {d['files']}")


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitveil", required=True)
    ap.add_argument("--lt-reference", required=True)
    args = ap.parse_args()
    args.bitveil = os.path.abspath(args.bitveil)

    have_lt = subprocess.run(["/usr/bin/python3", "-c", "import libtorrent"], capture_output=True).returncode == 0
    tests = [test_bad_command_lines, test_write_error_reported_once, test_threads_and_defaults, test_refuses_to_overwrite, test_create_refuses_bad_input,
             test_info_refuses_bad_input, test_info_magnet, test_json_is_valid_for_non_utf8_names,
             test_info_escapes_terminal_control_in_names, test_torrent_named_like_the_resume_folder_is_renamed,
             test_create_matches_mktorrent]
    if have_lt:
        tests += [test_create_matches_libtorrent, test_info_reads_libtorrent_hybrid_and_refuses_v2_only,
                  test_info_matches_libtorrent_on_real_torrents, test_info_reads_wild_torrents_as_libtorrent]
    for t in tests:
        tmp = tempfile.mkdtemp(prefix="bitveil-cli-test-")
        os.environ["XDG_STATE_HOME"] = os.path.join(tmp, "state")  # resume records: not in root's ~
        try:
            print(f"{t.__name__}")
            t(tmp)
        except Exception:  # noqa: BLE001 - report every failing check, then fail
            failures.append(t.__name__)
            traceback.print_exc()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{checks} checks, {len(failures)} failed test(s){': ' + ', '.join(failures) if failures else ''}")
    if failures:
        return 1
    if not have_lt:
        print("SKIP: /usr/bin/python3 has no libtorrent module (apt-get install python3-libtorrent); "
              "the libtorrent comparisons did not run")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
