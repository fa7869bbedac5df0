#!/usr/bin/python3
"""Plots of cimsim results (matplotlib, PNG and/or SVG).

From a report (cimsim run --out report.json):
  energy       energy per machine as stacked bars, one segment per component
  bytes        bytes read and written per link (memory level) for each machine
  roofline     per-op roofline of the von Neumann machine(s): achieved FLOP/s vs FLOP/byte
  report       all of the above that the report supports

From a sweep CSV (scripts/sweep.py):
  line         metric(s) vs one parameter, a line per series
  heatmap      one metric over two parameters
  seq-latency  latency vs sequence length (log-log), decoder vs ENTP, a panel per machine

    scripts/plot.py energy out/run/report.json --format png,svg
    scripts/plot.py line out/sweeps/xbar/results.csv --x machine.xbar.rows --y energy_j --logy
    scripts/plot.py seq-latency out/sweeps/seq/results.csv

Exit codes: 0 written, 2 bad input (nothing written), 1 internal error. See docs/plots.md.
"""
import argparse
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cimsim_tools import report as rep  # noqa: E402
from cimsim_tools.common import EXIT_BAD_INPUT, EXIT_OK, InputError, fail  # noqa: E402
from cimsim_tools.table import (Table, axis_label, metric_of, safe_stem,  # noqa: E402
                                series_of, sort_key_values, to_number, unit_of)

TOOL = "plot"
REPORT_KINDS = ("energy", "bytes", "roofline", "report")
CSV_KINDS = ("line", "heatmap", "seq-latency")
FORMATS = ("png", "svg", "pdf")
PHASE_MARKERS = {"prefill": "o", "decode": "s", "encode": "^", "entp": "D"}
MODE_STYLES = {"decoder": ("-", "o"), "entp": ("--", "s"), "encoder": (":", "^")}


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError("%s (see %s --help)" % (message, self.prog))


class Matplotlib:
    """matplotlib, imported on first use: bad input is rejected (in a fraction of a second)
    before the import, and nothing is drawn until the data checked out."""

    def __init__(self):
        self._mods = None

    def _load(self):
        if self._mods is None:
            try:
                import matplotlib
            except ImportError:
                raise InputError("matplotlib is not installed for %s (Debian: apt-get install "
                                 "python3-matplotlib; run the script with /usr/bin/python3)"
                                 % sys.executable) from None
            matplotlib.use("Agg")
            matplotlib.rcParams["svg.hashsalt"] = "cimsim"  # stable SVG ids
            import matplotlib.pyplot as plt
            from matplotlib import colors, ticker
            self._mods = (plt, colors, ticker)
        return self._mods

    @property
    def plt(self):
        return self._load()[0]

    @property
    def colors(self):
        return self._load()[1]

    @property
    def ticker(self):
        return self._load()[2]


# ---- command line --------------------------------------------------------------------------

