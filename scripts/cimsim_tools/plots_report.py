"""Plots of one cimsim report (docs/plots.md): energy per machine stacked by component, bytes
moved per link, and a roofline of the von Neumann machines' ops.

Component and link names come from the report, so any number of machines of any type is drawn
the same way; only the roofline needs a machine with a compute and a memory roof.
"""
import sys

from . import report as rep
from .common import InputError
from .plots_common import (colour_for, eng, eng_text, finish, log_ticks, machine_label, panels,
                           text_colour, wrap)

PHASE_MARKERS = {"prefill": "o", "decode": "s", "encode": "^", "entp": "D"}
# More components than colours: the smallest (by their largest share of any machine's energy)
# are drawn as one "rest" segment.
MAX_COMPONENTS = 16


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
    machine_totals = [sum(v.values()) for v in per_machine]
    # Ranked by share, not by joules: a machine using 100x less energy still gets its own
    # components near the bottom of the stack and in the legend.
    share = {n: max(v.get(n, 0.0) / t for v, t in zip(per_machine, machine_totals) if t > 0)
             if any(t > 0 for t in machine_totals) else 0.0 for n in totals}
    order = sorted(totals, key=lambda n: (-share[n], n))
    rest = []
    if len(order) > MAX_COMPONENTS:
        rest = order[MAX_COMPONENTS - 1:]
        label = "rest: %d components, each ≤ %.1f%%" % (len(rest), 100 * share[rest[0]] + 0.05)
        for values in per_machine:
            values[label] = sum(values.pop(n, 0.0) for n in rest)
        order = order[:MAX_COMPONENTS - 1] + [label]
    plt, ticker = mpl.plt, mpl.ticker
    colours = colour_for(order, plt)
    if rest:
        colours[order[-1]] = (0.85, 0.85, 0.85, 1.0)  # the rest: grey, like no component
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(machines) + 3.5), 4.8))
    x = list(range(len(machines)))
    bottoms = [0.0] * len(machines)
    segments = []  # (component, bottoms, heights)
    for cname in order:
        heights = []
        for k, values in enumerate(per_machine):
            v = values.get(cname, 0.0)
            if args.relative:
                v = 100.0 * v / machine_totals[k] if machine_totals[k] > 0 else 0.0
            heights.append(v)
        ax.bar(x, heights, 0.6, bottom=bottoms, label=cname, color=colours[cname],
               edgecolor="white", linewidth=0.5)
        segments.append((cname, list(bottoms), heights))
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    # Each large enough segment says its share of the machine's energy.
    for cname, lows, heights in segments:
        for k, (low, h) in enumerate(zip(lows, heights)):
            pct = 100.0 * h / bottoms[k] if bottoms[k] > 0 else 0.0
            if h >= 0.06 * max(bottoms):
                ax.text(k, low + h / 2, "%.0f%%" % pct, ha="center", va="center", fontsize=8,
                        color=text_colour(colours[cname]))
    for k, top in enumerate(bottoms):
        text = eng_text(machine_totals[k], "J")
        ax.annotate(text, (k, top), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels([machine_label(m).replace(" (", "\n(") for m in machines])
    if args.relative:
        ax.set_ylabel("share of the machine's energy (%)")
        ax.set_ylim(0, 110)
    else:
        ax.set_ylabel("energy (J)")
        ax.yaxis.set_major_formatter(eng(ticker, "J"))
        ax.set_ylim(0, max(bottoms) * 1.12 if max(bottoms) > 0 else 1)
    handles, labels = ax.get_legend_handles_labels()
    # Top of the legend = top of the stack.
    ax.legend(handles[::-1], labels[::-1], title="component", bbox_to_anchor=(1.01, 1),
              loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    positive = [t for t in machine_totals if t > 0]
    if not args.relative and positive and max(positive) > 20 * min(positive):
        print("plot: note: the machines' energies differ by %.0fx; --relative shows each "
              "machine's breakdown" % (max(positive) / min(positive)), file=sys.stderr)
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
    values = [v for rows in data for r in rows for v in r[2:] if v > 0]
    log = not args.linear and bool(values)
    plt, ticker = mpl.plt, mpl.ticker
    most = max(len(rows) for rows in data)
    fig, axes = panels(plt, len(machines), max(4.2, 1.25 * most + 1.0), 4.8, sharey=True)
    width = 0.38
    for ax, m, rows in zip(axes, machines, data):
        x = list(range(len(rows)))
        for off, col, label, colour in ((-1, 2, "read", "#4C72B0"), (1, 3, "written", "#DD8452")):
            bars = ax.bar([i + off * width / 2 for i in x], [r[col] for r in rows], width,
                          label=label, color=colour)
            # The value on each bar: a log axis is hard to read to better than a factor of 2.
            for bar, r in zip(bars, rows):
                if r[col] > 0 or not log:
                    ax.annotate(eng_text(r[col], "B"), (bar.get_x() + width / 2, r[col]),
                                ha="center", va="bottom", fontsize=7, rotation=90,
                                xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(x)
        ax.set_xticklabels([r[0] if not r[1] else "%s\n%s" % (r[0], wrap(r[1], 20))
                            for r in rows], fontsize=8)
        ax.set_title(machine_label(m), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("bytes moved (B)")
    if log:
        # Explicit limits: bars start at 0, which a log axis cannot show, so matplotlib's own
        # limits can cut off the smallest bar; headroom above for the value labels.
        lo, hi = min(values) / 3, max(values) * 6
        axes[0].set_yscale("log")
        axes[0].set_ylim(lo, hi)
        log_ticks(axes[0], ticker, "y", "B")
    else:
        axes[0].set_ylim(0, max(values or [1]) * 1.25)
        axes[0].yaxis.set_major_formatter(eng(ticker, "B"))
    axes[0].legend(fontsize=8, loc="upper left")
    finish(fig, args.title or "Bytes moved per link (%s)" % workload_text(doc))
    return fig


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
    from matplotlib.lines import Line2D  # matplotlib is loaded by now (mpl.plt)
    fig, axes = panels(plt, len(prepared), 6.0, 5.0, max_cols=2)
    kinds, phases = [], []
    for entry in prepared:
        for p in entry[5]:
            if p[1] not in kinds:
                kinds.append(p[1])
            if p[2] not in phases:
                phases.append(p[2])
    colours = colour_for(kinds, plt)
    for ax, (m, peak, peak_key, bw, bw_key, pts, skipped) in zip(axes, prepared):
        ridge = peak / bw
        xs = [p[3] for p in pts]
        lo = min(min(xs), ridge) / 8
        hi = max(max(xs), ridge) * 8
        grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
        dtype = peak_key.rsplit(".", 1)[1] if peak_key.startswith("peak_flops_per_s.") else ""
        ax.plot(grid, [min(peak, bw * g) for g in grid], color="black", linewidth=1.6,
                zorder=2, label="roofline: HBM %s, compute %s%s" % (
                    eng_text(bw, "B/s"), eng_text(peak, "FLOP/s"),
                    " (%s)" % dtype if dtype else ""))
        ax.axvline(ridge, color="grey", linestyle=":", linewidth=0.8, zorder=1)
        total_busy = sum(p[5] for p in pts)
        for name, kind, phase, ai, achieved, busy in pts:
            size = 20 + 300 * busy / total_busy if total_busy > 0 else 30
            ax.scatter([ai], [achieved], s=size, color=colours[kind],
                       marker=PHASE_MARKERS.get(phase, "o"), alpha=0.8, edgecolors="black",
                       linewidths=0.4, zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ys = [p[4] for p in pts]
        ax.set_ylim(min(min(ys), bw * lo) / 3, peak * 3)
        ax.set_xlabel("arithmetic intensity (FLOP per byte of HBM traffic)")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("achieved performance (FLOP/s)")
        log_ticks(ax, ticker, "y", "FLOP/s")
        log_ticks(ax, ticker, "x", "")
        ax.set_title(machine_label(m) + ("\n%d of %d ops not shown (no FLOPs or no HBM traffic)"
                                         % (skipped, skipped + len(pts)) if skipped else ""),
                     fontsize=10)
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
        ax.legend(loc="upper left", fontsize=8)
    # One legend for every panel, outside them: op kinds share colours across machines.
    handles = [Line2D([], [], linestyle="", marker="o", markersize=7, color=colours[kd],
                      markeredgecolor="black", markeredgewidth=0.4, label=kd) for kd in kinds]
    if len(phases) > 1:
        handles += [Line2D([], [], linestyle="", marker=PHASE_MARKERS.get(ph, "o"),
                           markersize=7, color="white", markeredgecolor="black",
                           label="phase: %s" % ph) for ph in phases]
    handles.append(Line2D([], [], color="grey", linestyle=":", label="ridge point"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8,
               title="op kind\n(marker area =\nshare of busy time)", title_fontsize=8)
    finish(fig, args.title or "Roofline of ops (%s)" % workload_text(doc))
    return fig
