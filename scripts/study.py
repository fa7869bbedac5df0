#!/usr/bin/python3
"""The seed study: how do a causal decoder (KV cache) and encoder-only next-token prediction
(ENTP: a full bidirectional pass over the prefix for every generated token) compare on a
von Neumann GPU and on a CIM fabric as the sequence grows?

GPT-2-small-sized models; sequence lengths from 64 to 4096 tokens; on the A100 the preset's
kernels (FlashAttention-2, split-KV decode, CUDA Graphs, fusions), FlashAttention's Algorithm 1
and standard attention; on ISAAC the three dynamic-matmul policies (digital, SRAM CIM, ReRAM
write), as published (32 nm, one chip set sized to the model) and on equal terms with the A100:
as many chips as fit its 826 mm2 die (iso-area) or its 400 W (iso-power), scaled to its 7 nm
node (Stillmaker and Baas 2017). Every point runs the same trace on all machines side by side
(configs/study/*.json), through scripts/sweep.py, so a killed study resumes where it stopped.
Writes results.csv, figures (PNG and SVG) and summary.md into the output directory.

    scripts/study.py                 # the fast version: lengths 64, 256, 1024, 4096 (minutes)
    scripts/study.py --full          # every power of two from 64 to 4096, 16 generated tokens
    scripts/study.py --backend slurm # the points as one Slurm job array

Exit codes: 0 done; 1 some points failed (the summary covers the rest); 2 bad input.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from cimsim_tools.common import InputError, atomic_write  # noqa: E402
from cimsim_tools.plots_common import (Matplotlib, colour_for, eng_text, finish,  # noqa: E402
                                       log_ticks, mode_label, save_all, value_ticks)
from cimsim_tools.table import Table, markdown_table  # noqa: E402

POLICIES = ["digital", "sram_cim", "write_xbar"]
NATIVE = ["a100-flash2", "a100-flash", "a100-standard"] + ["isaac-" + p for p in POLICIES]
# The CIM fabric on the A100's terms: its area or its power, at its node.
EQUAL = ["isaac-%s-iso-%s-a100-7nm" % (p, b) for b in ("area", "power") for p in POLICIES]
MACHINES = NATIVE + EQUAL
BASELINE = "a100/flash2"  # the GPU as inference engines run it, the equal-terms reference
MODES = ["decoder", "entp"]
MODE_TITLES = {"decoder": "decoder", "entp": "ENTP"}
FAST = {"prompt": [64, 256, 1024, 4096], "generate": 4}
FULL = {"prompt": [64, 128, 256, 512, 1024, 2048, 4096], "generate": 16}


def parse_args():
    p = argparse.ArgumentParser(prog="study.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="every power of two from 64 to 4096, "
                   "16 generated tokens per point (default: the fast version, lengths 64, 256, "
                   "1024 and 4096, 4 tokens)")
    p.add_argument("-o", "--out-dir", default=os.path.join(REPO, "out", "study"),
                   help="where the results go (default: out/study)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="points run at a time (default: the number of CPUs)")
    p.add_argument("--backend", choices=("local", "slurm"), default="local")
    p.add_argument("--cimsim", default=os.environ.get("CIMSIM",
                                                      os.path.join(REPO, "build", "cimsim")))
    return p.parse_args()


def sweep_spec(grid):
    return {
        "name": "seed-study",
        "description": "decoder vs ENTP, GPT-2 small, A100 (flash2/flash/standard) vs ISAAC "
                       "(digital/sram_cim/write_xbar; as published and at the A100's area, "
                       "power and node)",
        "machines": [os.path.join(REPO, "configs", "study", m + ".json") for m in MACHINES],
        "workload": "gpt2-small",
        # GPT-2 small has 1024 learned positions; the study runs the same-sized model to 4096.
        "set": {"workload.run.allow_context_overflow": True},
        "args": {"generate": grid["generate"], "batch": 1},
        "grid": {"mode": MODES, "prompt": grid["prompt"]},
    }


def run_sweep(args, spec_path, sweep_dir):
    cmd = [sys.executable, os.path.join(HERE, "sweep.py"), spec_path, "-o", sweep_dir,
           "-j", str(args.jobs), "--backend", args.backend, "--cimsim", args.cimsim]
    code = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    if code not in (0, 1):
        sys.exit(code)
    return code


def machine_names(spec):
    names = []
    for path in spec["machines"]:
        with open(path) as f:
            names.append(json.load(f)["name"])
    return names


def load_rows(csv_path, names, generate):
    """{(machine, mode, prompt): {"s_per_token", "j_per_token", "hbm_per_token"}} of the
    finished points of the sweep's CSV (a machine without a time in a row is left out)."""
    table = Table(csv_path)
    rows = table.rows
    modes = [r[table.require("mode")] for r in rows]
    prompts = table.numbers(rows, table.require("prompt"))

    def column(name, metric):
        col = "%s.%s" % (name, metric)
        return table.numbers(rows, col) if col in table.header else [None] * len(rows)

    data = {}
    for name in names:
        seconds, energy = column(name, "seconds"), column(name, "energy_j")
        hbm = [(r or 0) + (w or 0) for r, w in zip(column(name, "hbm_read_bytes"),
                                                   column(name, "hbm_write_bytes"))]
        for i in range(len(rows)):
            if seconds[i] is not None and energy[i] is not None and prompts[i] is not None:
                data[(name, modes[i], int(prompts[i]))] = {
                    "s_per_token": seconds[i] / generate,
                    "j_per_token": energy[i] / generate,
                    "hbm_per_token": hbm[i] / generate,
                }
    return data