def make_parser():
    p = Parser(prog="plot.py", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="kind", metavar="KIND", parser_class=Parser)
    sub.required = True

    def common(sp, what):
        sp.add_argument("input", help=what)
        sp.add_argument("--out-dir", help="where the files go (default: the input's directory)")
        sp.add_argument("--format", default="png",
                        help="comma-separated: png, svg, pdf (default png)")
        sp.add_argument("--name", help="file name stem (default: from the plot kind)")
        sp.add_argument("--title", help="figure title (default: says what is plotted)")
        sp.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")

    e = sub.add_parser("energy", help="energy per machine, stacked by component")
    common(e, "a cimsim report (JSON)")
    e.add_argument("--relative", action="store_true",
                   help="each bar as 100%% (shares), for machines far apart in total energy")
    b = sub.add_parser("bytes", help="bytes read and written per link, per machine")
    common(b, "a cimsim report (JSON)")
    b.add_argument("--linear", action="store_true", help="linear y axis (default: log)")
    r = sub.add_parser("roofline", help="per-op roofline of the von Neumann machine(s)")
    common(r, "a cimsim report (JSON)")
    for sp in (r,):
        sp.add_argument("--machine", action="append",
                        help="the machine(s) to plot (default: every von_neumann machine)")
        sp.add_argument("--peak-flops", type=float, metavar="FLOP/S",
                        help="compute roof when the report's metrics lack one")
        sp.add_argument("--peak-bw", type=float, metavar="BYTES/S",
                        help="HBM bandwidth roof when the report's metrics lack one")
    a = sub.add_parser("report", help="energy, bytes and (where possible) roofline")
    common(a, "a cimsim report (JSON)")
    a.add_argument("--relative", action="store_true", help="energy bars as shares")
    a.add_argument("--linear", action="store_true", help="linear y axis for bytes")

    ln = sub.add_parser("line", help="metric(s) vs one parameter")
    common(ln, "a sweep CSV (scripts/sweep.py)")
    ln.add_argument("--x", required=True, help="the parameter column on the x axis")
    ln.add_argument("--y", required=True,
                    help="comma-separated columns, or metric names (seconds, energy_j, ...) "
                         "that mean every <machine>.<metric> column")
    ln.add_argument("--by", help="comma-separated columns that split rows into series "
                                 "(default: every other parameter that varies)")
    ln.add_argument("--where", action="append", default=[], metavar="COL=VALUE",
                    help="keep rows where COL is VALUE (repeatable)")
    ln.add_argument("--logx", action="store_true")
    ln.add_argument("--logy", action="store_true")

    hm = sub.add_parser("heatmap", help="one metric over two parameters")
    common(hm, "a sweep CSV (scripts/sweep.py)")
    hm.add_argument("--x", required=True, help="parameter column across")
    hm.add_argument("--y", required=True, help="parameter column up")
    hm.add_argument("--z", required=True, help="the metric column (or a metric name that "
                                                "matches exactly one column)")
    hm.add_argument("--where", action="append", default=[], metavar="COL=VALUE")
    hm.add_argument("--log", action="store_true", help="logarithmic colour scale")

    sl = sub.add_parser("seq-latency", help="latency vs sequence length, decoder vs ENTP")
    common(sl, "a sweep CSV with a mode column (scripts/sweep.py)")
    sl.add_argument("--x", default="prompt", help="sequence length column (default prompt)")
    sl.add_argument("--metric", default="seconds",
                    help="latency metric (default seconds; or time_to_first_token_s, "
                         "time_per_output_token_s)")
    sl.add_argument("--modes", default="decoder,entp",
                    help="modes to compare (default decoder,entp)")
    sl.add_argument("--where", action="append", default=[], metavar="COL=VALUE")
    return p


def parse_formats(text):
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if not formats or bad:
        raise InputError("--format %r: expected a comma-separated list of %s"
                         % (text, ", ".join(FORMATS)))
    return list(dict.fromkeys(formats))


# ---- helpers -------------------------------------------------------------------------------

def eng(ticker, unit):
    return ticker.EngFormatter(unit=unit, sep=" ") if unit and unit != "x" else None


PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G",
            12: "T", 15: "P"}


def eng_text(v, unit):
    """3 significant digits with an SI prefix: 1.04 mJ, 312 TFLOP/s; ratios as 0.209x."""
    if not unit or unit == "x":
        return "%.3g%s" % (v, "x" if unit == "x" else "")
    if v == 0:
        return "0 %s" % unit
    exp = int(math.floor(math.log10(abs(v)) / 3) * 3)
    exp = max(-15, min(15, exp))
    mant = v / 10 ** exp
    if abs(float("%.3g" % mant)) >= 1000 and exp < 15:
        exp += 3
        mant = v / 10 ** exp
    return "%.3g %s%s" % (mant, PREFIXES[exp], unit)


def colour_for(names, plt):
    cmap = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


def machine_label(m):
    return "%s (%s)" % (m.get("name"), m.get("type", "?"))


def capital(text):
    return text[:1].upper() + text[1:]


def finish(fig, title):
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()


# ---- report plots --------------------------------------------------------------------------

