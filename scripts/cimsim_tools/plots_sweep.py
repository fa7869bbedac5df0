"""Plots of a sweep CSV (docs/plots.md): any metric against one parameter (lines) or two
(heatmap), and the seed study's latency vs sequence length, decoder vs ENTP, per machine."""
import math

from .common import InputError
from .plots_common import (capital, colour_for, eng_text, finish, log_locator, log_ticks,
                           mode_label, number_formatter, panels, value_ticks, what_of,
                           where_text)
from .table import axis_label, metric_of, series_of, sort_key_values, to_number, unit_of

MODE_STYLES = {"decoder": ("-", "o"), "entp": ("--", "s"), "encoder": (":", "^")}


def group_rows(table, rows, by):
    groups = {}
    for r in rows:
        key = tuple(r[c] for c in by)
        groups.setdefault(key, []).append(r)
    return groups


def group_label(by, key):
    return ", ".join("%s=%s" % (c, v) for c, v in zip(by, key))


def one_row_each(table, rows, cols, context, hint):
    """{values of cols: row}; two rows with the same values are an error naming the
    parameters they differ in."""
    out = {}
    for r in rows:
        key = tuple(r[c] for c in cols)
        if key in out:
            others = table.varying([out[key], r], [c for c in table.params() if c not in cols])
            raise InputError("%s: two rows for %s%s (they differ in %s); %s"
                             % (table.path, ", ".join("%s=%s" % (c, r[c]) for c in cols),
                                context, ", ".join(others) or "nothing", hint))
        out[key] = r
    return out


def baseline_label(column, rows):
    """axis_label, with "the baseline" of a comparison metric named when the rows share one."""
    label = axis_label(column)
    names = {r.get("baseline", "") for r in rows}
    if "the baseline" in label and len(names) == 1 and "" not in names:
        label = label.replace("the baseline", names.pop())
    return label


def legend(ax, entries):
    """Inside the axes where it covers least, or right of them when there are many lines."""
    if entries > 6:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    else:
        ax.legend(fontsize=8, loc="best")


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
    if args.logx and to_number(order[0]) <= 0:
        raise InputError("%s: --logx: column %r has values <= 0 (%s)" % (table.path, x, order[0]))
    groups = group_rows(table, rows, by)
    series = []  # (y column, group key, [(x, y)])
    for y in ys:
        for key, grows in groups.items():
            seen = one_row_each(table, grows, (x,), " in one series",
                                "split them with --by or pick one with --where")
            pairs = []
            for xv in order:
                if (xv,) not in seen:
                    continue
                v = table.numbers([seen[(xv,)]], y)[0]
                if v is None or (args.logy and v <= 0):
                    continue
                pairs.append((to_number(xv) if numeric else order.index(xv), v))
            if pairs:
                series.append((y, key, pairs))
    if not series:
        raise InputError("%s: no numbers to plot in %s for the rows kept"
                         % (table.path, ", ".join(ys)))

    # Columns of different units (--y energy_j,seconds) get a panel each, one above the other:
    # one axis cannot carry joules and seconds.
    units = list(dict.fromkeys(unit_of(y) for y in ys))
    plt, ticker = mpl.plt, mpl.ticker
    fig, grid = plt.subplots(len(units), 1, sharex=True, squeeze=False,
                             figsize=(7.2, 4.8 if len(units) == 1 else 3.4 * len(units)))
    # A machine keeps its colour from panel to panel when each panel holds one metric.
    by_machine = all(len({metric_of(y) for y in ys if unit_of(y) == u}) == 1 for u in units)
    ckey = (lambda y, k: (series_of(y), k)) if by_machine else (lambda y, k: (y, k))
    colours = colour_for(list(dict.fromkeys(ckey(y, k) for y, k, _ in series)), plt)
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    keys = list(groups)
    for (ax,), unit in zip(grid, units):
        mine = [y for y in ys if unit_of(y) == unit]
        one_metric = len({metric_of(y) for y in mine}) == 1
        drawn = 0
        for y, key, pairs in series:
            if y not in mine:
                continue
            yi, gi = mine.index(y), keys.index(key)
            label = (series_of(y) if one_metric else y) if len(mine) > 1 or not by else ""
            if by:
                label = (label + " " if label else "") + group_label(by, key)
            ax.plot([p[0] for p in pairs], [p[1] for p in pairs],
                    linestyle=styles[gi % len(styles)] if len(mine) > 1 else "-",
                    marker=markers[(yi if len(mine) > 1 else gi) % len(markers)],
                    color=colours[ckey(y, key)], label=label or series_of(y))
            drawn += 1
        if args.logy:
            ax.set_yscale("log")
            log_ticks(ax, ticker, "y", unit)
        else:
            ax.yaxis.set_major_formatter(number_formatter(ticker, unit))
        ax.set_ylabel(y_label(mine, rows))
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
        legend(ax, drawn)
    ax = grid[-1][0]
    if args.logx:
        ax.set_xscale("log")
        value_ticks(ax, ticker, [to_number(v) for v in order], unit_of(x))
    elif numeric and all(to_number(v) == int(to_number(v)) for v in order):
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # no batch size 1.5
    if not numeric:
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=20 if max(len(o) for o in order) > 8 else 0)
    ax.set_xlabel(axis_label(x))
    title = args.title or "%s vs %s%s" % (capital(y_label(ys, rows, units=False)), what_of(x),
                                          where_text(args.where))
    finish(fig, title)
    return fig