def length_exponent(points):
    """k of cost ~ length^k: the least-squares slope of log(cost) over log(length), from
    (length, cost) pairs; NaN with fewer than two distinct lengths."""
    pts = np.array([(x, y) for x, y in points if x > 0 and y > 0], dtype=float).reshape(-1, 2)
    if len(np.unique(pts[:, 0])) < 2:
        return float("nan")
    return float(np.polyfit(np.log(pts[:, 0]), np.log(pts[:, 1]), 1)[0])


def si(v, unit):
    return eng_text(v, unit) if math.isfinite(v) else "- " + unit


def figures(data, groups, lengths, out_dir):
    """One figure per metric and machine group: groups is [(file stem suffix, title, names)]."""
    mpl = Matplotlib()
    plt, ticker = mpl.plt, mpl.ticker
    figs = []
    metrics = (("s_per_token", "time per generated token", "s", "latency"),
               ("j_per_token", "energy per generated token", "J", "energy"),
               ("hbm_per_token", "off-chip bytes per generated token", "B", "offchip"))
    for (suffix, title, names), (metric, what, unit, stem) in (
            (g, m) for g in groups for m in metrics):
        colours = colour_for(names, plt)
        fig, ax = plt.subplots(figsize=(7.5, 5.0))
        for name in names:
            for mode, style, marker in (("decoder", "-", "o"), ("entp", "--", "s")):
                pts = [(n, data[(name, mode, n)][metric]) for n in lengths
                       if (name, mode, n) in data and data[(name, mode, n)][metric] > 0]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style,
                            marker=marker, color=colours[name],
                            label="%s, %s" % (name, mode_label(mode)))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("prompt length (tokens)")
        ax.set_ylabel("%s (%s)" % (what, unit))
        value_ticks(ax, ticker, lengths, None)
        log_ticks(ax, ticker, "y", unit)
        ax.grid(which="both", alpha=0.25)
        ax.legend(fontsize=7, ncol=2)
        finish(fig, "GPT-2 small%s: %s, KV-cached decoder (solid) vs ENTP (dashed)"
               % (title, what))
        figs.append((stem + suffix, fig))
    written = save_all(figs, out_dir, ("png", "svg"), 150, None)
    for _, fig in figs:
        plt.close(fig)
    return written