def plot_energy(doc, path, args, mpl):
    machines = doc["machines"]
    names = rep.machine_names(doc)
    per_machine = []
    totals = {}
    for i, m in enumerate(machines):
        comps = m.get("components")
        if not isinstance(comps, list) or not comps:
            raise InputError("%s: machines[%d] (%s).components: expected a non-empty array of "
                             "components with energy_j" % (path, i, names[i]))
        values = {}
        for j, c in enumerate(comps):
            e = c.get("energy_j") if isinstance(c, dict) else None
            if not rep.is_number(e) or e < 0:
                raise InputError("%s: machines[%d].components[%d].energy_j: expected a number "
                                 ">= 0, got %r" % (path, i, j, e))
            cname = str(c.get("name", "component %d" % j))
            values[cname] = values.get(cname, 0.0) + e
            totals[cname] = totals.get(cname, 0.0) + e
        per_machine.append(values)
    order = sorted(totals, key=lambda n: (-totals[n], n))
    plt, ticker = mpl.plt, mpl.ticker
    colours = colour_for(order, plt)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(machines) + 3.5), 4.8))
    x = list(range(len(machines)))
    bottoms = [0.0] * len(machines)
    machine_totals = [sum(v.values()) for v in per_machine]
    for cname in order:
        heights = []
        for k, values in enumerate(per_machine):
            v = values.get(cname, 0.0)
            if args.relative:
                v = 100.0 * v / machine_totals[k] if machine_totals[k] > 0 else 0.0
            heights.append(v)
        ax.bar(x, heights, 0.6, bottom=bottoms, label=cname, color=colours[cname],
               edgecolor="white", linewidth=0.5)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for k, top in enumerate(bottoms):
        text = eng_text(machine_totals[k], "J")
        ax.annotate(text, (k, top), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels([machine_label(m) for m in machines])
    if args.relative:
        ax.set_ylabel("share of the machine's energy (%)")
        ax.set_ylim(0, 110)
    else:
        ax.set_ylabel("energy (J)")
        ax.yaxis.set_major_formatter(ticker.EngFormatter(unit="J", sep=" "))
        ax.set_ylim(0, max(bottoms) * 1.12 if max(bottoms) > 0 else 1)
    ax.legend(title="component", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    finish(fig, args.title or "Energy by component (%s)" % workload_text(doc))
    return fig


def workload_text(doc):
    t = doc.get("trace") if isinstance(doc.get("trace"), dict) else {}
    parts = [str(t.get("model", "?")), str(t.get("mode", "?"))]
    if "prompt" in t:
        parts.append("prompt %s" % t["prompt"])
    if t.get("generate"):
        parts.append("generate %s" % t["generate"])
    if t.get("batch", 1) != 1:
        parts.append("batch %s" % t["batch"])
    return ", ".join(parts)


def plot_bytes(doc, path, args, mpl):
    machines = doc["machines"]
    names = rep.machine_names(doc)
    data = []
    for i, m in enumerate(machines):
        b = rep.get(m, ("totals", "bytes"))
        if not isinstance(b, dict) or not b:
            raise InputError("%s: machines[%d] (%s).totals.bytes: expected an object of link -> "
                             "{read, write}" % (path, i, names[i]))
        order = [l.get("name") for l in m.get("links", []) if isinstance(l, dict)
                 and l.get("name") in b]
        order += [k for k in b if k not in order]
        desc = {l.get("name"): l.get("description", "") for l in m.get("links", [])
                if isinstance(l, dict)}
        rows = []
        for link in order:
            v = b[link]
            if not isinstance(v, dict):
                raise InputError("%s: machines[%d].totals.bytes.%s: expected {read, write}, got %r"
                                 % (path, i, link, v))
            r, w = v.get("read", 0), v.get("write", 0)
            if not (rep.is_number(r) and rep.is_number(w)):
                raise InputError("%s: machines[%d].totals.bytes.%s: read and write must be "
                                 "numbers" % (path, i, link))
            rows.append((link, desc.get(link, ""), r, w))
        data.append(rows)
    log = not args.linear
    plt, ticker = mpl.plt, mpl.ticker
    fig, axes = plt.subplots(1, len(machines), figsize=(max(5.0, 4.2 * len(machines)), 4.6),
                             sharey=True, squeeze=False)
    for ax, m, rows in zip(axes[0], machines, data):
        x = list(range(len(rows)))
        width = 0.38
        reads = [r[2] for r in rows]
        writes = [r[3] for r in rows]
        ax.bar([i - width / 2 for i in x], reads, width, label="read", color="#4C72B0")
        ax.bar([i + width / 2 for i in x], writes, width, label="written", color="#DD8452")
        ax.set_xticks(x)
        ax.set_xticklabels([r[0] if not r[1] else "%s\n%s" % (r[0], wrap(r[1], 18))
                            for r in rows], fontsize=8)
        ax.set_title(machine_label(m), fontsize=10)
        if log and any(v > 0 for v in reads + writes):
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.EngFormatter(unit="B", sep=" "))
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("bytes moved (B)")
    axes[0][-1].legend(fontsize=8)
    finish(fig, args.title or "Bytes moved per link (%s)" % workload_text(doc))
    return fig


def wrap(text, width):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w).strip()
    if cur:
        lines.append(cur)
    return "\n".join(lines[:2])


