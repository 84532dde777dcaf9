#!/usr/bin/python3
"""File selection against a libtorrent seeder (ctest label `integration`).

usage: files_test.py --bitveil PATH/TO/bitveil [CASE...]      (--list shows the cases)

Cases:
  select_then_more  a torrent of six files whose edges fall inside pieces; --select-file 2,5: only those two files
                    exist, with the right sha256, the others' bytes of shared pieces sit in one part file in the
                    resume folder. Then --select-file 2,3,5: file 3 completes, fetching no piece the first run
                    held (payload downloaded = the pieces of file 3 not shared with 2); the part file stays for
                    files 1, 4 and 6. Then every file: all six match and the part file is gone.
  magnet            the same through a magnet link (the files are numbered once the metadata is known), with
                    --priority-high for a selected file; a number beyond the file count fails the .torrent at
                    once (exit 2, nothing created) and the magnet once its metadata is known (exit 1)
Exit status: 0 pass, 1 fail (every process's log is printed), 77 skipped.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import KiB, Magnet, Payload, check, main, sha256_file  # noqa: E402

PIECE = 32 * KiB
# Sizes that put every file edge inside a piece.
SIZES = [100 * KiB + 7, 300 * KiB + 11, 250 * KiB + 5, 64 * KiB + 100, 500 * KiB + 3, 90 * KiB + 1]


def six_files(lab):
    pl = Payload(lab.path("src"), "six", [(f"f{i + 1}.bin", s) for i, s in enumerate(SIZES)])
    return pl, lab.create_torrent(pl, piece_size=PIECE)


def pieces_of(numbers):
    """The pieces holding bytes of the files with these numbers (1-based)."""
    out, offset = set(), 0
    for i, size in enumerate(SIZES):
        if i + 1 in numbers:
            out.update(range(offset // PIECE, (offset + size - 1) // PIECE + 1))
        offset += size
    return out


def piece_bytes(pieces):
    total = sum(SIZES)
    return sum(min(PIECE, total - p * PIECE) for p in pieces)


def check_files(lab, pl, dl, numbers, who):
    """Exactly the files `numbers` are on disk, each with the source's sha256."""
    present = sorted(os.listdir(os.path.join(dl, "six")))
    expected = sorted(f"f{n}.bin" for n in numbers)
    check(present == expected, f"{who}: files on disk {present}, expected {expected}")
    for n in numbers:
        rel = os.path.join("six", f"f{n}.bin")
        check(sha256_file(os.path.join(dl, rel)) == pl.digests[rel][1], f"{who}: {rel} differs from the source")
    lab.log(f"{who}: {', '.join(present)} on disk, each matching the source")


def part_files(lab, tor):
    return glob.glob(os.path.join(lab.state_home, "bitveil", tor.info_hash_hex + "-*.parts"))


def select_then_more(lab):
    pl, tor = six_files(lab)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    dl = lab.path("dl")
    peers = [f"127.0.0.1:{seeder.port}"]

    st = lab.bitveil("select-2-5", "download", tor, dl, peers=peers, extra=["--select-file", "2,5"]).finish(
        60, watch=[seeder])["torrents"][0]
    check_files(lab, pl, dl, [2, 5], "--select-file 2,5")
    check(st["complete"] and st["wanted_left"] == 0, f"--select-file 2,5 not complete: {st}")
    held = pieces_of({2, 5})
    check(st["wanted_size"] == piece_bytes(held), f"wanted_size {st['wanted_size']}, expected {piece_bytes(held)}")
    check(len(part_files(lab, tor)) == 1, f"part files in the resume folder: {part_files(lab, tor)}")

    st = lab.bitveil("select-2-3-5", "download", tor, dl, peers=peers, extra=["--select-file", "2,3,5"]).finish(
        60, watch=[seeder])["torrents"][0]
    check_files(lab, pl, dl, [2, 3, 5], "--select-file 2,3,5")
    missing = pieces_of({3}) - held
    lab.log(f"file 3: {len(pieces_of({3}))} pieces, {len(pieces_of({3}) & held)} held by the first run; "
            f"downloaded {st['payload_downloaded']} bytes, {piece_bytes(missing)} in the pieces not held")
    check(st["payload_downloaded"] == piece_bytes(missing),
          f"downloaded {st['payload_downloaded']} bytes for file 3, expected {piece_bytes(missing)} "
          f"(its pieces not held)")
    check(len(part_files(lab, tor)) == 1, "the part file went while files 1, 4 and 6 still need it")

    lab.bitveil("all", "download", tor, dl, peers=peers).finish(60, watch=[seeder])
    pl.check_copy(dl, "every file")
    check(not part_files(lab, tor), f"part file left once every file is wanted: {part_files(lab, tor)}")


def magnet(lab):
    pl, tor = six_files(lab)
    seeder = lab.lt_peer("lt-seed", tor, pl.parent, True)
    seeder.wait_seeding()
    peers = [f"127.0.0.1:{seeder.port}"]

    dl = lab.path("dl-wrong")
    bv = lab.bitveil("torrent-7", "download", tor, dl, peers=peers, extra=["--select-file", "1,7"])
    rc = bv.wait(30)
    check(rc == 2, f"--select-file 1,7 of six files exited {rc}, expected 2")
    check("file 7: the torrent has 6 files" in bv.text(), "no message naming file 7")
    check(not os.listdir(dl), f"files created for a refused selection: {os.listdir(dl)}")

    bv = lab.bitveil("magnet-7", "download", Magnet(tor), lab.path("dl-magnet-wrong"), peers=peers,
                     extra=["--select-file", "7"])
    rc = bv.wait(60, watch=[seeder])
    check(rc == 1, f"a magnet with --select-file 7 exited {rc}, expected 1")
    check("file 7: the torrent has 6 files" in bv.text(), "no message naming file 7")

    dl = lab.path("dl-magnet")
    lab.bitveil("magnet-1-6", "download", Magnet(tor), dl, peers=peers,
                extra=["--select-file", "1,6", "--priority-high", "6"]).finish(60, watch=[seeder])
    check_files(lab, pl, dl, [1, 6], "magnet --select-file 1,6")


CASES = {
    "select_then_more": (select_then_more, 150, "--select-file 2,5, then 2,3,5: only the pieces not held"),
    "magnet": (magnet, 150, "--select-file through a magnet link; numbers beyond the files refused"),
}

if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
