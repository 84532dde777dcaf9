"""bench/swarm's tables: per-run rows -> best and median per (layout, seeders, mode, client), ratios of bitveil to
the best other client per (layout, seeders, mode), markdown and CSV.

A run row is a dict with the keys of RUN_FIELDS. Only runs that passed (exit 0, every file's sha256 equal to the
source, the encryption the mode asks for as the seeders saw it) count towards best and median; failed runs are
shown as `ok` = passed/total.
"""
import csv
import statistics

RUN_FIELDS = ["layout", "seeders", "mode", "client", "run", "ok", "status", "wall_s", "mb_s", "cpu_s",
              "cpu_s_per_gib", "rss_mib", "enc", "seeders_used", "xfer_s"]
LAYOUT_NAMES = {"single": "1 file", "multi": "200 files"}


def _fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def summarize(rows):
    """{(layout, seeders, mode, client): summary dict} in the order the groups first appear."""
    out = {}
    for r in rows:
        key = (r["layout"], r["seeders"], r["mode"], r["client"])
        out.setdefault(key, []).append(r)
    summaries = {}
    for key, runs in out.items():
        good = [r for r in runs if r["ok"]]
        s = {"runs": len(runs), "passed": len(good), "enc": ",".join(sorted({r["enc"] for r in good})) or "-",
             "seeders_used": ",".join(sorted({str(r["seeders_used"]) for r in good})) or "-",
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


def write_csv(path, rows, summaries, context):
    """One line per run plus `best` and `median` lines per (layout, seeders, mode, client); `context` columns
    (date, machine) are repeated on every line."""
    fields = list(context) + RUN_FIELDS
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({**context, **r})
        for (layout, seeders, mode, client), s in summaries.items():
            for which in ("best", "median"):
                w.writerow({**context, "layout": layout, "seeders": seeders, "mode": mode, "client": client,
                            "run": which, "ok": s["passed"], "status": f"{s['passed']}/{s['runs']} passed",
                            "wall_s": s[f"wall_s_{which}"], "mb_s": s[f"mb_s_{which}"],
                            "cpu_s_per_gib": s[f"cpu_s_per_gib_{which}"], "rss_mib": s[f"rss_mib_{which}"],
                            "enc": s["enc"], "seeders_used": s["seeders_used"]})