def roofline_machines(doc, path, args):
    machines = doc["machines"]
    names = rep.machine_names(doc)
    if args.machine:
        chosen = []
        for want in args.machine:
            idx = [i for i, n in enumerate(names) if n == want]
            if not idx:
                raise InputError("%s: --machine %r: no such machine (machines: %s)"
                                 % (path, want, ", ".join(names)))
            chosen += idx
    else:
        chosen = [i for i, m in enumerate(machines) if m.get("type") == "von_neumann"]
        if not chosen:
            raise InputError("%s: no von_neumann machine to draw a roofline for (machines: %s); "
                             "pick one with --machine" % (path, ", ".join(
                                 "%s (%s)" % (n, m.get("type", "?"))
                                 for n, m in zip(names, machines))))
    out = []
    for i in chosen:
        m = machines[i]
        metrics = m.get("metrics") if isinstance(m.get("metrics"), dict) else {}
        peak, peak_key = rep.peak(metrics, rep.PEAK_FLOPS_KEYS)
        bw, bw_key = rep.peak(metrics, rep.PEAK_BW_KEYS)
        if args.peak_flops:
            peak, peak_key = args.peak_flops, "--peak-flops"
        if args.peak_bw:
            bw, bw_key = args.peak_bw, "--peak-bw"
        if peak is None:
            raise InputError("%s: machines[%d] (%s).metrics: no compute roof (looked for %s); "
                             "give --peak-flops FLOP/S" % (path, i, names[i], ", ".join(
                                 k for k, _ in rep.PEAK_FLOPS_KEYS[:3])))
        if bw is None:
            raise InputError("%s: machines[%d] (%s).metrics: no HBM bandwidth roof (looked for "
                             "%s); give --peak-bw BYTES/S" % (path, i, names[i], ", ".join(
                                 k for k, _ in rep.PEAK_BW_KEYS[:3])))
        ops = m.get("ops")
        if not isinstance(ops, list) or not ops:
            raise InputError("%s: machines[%d] (%s).ops: expected a non-empty array of ops with "
                             "flops, busy_seconds and bytes.hbm" % (path, i, names[i]))
        pts, skipped = rep.op_rooflines(m)
        if not pts:
            raise InputError("%s: machines[%d] (%s).ops: no op has flops > 0, busy_seconds > 0 "
                             "and HBM bytes > 0 to place on a roofline" % (path, i, names[i]))
        out.append((m, peak, peak_key, bw, bw_key, pts, skipped))
    return out