def equal_terms(data, equal, lengths):
    """Markdown lines: each CIM machine on the A100's terms against the A100 as engines run
    it, per mode and length: speed-up (>1: CIM faster) and energy ratio (<1: CIM uses less)."""
    if not any((BASELINE, mode, n) in data for mode in MODES for n in lengths):
        return []
    lines = ["", "## On equal terms with the A100", "",
             "Each ISAAC variant with as many chips as fit the A100-SXM4-80GB's 826 mm2 die "
             "(iso-area; HBM dies counted on neither side) or its 400 W board power (iso-power; "
             "the A100's 400 W includes its HBM, the CIM system's HBM stacks are counted on top "
             "of its chips, which favours CIM), with ISAAC's 32 nm figures scaled to the A100's "
             "7 nm node (Stillmaker and Baas 2017). Reference: %s. Cells: speed-up / energy "
             "ratio per generated token (speed-up > 1 and energy ratio < 1 favour CIM)."
             % BASELINE, ""]
    header = ["mode", "length"] + equal
    rows = []
    for mode in MODES:
        for n in lengths:
            base = data.get((BASELINE, mode, n))
            if base is None:
                continue
            cells = []
            for name in equal:
                m = data.get((name, mode, n))
                cells.append("%.3gx / %.3gx" % (base["s_per_token"] / m["s_per_token"],
                                                m["j_per_token"] / base["j_per_token"])
                             if m else "-")
            rows.append([MODE_TITLES[mode], str(n)] + cells)
    return lines + markdown_table(header, rows)