def y_label(ys, rows, units=True):
    labels = []
    for y in ys:
        lab = baseline_label(y, rows)
        lab = lab if units else lab.split(" (")[0]
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
    cells = one_row_each(table, rows, (x, y), "", "pick one with --where")
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
    zlabel = baseline_label(z, rows)
    cb.set_label("%s: %s" % (series_of(z), zlabel) if series_of(z) != z else zlabel)
    cb.formatter = number_formatter(ticker, unit)
    if args.log:
        cb.locator = log_locator(ticker, min(values), max(values))
        cb.ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    cb.update_ticks()
    if len(xo) * len(yo) <= 400:
        size = 9 if len(xo) * len(yo) <= 30 and len(xo) <= 8 else 7
        lo, hi = min(values), max(values)
        for i, line in enumerate(grid):
            for j, v in enumerate(line):
                if math.isnan(v):
                    continue
                t = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) \
                    if args.log and hi > lo else ((v - lo) / (hi - lo) if hi > lo else 0.5)
                ax.text(j, i, eng_text(v, unit), ha="center", va="center", fontsize=size,
                        color="black" if t > 0.6 else "white")
    what = capital(zlabel.split(" (")[0])
    if series_of(z) != z:
        what = "%s: %s" % (series_of(z), what)
    finish(fig, args.title or "%s by %s and %s%s" % (what, what_of(x), what_of(y),
                                                     where_text(args.where)))
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
    fig, axes = panels(plt, len(machines), 4.8, 4.4, sharey=True)
    for ax, col in zip(axes, machines):
        for mode, pts in lines.get(col, []):
            style, marker = MODE_STYLES.get(mode, ("-.", "v"))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style, marker=marker,
                    label=mode_label(mode))
        ax.set_xscale("log")
        ax.set_yscale("log")
        value_ticks(ax, ticker, [to_number(v) for v in order], unit_of(x))
        ax.set_title(series_of(col), fontsize=10)
        ax.set_xlabel(axis_label(x))
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
        ax.legend(fontsize=8, loc="best")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(baseline_label(columns[0], rows))
    log_ticks(axes[0], ticker, "y", unit_of(columns[0]))
    finish(fig, args.title or "%s vs sequence length: %s%s" % (
        capital(what_of(columns[0])), " vs ".join(mode_label(m) for m in modes),
        where_text(args.where)))
    return fig