def plot_roofline(doc, path, args, mpl, prepared=None):
    prepared = prepared or roofline_machines(doc, path, args)
    plt, ticker = mpl.plt, mpl.ticker
    fig, axes = plt.subplots(1, len(prepared), figsize=(6.4 * len(prepared), 5.0), squeeze=False)
    kinds = []
    for entry in prepared:
        for p in entry[5]:
            if p[1] not in kinds:
                kinds.append(p[1])
    colours = colour_for(kinds, plt)
    for ax, (m, peak, peak_key, bw, bw_key, pts, skipped) in zip(axes[0], prepared):
        ridge = peak / bw
        xs = [p[3] for p in pts]
        lo = min(min(xs), ridge) / 8
        hi = max(max(xs), ridge) * 8
        grid = [lo * (hi / lo) ** (k / 200) for k in range(201)]
        ax.plot(grid, [min(peak, bw * g) for g in grid], color="black", linewidth=1.6,
                label="roofline")
        ax.axhline(peak, color="grey", linestyle=":", linewidth=0.8)
        ax.annotate("compute roof %s" % eng_text(peak, "FLOP/s"), (hi, peak), ha="right",
                    va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.annotate("HBM roof %s" % eng_text(bw, "B/s"), (lo * 1.5, bw * lo * 1.5), ha="left",
                    va="bottom",
                    fontsize=8, rotation=0, xytext=(0, 4), textcoords="offset points")
        total_busy = sum(p[5] for p in pts)
        seen = set()
        for name, kind, phase, ai, achieved, busy in pts:
            size = 20 + 300 * busy / total_busy if total_busy > 0 else 30
            label = kind if kind not in seen else None
            seen.add(kind)
            ax.scatter([ai], [achieved], s=size, color=colours[kind],
                       marker=PHASE_MARKERS.get(phase, "o"), alpha=0.8, edgecolors="black",
                       linewidths=0.4, label=label, zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ys = [p[4] for p in pts]
        ax.set_ylim(min(min(ys), bw * lo) / 3, peak * 3)
        ax.set_xlabel("arithmetic intensity (FLOP per byte of HBM traffic)")
        ax.set_ylabel("achieved performance (FLOP/s)")
        ax.yaxis.set_major_formatter(ticker.EngFormatter(unit="FLOP/s", sep=" "))
        note = " (%d ops without FLOPs or HBM traffic not shown)" % skipped if skipped else ""
        ax.set_title("%s%s" % (machine_label(m), note), fontsize=10)
        ax.grid(which="both", alpha=0.25)
        phases = sorted({p[2] for p in pts})
        handles, labels = ax.get_legend_handles_labels()
        if len(phases) > 1:
            for ph in phases:
                handles.append(ax.scatter([], [], marker=PHASE_MARKERS.get(ph, "o"),
                                          color="white", edgecolors="black"))
                labels.append("phase: %s" % ph)
        ax.legend(handles, labels, fontsize=8, loc="lower right",
                  title="op kind (marker area = share of busy time)", title_fontsize=7)
    finish(fig, args.title or "Roofline of ops (%s)" % workload_text(doc))
    return fig


# ---- sweep CSV plots -----------------------------------------------------------------------

def group_rows(table, rows, by):
    groups = {}
    for r in rows:
        key = tuple(r[c] for c in by)
        groups.setdefault(key, []).append(r)
    return groups


def group_label(by, key):
    return ", ".join("%s=%s" % (c, v) for c, v in zip(by, key))


def plot_line(table, args, mpl):
    x = table.require(args.x, "--x column")
    ys = table.resolve([s.strip() for s in args.y.split(",") if s.strip()], "--y")
    rows = table.filter(args.where)
    params = [p for p in table.params() if p != x]
    if args.by:
        by = [table.require(c.strip(), "--by column") for c in args.by.split(",") if c.strip()]
    else:
        by = table.varying(rows, params)
    order, numeric = sort_key_values([r[x] for r in rows])
    if args.logx and not numeric:
        raise InputError("%s: --logx: column %r is not numeric" % (table.path, x))
    groups = group_rows(table, rows, by)
    series = []  # (y column, group key, [(x, y)])
    for y in ys:
        for key, grows in groups.items():
            seen = {}
            for r in grows:
                if r[x] in seen:
                    others = table.varying([seen[r[x]], r], [c for c in table.params()
                                                             if c != x])
                    raise InputError(
                        "%s: two rows for %s=%s in one series (they differ in %s); split them "
                        "with --by or pick one with --where" % (table.path, x, r[x],
                                                                ", ".join(others) or "nothing"))
                seen[r[x]] = r
            pairs = []
            for xv in order:
                if xv not in seen:
                    continue
                v = table.numbers([seen[xv]], y)[0]
                if v is None or (args.logy and v <= 0):
                    continue
                pairs.append((to_number(xv) if numeric else order.index(xv), v))
            if pairs:
                series.append((y, key, pairs))
    if not series:
        raise InputError("%s: no numbers to plot in %s for the rows kept"
                         % (table.path, ", ".join(ys)))

    plt, ticker = mpl.plt, mpl.ticker
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    colours = colour_for([(y, k) for y, k, _ in series], plt)
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    keys = list(groups)
    for y, key, pairs in series:
        yi, gi = ys.index(y), keys.index(key)
        label = series_of(y) if len(ys) > 1 or not by else ""
        if by:
            label = (label + " " if label else "") + group_label(by, key)
        ax.plot([p[0] for p in pairs], [p[1] for p in pairs],
                linestyle=styles[gi % len(styles)] if len(ys) > 1 else "-",
                marker=markers[(yi if len(ys) > 1 else gi) % len(markers)],
                color=colours[(y, key)], label=label or series_of(y))
    if args.logx:
        ax.set_xscale("log")
    if args.logy:
        ax.set_yscale("log")
    if not numeric:
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=20 if max(len(o) for o in order) > 8 else 0)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(y_label(ys))
    unit = unit_of(ys[0])
    if all(unit_of(y) == unit for y in ys) and eng(ticker, unit):
        ax.yaxis.set_major_formatter(eng(ticker, unit))
    ax.grid(which="both", alpha=0.25)
    ax.legend(fontsize=8)
    where = ", ".join(args.where)
    title = args.title or "%s vs %s%s" % (capital(y_label(ys, units=False)),
                                          axis_label(x).split(" (")[0],
                                          (" (%s)" % where) if where else "")
    finish(fig, title)
    return fig


def y_label(ys, units=True):
    labels = []
    for y in ys:
        lab = axis_label(y) if units else axis_label(y).split(" (")[0]
        if lab not in labels:
            labels.append(lab)
    return ", ".join(labels) if metric_of(ys[0]) else ", ".join(ys)


def plot_heatmap(table, args, mpl):
    x = table.require(args.x, "--x column")
    y = table.require(args.y, "--y column")
    zs = table.resolve([args.z], "--z")
    if len(zs) != 1:
        raise InputError("%s: --z %r matches %d columns (%s); name one"
                         % (table.path, args.z, len(zs), ", ".join(zs)))
    z = zs[0]
    rows = table.filter(args.where)
    xo, _ = sort_key_values([r[x] for r in rows])
    yo, _ = sort_key_values([r[y] for r in rows])
    cells = {}
    for r in rows:
        key = (r[x], r[y])
        if key in cells:
            others = table.varying([cells[key], r], [c for c in table.params() if c not in (x, y)])
            raise InputError("%s: two rows for %s=%s, %s=%s (they differ in %s); pick one with "
                             "--where" % (table.path, x, r[x], y, r[y], ", ".join(others)))
        cells[key] = r
    grid = []
    for yv in yo:
        line = []
        for xv in xo:
            v = table.numbers([cells[(xv, yv)]], z)[0] if (xv, yv) in cells else None
            line.append(float("nan") if v is None else v)
        grid.append(line)
    values = [v for line in grid for v in line if not math.isnan(v)]
    if not values:
        raise InputError("%s: column %r has no numbers for the rows kept" % (table.path, z))
    if args.log and min(values) <= 0:
        raise InputError("%s: --log: column %r has values <= 0" % (table.path, z))
    plt, colors, ticker = mpl.plt, mpl.colors, mpl.ticker
    norm = colors.LogNorm(vmin=min(values), vmax=max(values)) if args.log else None
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(xo) + 3), max(4.0, 0.5 * len(yo) + 2.5)))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#dddddd")
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, norm=norm)
    ax.set_xticks(range(len(xo)))
    ax.set_xticklabels(xo, rotation=30 if max(len(v) for v in xo) > 6 else 0)
    ax.set_yticks(range(len(yo)))
    ax.set_yticklabels(yo)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    unit = unit_of(z)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("%s: %s" % (series_of(z), axis_label(z)) if series_of(z) != z else axis_label(z))
    if unit and unit != "x":
        cb.formatter = ticker.EngFormatter(unit=unit, sep=" ")
    else:
        cb.formatter = ticker.FuncFormatter(lambda v, _: "%.3g" % v)
    if args.log and max(values) / min(values) < 10:
        cb.ax.yaxis.set_minor_formatter(cb.formatter)  # less than a decade: no major tick
    else:
        cb.ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    cb.update_ticks()
    if len(xo) * len(yo) <= 400:
        lo, hi = min(values), max(values)
        for i, line in enumerate(grid):
            for j, v in enumerate(line):
                if math.isnan(v):
                    continue
                t = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) \
                    if args.log and hi > lo else ((v - lo) / (hi - lo) if hi > lo else 0.5)
                ax.text(j, i, eng_text(v, unit), ha="center", va="center", fontsize=7,
                        color="black" if t > 0.6 else "white")
    where = ", ".join(args.where)
    what = capital(axis_label(z).split(" (")[0])
    if series_of(z) != z:
        what = "%s: %s" % (series_of(z), what)
    finish(fig, args.title or "%s by %s and %s%s" % (
        what, axis_label(x).split(" (")[0], axis_label(y).split(" (")[0],
        (" (%s)" % where) if where else ""))
    return fig


