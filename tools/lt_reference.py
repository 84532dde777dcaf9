#!/usr/bin/python3
"""Reference answers from libtorrent (python3-libtorrent), to check bitveil against.

usage:
  lt_reference.py info FILE.torrent
      Prints libtorrent's reading of the torrent as JSON: info_hash (v1, hex), name, total_size,
      piece_length, num_pieces, private, trackers (list of tiers), files [{path, length, pad}];
      a file's "executable" is true for BEP 47 'x', and "symlink" is a BEP 47 link's target as
      libtorrent keeps it (a link whose target is not in the torrent points at the link itself).
  lt_reference.py create PATH --piece-size BYTES [--tracker URL]... [--private] [-o OUT] [--mode MODE]
      Makes a torrent of PATH with libtorrent, writes OUT when given and prints
      {"info_hash": ..., "files": [...]} as JSON (info_hash: v1, or null for a v2-only torrent).
      --mode v1 (default): v1-only, no pad files, no file attributes, files in libtorrent's canonical
      order (the order of a v2 file tree, i.e. sorted component by component): what bitveil makes.
      --mode hybrid: libtorrent's default v1+v2 torrent, with pad files. --mode v2: v2-only.

Exit status: 0 ok, 1 libtorrent refused the input, 77 python3-libtorrent is not installed.
Run it with /usr/bin/python3: that is where Debian's python3-libtorrent lives.
"""
import argparse
import json
import os
import sys

try:
    import libtorrent as lt
except ImportError:
    print("lt_reference.py: python3-libtorrent is not installed (apt-get install python3-libtorrent)",
          file=sys.stderr)
    sys.exit(77)


def file_list(fs):
    out = []
    for i in range(fs.num_files()):
        entry = {"path": fs.file_path(i).replace(os.sep, "/"), "length": fs.file_size(i)}
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            entry["pad"] = True
        if fs.file_flags(i) & lt.file_storage.flag_executable:
            entry["executable"] = True
        if fs.file_flags(i) & lt.file_storage.flag_symlink:
            entry["symlink"] = fs.symlink(i).replace(os.sep, "/")
        out.append(entry)
    return out


def tiers_of(ti):
    tiers = {}
    for t in ti.trackers():
        tiers.setdefault(t.tier, []).append(t.url)
    return [tiers[k] for k in sorted(tiers)]


def cmd_info(args):
    ti = lt.torrent_info(args.torrent)
    json.dump({
        "info_hash": str(ti.info_hashes().v1),
        "name": ti.name(),
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "private": bool(ti.priv()),
        "trackers": tiers_of(ti),
        "files": file_list(ti.files()),
    }, sys.stdout, indent=2)
    print()


def cmd_create(args):
    path = os.path.abspath(args.path.rstrip("/") or "/")
    parent = os.path.dirname(path)
    found = lt.file_storage()
    lt.add_files(found, path)
    if found.num_files() == 0:
        raise RuntimeError("no files")
    # add_files() lists files in directory order; a canonical torrent sorts them. Take that order
    # (without the pad files canonical torrents insert) and build a plain v1 torrent in it.
    if args.mode != "v1":
        flags = lt.create_torrent.v2_only if args.mode == "v2" else 0
        ct = lt.create_torrent(found, args.piece_size, flags=flags)
        return finish(ct, args, parent)
    canonical = lt.create_torrent(found, args.piece_size,
                                  flags=lt.create_torrent.v1_only | lt.create_torrent.canonical_files)
    cfs = canonical.files()
    ordered = lt.file_storage()
    for i in range(cfs.num_files()):
        if not cfs.file_flags(i) & lt.file_storage.flag_pad_file:
            ordered.add_file(cfs.file_path(i), cfs.file_size(i))
    ct = lt.create_torrent(ordered, args.piece_size,
                           flags=lt.create_torrent.v1_only | lt.create_torrent.no_attributes)
    return finish(ct, args, parent)


def finish(ct, args, parent):
    for tier, url in enumerate(args.tracker or []):
        ct.add_tracker(url, tier)
    if args.private:
        ct.set_priv(True)
    lt.set_piece_hashes(ct, parent)
    data = lt.bencode(ct.generate())
    if args.output:
        with open(args.output, "wb") as f:
            f.write(data)
    ti = lt.torrent_info(lt.bdecode(data))
    hashes = ti.info_hashes()
    json.dump({"info_hash": str(hashes.v1) if hashes.has_v1() else None, "files": file_list(ti.files())},
              sys.stdout, indent=2)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    info = sub.add_parser("info")
    info.add_argument("torrent")
    create = sub.add_parser("create")
    create.add_argument("path")
    create.add_argument("--piece-size", type=int, required=True)
    create.add_argument("--tracker", action="append")
    create.add_argument("--private", action="store_true")
    create.add_argument("-o", "--output")
    create.add_argument("--mode", choices=("v1", "hybrid", "v2"), default="v1")
    args = ap.parse_args()
    try:
        (cmd_info if args.cmd == "info" else cmd_create)(args)
    except RuntimeError as e:
        print(f"lt_reference.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
