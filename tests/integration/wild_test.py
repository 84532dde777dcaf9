#!/usr/bin/python3
"""Torrents from the wild (issue 23, acceptance 8), on 127.0.0.1: hand-made torrents that libtorrent downloads
and that bitveil must read as libtorrent reads them. Each case builds its .torrent here, lets libtorrent
(python3-libtorrent) name the files and seed them, and downloads it twice from that seeder: with bitveil into
sandbox/dl and with a libtorrent leecher into a folder of its own. Then:
  - bitveil's tree is libtorrent's tree: the same paths (folders, files, links), the same sha256 for every
    file, the same executable bits, the same link texts; the one difference allowed is a BEP 47 link whose
    target is not in the torrent, which libtorrent points at itself and bitveil does not create;
  - nothing appeared in the sandbox outside dl/, and every path below dl/ resolves inside it;
  - `bitveil info` (text and --json) lists what was renamed, skipped or ignored.

usage: wild_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Exit status: 0 pass, 1 fail (logs of every process are printed), 77 skipped (python3-libtorrent missing).
BITVEIL_KEEP_LAB=1 keeps the temporary folders.
"""
import hashlib
import json
import os
import random
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, ROOT, SYSTEM_PYTHON, Torrent, bencode, check, main, need_libtorrent  # noqa: E402

LT_REFERENCE = os.path.join(ROOT, "tools", "lt_reference.py")
PIECE = 16 * KiB
CLOSED_TRACKER = "http://127.0.0.1:9/announce"  # the discard port: nothing answers


# ---------------------------------------------------------------------------------------------------
# Building the torrents

def data_file(path, size, **extra):
    """A file with data: path elements as bytes (as the torrent has them), its size, other keys of its entry."""
    return {"path": path, "length": size, **extra}


def pad(size, path=None):
    entry = {"length": size, "attr": b"p", "pad": True}
    if path is not None:
        entry["path"] = path
    return entry


def link(path, target, length=0):
    entry = {"path": path, "length": length, "attr": b"l", "link": True}
    if target is not None:
        entry["symlink path"] = target
    return entry


def build(lab, case, name, files, root_extra=None, info_extra=None):
    """Writes the .torrent of `files` (dicts from the helpers above) and returns (Torrent, {index: content})."""
    rng = random.Random(case)
    entries, contents, stream = [], {}, []
    for i, f in enumerate(files):
        e = {k: v for k, v in f.items() if k not in ("pad", "link")}
        entries.append(e)
        if f.get("link"):
            continue  # no data: a link takes no room in the torrent (libtorrent: "an implied size of zero")
        data = bytes(f["length"]) if f.get("pad") or b"_____padding_file_" in b"/".join(f.get("path", [])) \
            else rng.randbytes(f["length"])
        contents[i] = data
        stream.append(data)
    blob = b"".join(stream)
    pieces = b"".join(hashlib.sha1(blob[k:k + PIECE]).digest() for k in range(0, len(blob), PIECE))
    info = {b"name": name, b"piece length": PIECE, b"pieces": pieces, b"files": entries}
    info.update(info_extra or {})
    top = {b"info": info, b"announce": CLOSED_TRACKER}
    top.update(root_extra or {})
    path = os.path.join(lab.path("torrents"), case + ".torrent")
    with open(path, "wb") as out:
        out.write(bencode(top))
    return path, contents


# ---------------------------------------------------------------------------------------------------
# Trees