def plot_seq_latency(table, args, mpl):
    x = table.require(args.x, "--x column")
    table.require("mode", "column")
    metric = args.metric
    if metric_of(metric) != metric:
        raise InputError("--metric %r: expected one of %s" % (metric, ", ".join(
            ("seconds", "time_to_first_token_s", "time_per_output_token_s", "energy_j"))))
    columns = [h for h in table.header if h.endswith("." + metric)]
    if not columns:
        raise InputError("%s: no <machine>.%s columns" % (table.path, metric))
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    rows = [r for r in table.filter(args.where) if r["mode"] in modes]
    if not rows:
        present = sorted({r["mode"] for r in table.rows})
        raise InputError("%s: no finished rows with mode %s (modes present: %s)"
                         % (table.path, " or ".join(modes), ", ".join(present)))
    others = table.varying(rows, [p for p in table.params() if p not in (x, "mode")])
    others = [o for o in others if o != "machines"]
    if others:
        raise InputError("%s: besides %s and mode, %s vary; pick one value each with --where "
                         "(e.g. --where %s=%s)" % (table.path, x, ", ".join(others), others[0],
                                                   rows[0][others[0]]))
    order, numeric = sort_key_values([r[x] for r in rows])
    if not numeric:
        raise InputError("%s: column %r is not numeric" % (table.path, x))
    machines = []
    for c in columns:
        if any(r[c] != "" for r in rows):
            machines.append(c)
    if not machines:
        raise InputError("%s: no values in %s for these rows" % (table.path, ", ".join(columns)))
    lines = {}  # machine column -> [(mode, [(x, y)])]
    for col in machines:
        for mode in modes:
            pts = []
            for r in rows:
                if r["mode"] != mode or r[col] == "":
                    continue
                v = table.numbers([r], col)[0]
                if v is not None and v > 0:
                    pts.append((to_number(r[x]), v))
            if pts:
                lines.setdefault(col, []).append((mode, sorted(pts)))
    plt, ticker = mpl.plt, mpl.ticker
    fig, axes = plt.subplots(1, len(machines), figsize=(4.6 * len(machines) + 0.6, 4.4),
                             sharey=True, squeeze=False)
    for ax, col in zip(axes[0], machines):
        for mode, pts in lines.get(col, []):
            style, marker = MODE_STYLES.get(mode, ("-.", "v"))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style, marker=marker,
                    label="ENTP" if mode == "entp" else mode)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(series_of(col), fontsize=10)
        ax.set_xlabel("sequence length: %s" % axis_label(x))
        ax.grid(which="both", alpha=0.25)
        ax.yaxis.set_major_formatter(ticker.EngFormatter(unit=unit_of(col) or None, sep=" "))
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(axis_label(columns[0]))
    where = ", ".join(args.where)
    finish(fig, args.title or "%s vs sequence length: %s%s" % (
        axis_label(columns[0]).split(" (")[0].capitalize(),
        " vs ".join("ENTP" if m == "entp" else m for m in modes),
        (" (%s)" % where) if where else ""))
    return fig


