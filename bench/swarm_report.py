"""bench/swarm's tables: per-run rows -> best and median per (layout, seeders, mode, client), ratios of bitveil to
the best other client per (layout, seeders, mode), markdown and CSV. The same for bench/swarm --seed, whose rows
have `leechers` where downloads have `seeders`, and whose clients are the seeders (seed_ratios, seed_markdown).

A run row is a dict with the keys of RUN_FIELDS. Only runs that passed (exit 0, every file's sha256 equal to the
source, the encryption the mode asks for as the seeders saw it) count towards best and median; failed runs are
shown as `ok` = passed/total.
"""
import csv
import statistics

RUN_FIELDS = ["layout", "seeders", "mode", "client", "run", "ok", "status", "wall_s", "mb_s", "cpu_s",
              "cpu_s_per_gib", "rss_mib", "enc", "seeders_used", "xfer_s"]
SEED_RUN_FIELDS = ["layout", "leechers", "mode", "client", "run", "ok", "status", "wall_s", "mb_s", "cpu_s",
                   "cpu_s_per_gib", "rss_mib", "rss_check_mib", "enc", "uploaded", "page_cache"]
LAYOUT_NAMES = {"single": "1 file", "multi": "200 files"}


def _fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def summarize(rows, count_field="seeders"):
    """{(layout, seeders, mode, client): summary dict} in the order the groups first appear (count_field="leechers":
    keyed by the leecher count)."""
    out = {}
    for r in rows:
        key = (r["layout"], r[count_field], r["mode"], r["client"])
        out.setdefault(key, []).append(r)
    summaries = {}
    for key, runs in out.items():
        good = [r for r in runs if r["ok"]]
        s = {"runs": len(runs), "passed": len(good), "enc": ",".join(sorted({r["enc"] for r in good})) or "-",
             "seeders_used": ",".join(sorted({str(r.get("seeders_used")) for r in good})) or "-",
             "errors": "; ".join(sorted({r["status"] for r in runs if not r["ok"]}))}
        for name, best in (("wall_s", min), ("mb_s", max), ("cpu_s_per_gib", min), ("rss_mib", min)):
            vals = [r[name] for r in good]
            s[name + "_best"] = best(vals) if vals else None
            s[name + "_median"] = statistics.median(vals) if vals else None
        summaries[key] = s
    return summaries


def ratios(summaries, rc4_floors=None):
    """[(layout, seeders, mode, dict)] for every group that has bitveil and at least one other client with a
    passing run. Medians are compared. Targets: throughput >= 1.2x the best other, CPU s/GiB <= 0.8x the best
    other, peak RSS below every other; rc4: CPU s/GiB <= 1.5x the openssl floor (one RC4 + one SHA-1 pass),
    rc4_floors[(layout, seeders)] in CPU s/GiB, measured around that group's runs."""
    groups = {}
    for (layout, seeders, mode, client), s in summaries.items():
        groups.setdefault((layout, seeders, mode), {})[client] = s
    out = []
    for (layout, seeders, mode), by_client in groups.items():
        bv = by_client.get("bitveil")
        others = {c: s for c, s in by_client.items() if c != "bitveil" and s["passed"]}
        if not bv or not bv["passed"] or not others:
            continue
        fast = max(others, key=lambda c: others[c]["mb_s_median"])
        lean = min(others, key=lambda c: others[c]["cpu_s_per_gib_median"])
        small = min(others, key=lambda c: others[c]["rss_mib_median"])
        r = {
            "mb_s": (bv["mb_s_median"] / others[fast]["mb_s_median"], fast, 1.2, ">="),
            "cpu": (bv["cpu_s_per_gib_median"] / others[lean]["cpu_s_per_gib_median"], lean, 0.8, "<="),
            "rss": (bv["rss_mib_median"] / others[small]["rss_mib_median"], small, 1.0, "<"),
        }
        floor = (rc4_floors or {}).get((layout, seeders))
        if mode == "rc4" and floor:
            r["floor"] = (bv["cpu_s_per_gib_median"] / floor, "openssl", 1.5, "<=")
        out.append((layout, seeders, mode, r))
    return out


def _met(value, target, op):
    return {">=": value >= target, "<=": value <= target, "<": value < target}[op]