def lt_reading(torrent_path):
    r = subprocess.run([SYSTEM_PYTHON, LT_REFERENCE, "info", torrent_path], capture_output=True, timeout=60)
    check(r.returncode == 0, f"libtorrent refuses {torrent_path}: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout)


def place_seed_data(reading, contents, seed_dir):
    """Writes each file's content where libtorrent says the file is (pad files and links are not on disk)."""
    for i, f in enumerate(reading["files"]):
        if f.get("pad") or "symlink" in f:
            continue
        p = os.path.join(seed_dir, f["path"])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as out:
            out.write(contents.get(i, b""))  # a link without a target is an empty file


def tree(root, skip=(".bitveil",)):
    """{relative path (bytes): description} of everything below root: ("dir",), ("file", sha256, executable),
    ("link", text). Links are not followed."""
    out = {}
    broot = os.fsencode(root)
    for d, dirs, files in os.walk(broot):
        rel_d = os.path.relpath(d, broot)
        if rel_d == b".":
            dirs[:] = [x for x in dirs if os.fsdecode(x) not in skip]
            files = [x for x in files if os.fsdecode(x) not in skip]
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.normpath(os.path.join(rel_d, n))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                out[rel] = ("file", digest, bool(st.st_mode & 0o100))
    return out


def self_link(rel, entry):
    """libtorrent's way with a link whose target is not in the torrent: the link points at itself (by its name
    before duplicates were renamed)."""
    if entry[0] != "link":
        return False
    leaf = os.path.basename(rel)
    text = entry[1]
    return text == leaf or (b"/" not in text and leaf.startswith(text.split(b".")[0]))


def listing(root):
    out = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


# ---------------------------------------------------------------------------------------------------
# One case

def run_case(lab, case, name, files, expect_notes, root_extra=None, info_extra=None):
    need_libtorrent()
    torrent_path, contents = build(lab, case, name, files, root_extra, info_extra)
    reading = lt_reading(torrent_path)
    lab.log(f"libtorrent names: {[f['path'] for f in reading['files']]}")

    # What bitveil says it changes: the kinds of notes expected, in text and in JSON.
    r = subprocess.run([lab.bitveil_path, "info", "--json", torrent_path], capture_output=True, timeout=60)
    check(r.returncode == 0, f"bitveil info --json: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    ours = json.loads(r.stdout)
    kinds = {n["kind"] for n in ours["notes"]}
    lab.log("bitveil's notes:\n  " + "\n  ".join(n["text"] for n in ours["notes"]))
    check(set(expect_notes) <= kinds, f"notes {sorted(kinds)}, expected at least {sorted(expect_notes)}")
    check(ours["info_hash"] == reading["info_hash"], "info-hash differs from libtorrent's")
    check([f["path"] for f in ours["files"] if not f.get("pad")] ==
          [f["path"] for f in reading["files"] if not f.get("pad")],
          f"bitveil info names the files otherwise than libtorrent:\n  bitveil    "
          f"{[f['path'] for f in ours['files']]}\n  libtorrent {[f['path'] for f in reading['files']]}")
    text = subprocess.run([lab.bitveil_path, "info", torrent_path], capture_output=True, timeout=60)
    check(text.returncode == 0 and b"read as libtorrent reads it" in text.stdout,
          f"bitveil info does not list its changes: {text.stdout.decode(errors='replace')}")

    # libtorrent seeds what it named.
    seed_dir = lab.path("seed")
    place_seed_data(reading, contents, seed_dir)
    tor = Torrent.__new__(Torrent)
    tor.path = torrent_path
    seeder = lab.lt_peer("lt-seed", tor, seed_dir, seed=True, no_tracker=True)
    seeder.wait_seeding()
    peer = f"127.0.0.1:{seeder.port}"

    # libtorrent downloads it: the tree to compare with.
    lt_dir = lab.path("lt-leech")
    leech = lab.lt_peer("lt-leech", tor, lt_dir, seed=False, peers=[peer], no_tracker=True, timeout=90)
    leech.wait_for(r"^DONE", 100, "DONE")

    # bitveil downloads it into sandbox/dl.
    sandbox = lab.path("sandbox")
    dl = os.path.join(sandbox, "dl")
    os.makedirs(dl)
    before = listing(sandbox)
    bv = lab.bitveil("bitveil", "download", tor, dl, peers=[peer])
    bv.finish(90, watch=[seeder])
    out = bv.text()
    if "symlink_skipped" in expect_notes:
        check("skipped the link" in out, "download did not warn about the link it does not create")
    new = sorted(listing(sandbox) - before)
    check(all(n == "dl" or n.startswith("dl/") for n in new), f"written outside dl/: {new}")
    for d, dirs, names in os.walk(dl):
        for n in dirs + names:
            p = os.path.join(d, n)
            real = os.path.realpath(p)
            check(real == os.path.realpath(dl) or real.startswith(os.path.realpath(dl) + os.sep),
                  f"{os.path.relpath(p, dl)} resolves outside the download folder: {real}")
    check(not os.path.exists(os.path.join(lab.dir, "escaped.txt")) and not os.path.exists("/escaped.txt"),
          "escaped.txt written above the download folder")

    # The same tree as libtorrent's, link targets that are not in the torrent aside.
    theirs, mine = tree(lt_dir), tree(dl)
    skipped = {f["path"].encode() for f in ours["files"] if f.get("symlink_skipped")}
    for rel in sorted(set(theirs) | set(mine)):
        t, m = theirs.get(rel), mine.get(rel)
        if t == m:
            continue
        if m is None and rel in skipped and self_link(rel, t):
            continue
        raise AssertionError(f"{rel!r}: libtorrent has {t}, bitveil has {m}\n  libtorrent {sorted(theirs)}\n"
                             f"  bitveil    {sorted(mine)}")
    lab.log(f"same tree as libtorrent: {len(mine)} entries ({len(skipped)} link(s) not created)")
    for rel in skipped:
        check(rel in theirs, f"{rel!r}: libtorrent did not make the link bitveil skipped")
    return mine


# ---------------------------------------------------------------------------------------------------
# The cases

def duplicates(lab):
    """Two files on one path, the same path but for letter case, a file where a folder is, hidden files and
    names without an extension: libtorrent's ".N" names."""
    mine = run_case(lab, "duplicates", b"dups", [
        data_file([b"a", b"b.txt"], 20000),
        data_file([b"c"], 100),
        data_file([b"a", b"b.txt"], 5000),
        data_file([b"A", b"B.TXT"], 300),
        data_file([b"a"], 7),           # a file where the folder a/ is
        data_file([b".hidden"], 10),
        data_file([b".hidden"], 11),
        data_file([b"README"], 12),
        data_file([b"README"], 13),
        data_file([b"x.txt"], 14),
        data_file([b"x.1.txt"], 15),
        data_file([b"x.txt"], 16),
    ], expect_notes={"duplicate"})
    for p in (b"dups/a/b.1.txt", b"dups/A/B.2.TXT", b"dups/a.1", b"dups/.1.hidden", b"dups/README.1", b"dups/x.2.txt"):
        check(p in mine, f"{p!r} missing")


def elements(lab):
    """Empty, '.', '..' (dropped, never followed), '/', NUL, control characters, invalid UTF-8, direction marks
    and over-long names in paths, and a torrent named '..'."""
    mine = run_case(lab, "elements", b"..", [
        data_file([b"..", b"..", b"escaped.txt"], 3000),
        data_file([b"a", b"..", b"..", b"..", b"x.txt"], 2000),
        data_file([b"", b"etc", b"passwd"], 100),
        data_file([b".", b"dot", b"."], 101),
        data_file([b"sl/ash", b"back\\slash", b"nul\x00byte"], 102),
        data_file([b"ctrl\x01\x1b[2J", b"bad\xff\xfeutf8", b"cut\xc3"], 103),
        data_file([b"invoice\xe2\x80\xaetxt.exe"], 104),
        data_file([b"l" * 300 + b".flac"], 105),
        data_file([b"/.."], 106),
        data_file([b"caf\xc3\xa9", b"\xf0\x9f\x98\x80.txt"], 107),
    ], expect_notes={"renamed"})
    names = [os.path.basename(p) for p in mine]
    check(b"escaped.txt" in names and b"passwd" in names, f"expected the '..' files inside: {sorted(mine)}")


def wrong_types(lab):
    """Optional fields of the wrong type, ignored as libtorrent ignores them: url-list entries that are not
    strings, a malformed announce-list, creation date as a string, comment and created by of other types, an
    'attr' that is a number, 'private' as a string."""
    run_case(lab, "wrong_types", b"typed", [
        data_file([b"one.bin"], 40000, attr=7),
        data_file([b"two.bin"], 1234),
    ], expect_notes={"field_ignored"},
        root_extra={b"url-list": [b"http://127.0.0.1:9/seed/", 5, {b"x": 1}],
                    b"announce-list": [b"not a tier", [CLOSED_TRACKER.encode(), 17], 3],
                    b"httpseeds": 12, b"creation date": b"yesterday", b"comment": [b"x"],
                    b"created by": {b"who": b"me"}, b"comment.utf-8": 3},
        info_extra={b"private": b"1"})


def bep47(lab):
    """BEP 47: pad files (with a path, without one, BitComet's) never written; 'x' gives the executable bit;
    'h' is only a name; links to a file, to a folder, relative to the link's folder and through another link
    are created, a link whose target is not in the torrent ('..' dropped) is not, and one without a
    'symlink path' is an empty file."""
    mine = run_case(lab, "bep47", b"attrs", [
        data_file([b"bin", b"tool"], 10000, attr=b"x"),
        pad(PIECE - 10000, [b".pad", str(PIECE - 10000).encode()]),
        data_file([b".secret"], 20000, attr=b"h"),
        pad(3 * PIECE - (PIECE + 20000)),
        data_file([b"docs", b"guide.txt"], 3000, attr=b"xh"),
        data_file([b"_____padding_file_0_do not open"], PIECE - 3000),
        data_file([b"docs", b"sub", b"page.html"], 500),
        link([b"to_tool"], [b"bin", b"tool"]),
        link([b"to_docs"], [b"docs"]),
        link([b"docs", b"beside"], [b"guide.txt"]),
        link([b"through"], [b"to_docs", b"sub", b"page.html"]),
        link([b"escape"], [b"..", b"..", b"..", b"etc", b"passwd"], length=777),
        link([b"no_target"], None),
        data_file([b"empty-exec"], 0, attr=b"x"),
    ], expect_notes={"symlink_skipped", "not_a_symlink"})
    check(mine.get(b"attrs/bin/tool", ("",))[0] == "file" and mine[b"attrs/bin/tool"][2],
          "bin/tool is not executable")
    check(mine.get(b"attrs/to_tool") == ("link", b"bin/tool"), f"to_tool: {mine.get(b'attrs/to_tool')}")
    check(mine.get(b"attrs/docs/beside") == ("link", b"guide.txt"), f"beside: {mine.get(b'attrs/docs/beside')}")
    check(b"attrs/escape" not in mine, "the link whose target is not in the torrent was created")
    check(not any(b".pad" in p or b"_____padding_file_" in p for p in mine), f"pad files written: {sorted(mine)}")


CASES = {
    "duplicates": (duplicates, 180, "duplicate paths get libtorrent's '.N' names"),
    "elements": (elements, 180, "empty, '.', '..' and invalid path elements, a torrent named '..'"),
    "wrong_types": (wrong_types, 180, "optional fields of the wrong type are ignored"),
    "bep47": (bep47, 180, "BEP 47 pad files, executable and hidden files, symlinks"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