# ---- main ----------------------------------------------------------------------------------

def build(args, mpl):
    """[(stem, figure)] for the command; raises InputError before anything is written."""
    is_csv = args.input.lower().endswith(".csv")
    if args.kind in REPORT_KINDS and is_csv:
        raise InputError("%s: the %s plot reads a report (the JSON of cimsim run --out); for a "
                         "sweep CSV use line, heatmap or seq-latency" % (args.input, args.kind))
    if args.kind in CSV_KINDS and args.input.lower().endswith(".json"):
        raise InputError("%s: the %s plot reads a sweep CSV; for a report use energy, bytes, "
                         "roofline or report" % (args.input, args.kind))
    if args.kind in REPORT_KINDS:
        doc = rep.load_report(args.input)
        if args.kind == "energy":
            return [("energy", plot_energy(doc, args.input, args, mpl))]
        if args.kind == "bytes":
            return [("bytes", plot_bytes(doc, args.input, args, mpl))]
        if args.kind == "roofline":
            return [("roofline", plot_roofline(doc, args.input, args, mpl))]
        args.machine, args.peak_flops, args.peak_bw = None, None, None
        figs = [("energy", plot_energy(doc, args.input, args, mpl)),
                ("bytes", plot_bytes(doc, args.input, args, mpl))]
        try:
            prepared = roofline_machines(doc, args.input, args)
        except InputError as e:
            print("plot: note: no roofline: %s" % e, file=sys.stderr)
        else:
            figs.append(("roofline", plot_roofline(doc, args.input, args, mpl, prepared)))
        return figs
    table = Table(args.input)
    if table.skipped:
        print("plot: note: %d rows without status ok left out" % table.skipped, file=sys.stderr)
    if args.kind == "line":
        ys = table.resolve([s.strip() for s in args.y.split(",") if s.strip()], "--y")
        yname = args.y if len(ys) > 1 and "," not in args.y else "+".join(ys)
        return [("line-%s-vs-%s" % (yname, args.x), plot_line(table, args, mpl))]
    if args.kind == "heatmap":
        return [("heatmap-%s-%s-%s" % (args.z, args.x, args.y), plot_heatmap(table, args, mpl))]
    return [("seq-latency-%s" % args.metric, plot_seq_latency(table, args, mpl))]