def summary(data, names, lengths, generate, failed, equal=()):
    gpu = [n for n in names if n.startswith("a100")]
    cim = [n for n in names if n.startswith("isaac")]
    lines = ["# Seed study: KV-cached decoder vs ENTP, GPU vs CIM", "",
             "GPT-2 small (12 layers, d_model 768), batch 1, %d generated tokens per point; "
             "costs per generated token (including the prefill/first pass, amortised). "
             "Produced by `scripts/study.py`; every number below comes from `results.csv`."
             % generate, ""]
    header = ["length"] + ["%s %s" % (name, MODE_TITLES[mode]) for name in names
                           for mode in MODES]
    for title, key, unit in (("Time per generated token", "s_per_token", "s"),
                             ("Energy per generated token", "j_per_token", "J")):
        if lines[-1] != "":
            lines.append("")
        rows = [[str(n)] + [si(data[(name, mode, n)][key], unit) if (name, mode, n) in data
                            else "-" for name in names for mode in MODES] for n in lengths]
        lines += ["## " + title, ""] + markdown_table(header, rows)

    lines += ["", "## What the numbers show", ""]
    longest = max((n for n in lengths if all((m, mode, n) in data for m in names
                                              for mode in MODES)), default=None)
    for name in names:
        growth = {mode: length_exponent([(n, data[(name, mode, n)]["s_per_token"])
                                         for n in lengths if (name, mode, n) in data])
                  for mode in MODES}
        # + 0.0: a flat cost fits a slope of -1e-17, which would print as "-0.00".
        text = ("- **%s**: time per token grows as length^%.2f for the decoder and "
                "length^%.2f for ENTP" % (name, round(growth["decoder"], 2) + 0.0,
                                          round(growth["entp"], 2) + 0.0))
        if longest is not None:
            ratio = (data[(name, "entp", longest)]["s_per_token"] /
                     data[(name, "decoder", longest)]["s_per_token"])
            eratio = (data[(name, "entp", longest)]["j_per_token"] /
                      data[(name, "decoder", longest)]["j_per_token"])
            text += ("; at %d tokens ENTP costs %.3gx the decoder's time and %.3gx its "
                     "energy per token" % (longest, ratio, eratio))
        lines.append(text + ".")
    if longest is not None and gpu and cim:
        best_gpu = min(gpu, key=lambda m: data[(m, "decoder", longest)]["s_per_token"])
        best_cim_entp = min(cim, key=lambda m: data[(m, "entp", longest)]["s_per_token"])
        g = data[(best_gpu, "decoder", longest)]
        c = data[(best_cim_entp, "entp", longest)]
        lines.append(
            "- At %d tokens the fastest CIM ENTP (%s, %s per token, %s) against the fastest GPU "
            "decoder (%s, %s per token, %s): %s in time, %s in energy."
            % (longest, best_cim_entp, si(c["s_per_token"], "s"), si(c["j_per_token"], "J"),
               best_gpu, si(g["s_per_token"], "s"), si(g["j_per_token"], "J"),
               ("%.3gx faster" % (g["s_per_token"] / c["s_per_token"]))
               if c["s_per_token"] < g["s_per_token"]
               else ("%.3gx slower" % (c["s_per_token"] / g["s_per_token"])),
               ("%.3gx less" % (g["j_per_token"] / c["j_per_token"]))
               if c["j_per_token"] < g["j_per_token"]
               else ("%.3gx more" % (c["j_per_token"] / g["j_per_token"]))))
        for mode in MODES:
            fg = min(gpu, key=lambda m: data[(m, mode, longest)]["s_per_token"])
            fc = min(cim, key=lambda m: data[(m, mode, longest)]["s_per_token"])
            lines.append(
                "- %s at %d tokens, best CIM (%s) vs best GPU (%s): %.3gx the speed, %.3gx the "
                "energy, %.3gx the off-chip bytes." % (
                    "ENTP" if mode == "entp" else "Decoder", longest, fc, fg,
                    data[(fg, mode, longest)]["s_per_token"] /
                    data[(fc, mode, longest)]["s_per_token"],
                    data[(fc, mode, longest)]["j_per_token"] /
                    data[(fg, mode, longest)]["j_per_token"],
                    (data[(fc, mode, longest)]["hbm_per_token"] /
                     data[(fg, mode, longest)]["hbm_per_token"])
                    if data[(fg, mode, longest)]["hbm_per_token"] > 0 else float("nan")))
    lines += equal_terms(data, list(equal), lengths)
    if failed:
        lines += ["", "Some points failed; see the sweep's results.csv `error` column."]
    lines += ["", "Figures: `latency.png`, `energy.png`, `offchip.png` (the machines as "
              "published) and `latency-equal.png`, `energy-equal.png`, `offchip-equal.png` (on "
              "the A100's terms), each also as SVG.", ""]
    return "\n".join(lines)


def main():
    args = parse_args()
    grid = FULL if args.full else FAST
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    spec = sweep_spec(grid)
    spec_path = os.path.join(out_dir, "study-sweep.json")
    atomic_write(spec_path, json.dumps(spec, indent=2) + "\n")
    sweep_dir = os.path.join(out_dir, "sweep")
    code = run_sweep(args, spec_path, sweep_dir)

    names = machine_names(spec)
    native, equal = names[:len(NATIVE)], names[len(NATIVE):]
    try:
        data = load_rows(os.path.join(sweep_dir, "results.csv"), names, grid["generate"])
    except InputError as e:
        print("study: error: %s" % e, file=sys.stderr)
        return 1
    if not data:
        print("study: no finished points; see %s/results.csv" % sweep_dir, file=sys.stderr)
        return 1
    lengths = grid["prompt"]
    written = figures(data, [("", "", native),
                             ("-equal", " on the A100's area, power and node", [BASELINE] + equal)],
                      lengths, out_dir)
    text = summary(data, native, lengths, grid["generate"], code != 0, equal)
    summary_path = os.path.join(out_dir, "summary.md")
    atomic_write(summary_path, text)
    print(text)
    print("study: wrote %s and %s" % (summary_path, ", ".join(os.path.basename(p)
                                                             for p in written)))
    return code


if __name__ == "__main__":
    sys.exit(main())
