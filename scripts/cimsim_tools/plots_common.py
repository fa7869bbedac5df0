"""What every plot of scripts/plot.py shares: matplotlib loaded on first use, number and label
formatting, colours, titles, and writing the figures (all or nothing).

The drawing itself is in plots_report.py (one report) and plots_sweep.py (a sweep CSV).
"""
import math
import os
import sys

from .common import InputError
from .table import axis_label, safe_stem


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


# ---- numbers and labels --------------------------------------------------------------------

# Units that are words: the SI prefix goes with the number (1.1k tokens/s, not 1.1 ktokens/s).
WORD_UNITS = ("tokens/s", "tokens", "sequences")


def eng(ticker, unit):
    """An SI-prefix tick formatter for unit (None for no unit or a ratio)."""
    if not unit or unit == "x":
        return None
    if unit in WORD_UNITS:
        return ticker.FuncFormatter(lambda v, _: eng_text(v, unit, digits=4))
    return ticker.EngFormatter(unit=unit, sep=" ")


PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G",
            12: "T", 15: "P"}


def eng_text(v, unit, digits=3):
    """3 significant digits with an SI prefix: 1.04 mJ, 312 TFLOP/s, 1.1k tokens/s; ratios as
    0.209x."""
    fmt = "%%.%dg" % digits
    if not unit or unit == "x":
        return fmt % v + ("x" if unit == "x" else "")
    if v == 0:
        return "0 %s" % unit
    exp = int(math.floor(math.log10(abs(v)) / 3) * 3)
    exp = max(-15, min(15, exp))
    mant = v / 10 ** exp
    if abs(float(fmt % mant)) >= 1000 and exp < 15:
        exp += 3
        mant = v / 10 ** exp
    if unit in WORD_UNITS:
        return "%s%s %s" % (fmt % mant, PREFIXES[exp], unit)
    return "%s %s%s" % (fmt % mant, PREFIXES[exp], unit)


def colour_for(names, plt):
    """A colour per name: tab10, or for more names tab20 with its dark shades first (tab20
    pairs a dark and a light shade of each hue, which side by side read as one colour)."""
    if len(names) <= 10:
        cmap = plt.get_cmap("tab10")
        return {n: cmap(i % 10) for i, n in enumerate(names)}
    cmap = plt.get_cmap("tab20")
    shades = list(range(0, 20, 2)) + list(range(1, 20, 2))
    return {n: cmap(shades[i % 20]) for i, n in enumerate(names)}


def text_colour(rgba):
    """Black or white, whichever reads better on a fill of this colour."""
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def machine_label(m):
    return "%s (%s)" % (m.get("name"), m.get("type", "?"))


def mode_label(mode):
    return "ENTP" if mode == "entp" else mode


def capital(text):
    return text[:1].upper() + text[1:]


def what_of(column):
    """The axis label of a column without its unit: "energy (J)" -> "energy"."""
    return axis_label(column).split(" (")[0]


def where_text(wheres):
    """The --where filters as a title suffix: " (prompt=64, mode=entp)", or ""."""
    where = ", ".join(wheres)
    return (" (%s)" % where) if where else ""


def wrap(text, width, max_lines=3):
    """Lines of about width characters, at most max_lines (then ending in an ellipsis)."""
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w).strip()
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += " …"
    return "\n".join(lines)


def panels(plt, n, width, height, sharey=False, max_cols=3):
    """A figure of n panels of width x height inches, at most max_cols a row (so many machines
    wrap into rows instead of one very wide figure); unused cells are hidden. Returns the
    figure and the n axes in order."""
    rows = (n + max_cols - 1) // max_cols
    cols = (n + rows - 1) // rows  # balanced: 4 panels as 2 x 2, not 3 + 1
    fig, grid = plt.subplots(rows, cols, figsize=(width * cols, height * rows), sharey=sharey,
                             squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def number_formatter(ticker, unit):
    """SI prefixes and the unit (1.5 ms, 2 GB); plain numbers (%g) without a unit."""
    return eng(ticker, unit) or ticker.FuncFormatter(lambda v, _: "%g" % v)


def log_locator(ticker, lo, hi):
    """Ticks for a log axis from lo to hi: round values within one decade, 1-2-5 steps within
    three, powers of ten beyond. matplotlib alone labels only the powers of ten, so a narrow
    axis gets one label or none."""
    span = hi / lo if lo > 0 else float("inf")
    if span < 10:
        # Under a decade, evenly spaced round values (LogLocator would leave gaps).
        return ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10])
    return ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0) if span < 1000 else (1.0,))


def log_ticks(ax, ticker, axis, unit):
    """log_locator's ticks on a log axis whose limits are set, labelled with the unit."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target.set_major_locator(log_locator(ticker, lo, hi))
    target.set_major_formatter(number_formatter(ticker, unit))
    target.set_minor_formatter(ticker.NullFormatter())


def value_ticks(ax, ticker, values, unit, limit=12):
    """x ticks at the values a sweep ran (up to limit of them), labelled as numbers."""
    values = sorted(set(values))
    if len(values) > limit:
        return False
    ax.xaxis.set_major_locator(ticker.FixedLocator(values))
    ax.xaxis.set_major_formatter(number_formatter(ticker, unit))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    return True


def finish(fig, title):
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()


# ---- files ---------------------------------------------------------------------------------

def save_all(figs, out_dir, formats, dpi, name):
    """Writes every file to a temporary name first and renames them all at the end; on a
    failure removes the temporary files (and the directory, if it made it)."""
    made = not os.path.isdir(out_dir)
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
                temps.append((tmp, final))  # before savefig: a half-written file goes too
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, bbox_inches="tight")
        for tmp, final in temps:
            os.replace(tmp, final)
            written.append(final)
    except BaseException:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if made and not written:
            try:
                os.rmdir(out_dir)
            except OSError:
                pass
        raise
    return written