def markdown(summaries, ratio_rows):
    lines = ["| layout | seeders | mode | client | passed | wall s best / median | MB/s best / median "
             "| CPU s/GiB best / median | peak RSS MiB best / median | encryption (seeders' view) | seeders used |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (layout, seeders, mode, client), s in summaries.items():
        lines.append(
            f"| {LAYOUT_NAMES.get(layout, layout)} | {seeders} | {mode} | {client} | {s['passed']}/{s['runs']} "
            f"| {_fmt(s['wall_s_best'])} / {_fmt(s['wall_s_median'])} | {_fmt(s['mb_s_best'], 1)} / "
            f"{_fmt(s['mb_s_median'], 1)} | {_fmt(s['cpu_s_per_gib_best'])} / {_fmt(s['cpu_s_per_gib_median'])} "
            f"| {_fmt(s['rss_mib_best'], 1)} / {_fmt(s['rss_mib_median'], 1)} | {s['enc']} | {s['seeders_used']} |")
    failed = [(k, s["errors"]) for k, s in summaries.items() if s["errors"]]
    if failed:
        lines.append("")
        lines.append("Failed runs (not counted above):")
        for (layout, seeders, mode, client), err in failed:
            lines.append(f"- {layout}, {seeders} seeder(s), {mode}, {client}: {err}")
    if ratio_rows:
        lines += ["", "bitveil / best other client (medians; the other client named; target in brackets):", "",
                  "| layout | seeders | mode | MB/s [>= 1.2] | CPU s/GiB [<= 0.8] | peak RSS [< 1] "
                  "| CPU s/GiB vs openssl RC4+SHA-1 [<= 1.5] |", "|---|---|---|---|---|---|---|"]
        for layout, seeders, mode, r in ratio_rows:
            cells = []
            for k in ("mb_s", "cpu", "rss", "floor"):
                if k not in r:
                    cells.append("-")
                    continue
                v, who, target, op = r[k]
                mark = "met" if _met(v, target, op) else "missed"
                cells.append(f"{v:.2f}x {who if k != 'floor' else ''} ({mark})".replace("  ", " "))
            lines.append(f"| {LAYOUT_NAMES.get(layout, layout)} | {seeders} | {mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(path, rows, summaries, context, fields=RUN_FIELDS, count_field="seeders"):
    """One line per run plus `best` and `median` lines per (layout, seeders, mode, client); `context` columns
    (date, machine) are repeated on every line. --seed: fields=SEED_RUN_FIELDS, count_field="leechers"."""
    fields = list(context) + fields
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({**context, **r})
        for (layout, seeders, mode, client), s in summaries.items():
            for which in ("best", "median"):
                line = {**context, "layout": layout, count_field: seeders, "mode": mode, "client": client,
                        "run": which, "ok": s["passed"], "status": f"{s['passed']}/{s['runs']} passed",
                        "wall_s": s[f"wall_s_{which}"], "mb_s": s[f"mb_s_{which}"],
                        "cpu_s_per_gib": s[f"cpu_s_per_gib_{which}"], "rss_mib": s[f"rss_mib_{which}"],
                        "enc": s["enc"]}
                if "seeders_used" in fields:
                    line["seeders_used"] = s["seeders_used"]
                w.writerow(line)


# ---------------------------------------------------------------------------------------------------
# bench/swarm --seed


def seed_ratios(summaries):
    """[(layout, leechers, mode, dict)] for every group where bitveil and another seeder passed. Medians compared,
    with the targets of issue 27: CPU s/GiB uploaded <= 0.6x libtorrent's and <= 0.8x the leanest of aria2 and
    Transmission; delivered MB/s >= the fastest other seeder; peak RSS below every other seeder."""
    groups = {}
    for (layout, leechers, mode, client), s in summaries.items():
        groups.setdefault((layout, leechers, mode), {})[client] = s
    out = []
    for (layout, leechers, mode), by_client in groups.items():
        bv = by_client.get("bitveil")
        others = {c: s for c, s in by_client.items() if c != "bitveil" and s["passed"]}
        if not bv or not bv["passed"] or not others:
            continue
        r = {}
        if "libtorrent" in others:
            r["cpu_lt"] = (bv["cpu_s_per_gib_median"] / others["libtorrent"]["cpu_s_per_gib_median"], "libtorrent",
                           0.6, "<=")
        classic = {c: s for c, s in others.items() if c in ("aria2", "transmission")}
        if classic:
            lean = min(classic, key=lambda c: classic[c]["cpu_s_per_gib_median"])
            r["cpu_lean"] = (bv["cpu_s_per_gib_median"] / classic[lean]["cpu_s_per_gib_median"], lean, 0.8, "<=")
        fast = max(others, key=lambda c: others[c]["mb_s_median"])
        small = min(others, key=lambda c: others[c]["rss_mib_median"])
        r["mb_s"] = (bv["mb_s_median"] / others[fast]["mb_s_median"], fast, 1.0, ">=")
        r["rss"] = (bv["rss_mib_median"] / others[small]["rss_mib_median"], small, 1.0, "<")
        out.append((layout, leechers, mode, r))
    return out


def seed_markdown(summaries, ratio_rows):
    lines = ["| layout | leechers | mode | seeder | passed | wall s best / median | delivered MB/s best / median "
             "| seeder CPU s/GiB best / median | seeder peak RSS MiB best / median | encryption (leechers' view) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (layout, leechers, mode, client), s in summaries.items():
        lines.append(
            f"| {LAYOUT_NAMES.get(layout, layout)} | {leechers} | {mode} | {client} | {s['passed']}/{s['runs']} "
            f"| {_fmt(s['wall_s_best'])} / {_fmt(s['wall_s_median'])} | {_fmt(s['mb_s_best'], 1)} / "
            f"{_fmt(s['mb_s_median'], 1)} | {_fmt(s['cpu_s_per_gib_best'])} / {_fmt(s['cpu_s_per_gib_median'])} "
            f"| {_fmt(s['rss_mib_best'], 1)} / {_fmt(s['rss_mib_median'], 1)} | {s['enc']} |")
    failed = [(k, s["errors"]) for k, s in summaries.items() if s["errors"]]
    if failed:
        lines += ["", "Failed runs (not counted above):"]
        for (layout, leechers, mode, client), err in failed:
            lines.append(f"- {layout}, {leechers} leecher(s), {mode}, {client}: {err}")
    if ratio_rows:
        lines += ["", "bitveil / other seeders (medians; the other seeder named; target in brackets):", "",
                  "| layout | leechers | mode | CPU s/GiB vs libtorrent [<= 0.6] | CPU s/GiB vs leanest of aria2, "
                  "transmission [<= 0.8] | delivered MB/s vs fastest other [>= 1] | peak RSS vs smallest other [< 1] |",
                  "|---|---|---|---|---|---|---|"]
        for layout, leechers, mode, r in ratio_rows:
            cells = []
            for k in ("cpu_lt", "cpu_lean", "mb_s", "rss"):
                if k not in r:
                    cells.append("-")
                    continue
                v, who, target, op = r[k]
                cells.append(f"{v:.2f}x {who} ({'met' if _met(v, target, op) else 'missed'})")
            lines.append(f"| {LAYOUT_NAMES.get(layout, layout)} | {leechers} | {mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
