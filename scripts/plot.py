#!/usr/bin/python3
"""Plots of cimsim results (matplotlib, PNG and/or SVG).

From a report (cimsim run --out report.json):
  energy       energy per machine as stacked bars, one segment per component
  bytes        bytes read and written per link (memory level) for each machine
  roofline     per-op roofline of the von Neumann machine(s): achieved FLOP/s vs FLOP/byte
  report       all of the above that the report supports

From a serving report (cimsim serve --out serving.json):
  latency      TTFT, TPOT and end-to-end latency p50/p90/p99 per machine
  throughput   output tokens per second and energy per output token per machine
  serving      both

From a sweep CSV (scripts/sweep.py):
  line         metric(s) vs one parameter, a line per series
  heatmap      one metric over two parameters
  seq-latency  latency vs sequence length (log-log), decoder vs ENTP, a panel per machine

    scripts/plot.py energy out/run/report.json --format png,svg
    scripts/plot.py line out/sweeps/xbar/results.csv --x machine.crossbar.rows --y energy_j --logy
    scripts/plot.py seq-latency out/sweeps/seq/results.csv

Exit codes: 0 written, 2 bad input (nothing written), 1 internal error. See docs/plots.md.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cimsim_tools import report as rep  # noqa: E402
from cimsim_tools.common import EXIT_BAD_INPUT, EXIT_OK, InputError, fail  # noqa: E402
from cimsim_tools.plots_common import Matplotlib, save_all  # noqa: E402
from cimsim_tools.plots_serving import plot_latency, plot_throughput  # noqa: E402
from cimsim_tools.plots_report import (plot_bytes, plot_energy, plot_roofline,  # noqa: E402
                                       roofline_machines)
from cimsim_tools.plots_sweep import plot_heatmap, plot_line, plot_seq_latency  # noqa: E402
from cimsim_tools.table import CSV_EXPECTED, Table  # noqa: E402

TOOL = "plot"
REPORT_KINDS = ("energy", "bytes", "roofline", "report")
SERVING_KINDS = ("latency", "throughput", "serving")
CSV_KINDS = ("line", "heatmap", "seq-latency")
FORMATS = ("png", "svg", "pdf")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError("%s (see %s --help)" % (message, self.prog))


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

    for kind, what in (("latency", "latency percentiles per machine"),
                       ("throughput", "throughput and energy per token per machine"),
                       ("serving", "latency and throughput")):
        common(sub.add_parser(kind, help=what), "a serving report (cimsim serve --out)")

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


def build(args, mpl):
    """[(stem, figure)] for the command; raises InputError before anything is written."""
    is_csv = args.input.lower().endswith(".csv")
    if args.kind in SERVING_KINDS:
        if is_csv:
            raise InputError("%s: the %s plot reads a serving report (the JSON of cimsim serve "
                             "--out), not a CSV" % (args.input, args.kind))
        doc = rep.load_report(args.input)
        figs = []
        if args.kind in ("latency", "serving"):
            figs.append(("latency", plot_latency(doc, args.input, args, mpl)))
        if args.kind in ("throughput", "serving"):
            figs.append(("throughput", plot_throughput(doc, args.input, args, mpl)))
        return figs
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


def main(argv):
    try:
        args = make_parser().parse_args(argv)
        formats = parse_formats(args.format)
        if args.dpi < 20 or args.dpi > 1200:
            raise InputError("--dpi %d: expected 20..1200" % args.dpi)
        if not os.path.exists(args.input):
            raise InputError("%s: not found; expected %s" % (args.input, (
                rep.REPORT_EXPECTED if args.kind in REPORT_KINDS + SERVING_KINDS
                else CSV_EXPECTED)))
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