def save_all(figs, out_dir, formats, dpi, name):
    """Writes every file to a temporary name first and renames them all at the end."""
    os.makedirs(out_dir, exist_ok=True)
    temps, written = [], []
    try:
        for stem, fig in figs:
            if name:
                stem = name if len(figs) == 1 else "%s-%s" % (name, stem)
            for fmt in formats:
                final = os.path.join(out_dir, safe_stem(stem) + "." + fmt)
                tmp = os.path.join(out_dir, ".%s.%d.tmp.%s" % (safe_stem(stem), os.getpid(), fmt))
                meta = {"Date": None} if fmt in ("svg", "pdf") else {"Software": None}
                if fmt == "pdf":
                    meta = {"CreationDate": None, "ModDate": None}
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, bbox_inches="tight")
                temps.append((tmp, final))
        for tmp, final in temps:
            os.replace(tmp, final)
            written.append(final)
    except BaseException:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    return written


def main(argv):
    try:
        args = make_parser().parse_args(argv)
        formats = parse_formats(args.format)
        if args.dpi < 20 or args.dpi > 1200:
            raise InputError("--dpi %d: expected 20..1200" % args.dpi)
        if not os.path.exists(args.input):
            raise InputError("%s: input not found" % args.input)
        mpl = Matplotlib()
        figs = build(args, mpl)
        out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.input))
        if os.path.exists(out_dir) and not os.path.isdir(out_dir):
            raise InputError("--out-dir %s: exists and is not a directory" % out_dir)
        try:
            for path in save_all(figs, out_dir, formats, args.dpi, args.name):
                print(path)
        finally:
            for _, fig in figs:
                mpl.plt.close(fig)
        return EXIT_OK
    except InputError as e:
        return fail(TOOL, e, EXIT_BAD_INPUT)
    except OSError as e:
        return fail(TOOL, "cannot write the plot: %s%s" % (
            e.strerror or e, (": " + e.filename) if e.filename else ""), 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
