"""Plots of a serving report (cimsim serve --out, docs/serving.md): latency percentiles
(TTFT, TPOT, end-to-end; p50, p90, p99) per machine, and throughput with energy per output
token per machine."""
from . import report as rep
from .common import InputError
from .plots_common import colour_for, eng, eng_text, finish, machine_label, panels

METRICS = (("ttft", "time to first token"), ("tpot", "time per output token"),
           ("e2e", "end-to-end latency"))
PERCENTILES = ("p50", "p90", "p99")


def serving_sections(doc, path):
    """The machines' serving sections; InputError naming the path if one lacks what we plot."""
    if doc.get("kind") != "serving":
        raise InputError("%s: kind: expected \"serving\" (the report of cimsim serve), got %r"
                         % (path, doc.get("kind")))
    out = []
    for i, m in enumerate(doc["machines"]):
        s = m.get("serving")
        for key in ("latency_s", "throughput", "energy"):
            if not isinstance(rep.get(s, [key]), dict):
                raise InputError("%s: machines[%d].serving.%s: expected an object"
                                 % (path, i, key))
        for metric, _ in METRICS:
            for p in PERCENTILES:
                v = rep.get(s, ["latency_s", metric, p])
                if not rep.is_number(v) or v < 0:
                    raise InputError("%s: machines[%d].serving.latency_s.%s.%s: expected a "
                                     "number >= 0, got %r" % (path, i, metric, p, v))
        out.append(s)
    return out


def plot_latency(doc, path, args, mpl):
    """One panel per latency metric; in each, a group of bars per machine (p50, p90, p99)."""
    sections = serving_sections(doc, path)
    names = rep.machine_names(doc)
    plt, ticker = mpl.plt, mpl.ticker
    fig, axes = panels(plt, len(METRICS), 4.2, 3.6)
    colours = colour_for(list(PERCENTILES), plt)
    width = 0.8 / len(PERCENTILES)
    for ax, (metric, label) in zip(axes, METRICS):
        for j, p in enumerate(PERCENTILES):
            xs = [i + (j - 1) * width for i in range(len(sections))]
            ys = [s["latency_s"][metric][p] for s in sections]
            ax.bar(xs, ys, width, label=p, color=colours[p])
        ax.set_xticks(range(len(sections)))
        ax.set_xticklabels(names, rotation=15, ha="right", fontsize=8)
        ax.set_title(label, fontsize=10)
        values = [s["latency_s"][metric][p] for s in sections for p in PERCENTILES]
        positive = [v for v in values if v > 0]
        # Machines far apart (a GPU and a CIM fabric often are): a log axis shows both.
        if positive and max(positive) / min(positive) > 50:
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(eng(ticker, "s") or ticker.ScalarFormatter())
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    finish(fig, args.title or "Serving latency percentiles (%s requests)"
           % rep.get(doc, ["requests", "count"], "?"))
    return fig


def plot_throughput(doc, path, args, mpl):
    """Output tokens per second and energy per output token, a bar per machine."""
    sections = serving_sections(doc, path)
    machines = doc["machines"]
    names = rep.machine_names(doc)
    plt, ticker = mpl.plt, mpl.ticker
    fig, axes = panels(plt, 2, 4.2, 3.6)
    colours = colour_for(names, plt)
    for ax, (keys, unit, label) in zip(axes, (
            (["throughput", "output_tokens_per_s"], "tokens/s", "output tokens per second"),
            (["energy", "per_output_token_j"], "J", "energy per output token"))):
        ys = []
        for i, s in enumerate(sections):
            v = rep.get(s, keys)
            if not rep.is_number(v) or v < 0:
                raise InputError("%s: machines[%d].serving.%s: expected a number >= 0, got %r"
                                 % (path, i, ".".join(keys), v))
            ys.append(v)
        bars = ax.bar(range(len(ys)), ys, color=[colours[n] for n in names])
        for b, v in zip(bars, ys):
            ax.annotate(eng_text(v, unit), (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(ys)))
        ax.set_xticklabels([machine_label(m) for m in machines], rotation=15, ha="right",
                           fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.yaxis.set_major_formatter(eng(ticker, unit) or ticker.ScalarFormatter())
        ax.grid(axis="y", alpha=0.3)
    finish(fig, args.title or "Serving throughput and energy")
    return fig
