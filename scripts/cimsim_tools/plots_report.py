"""Plots of one cimsim report (docs/plots.md): energy per machine stacked by component, bytes
moved per link, and a roofline of the von Neumann machines' ops.

Component and link names come from the report, so any number of machines of any type is drawn
the same way; only the roofline needs a machine with a compute and a memory roof.
"""
from . import report as rep
from .common import InputError
from .plots_common import colour_for, eng, eng_text, finish, machine_label, wrap

PHASE_MARKERS = {"prefill": "o", "decode": "s", "encode": "^", "entp": "D"}

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
        ax.yaxis.set_major_formatter(eng(ticker, "J"))
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
        ax.yaxis.set_major_formatter(eng(ticker, "B"))
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("bytes moved (B)")
    axes[0][-1].legend(fontsize=8)
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
        ax.yaxis.set_major_formatter(eng(ticker, "FLOP/s"))
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
