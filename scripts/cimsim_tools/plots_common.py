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

def eng(ticker, unit):
    """An SI-prefix tick formatter for unit (None for no unit or a ratio)."""
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


def wrap(text, width):
    """At most two lines of at most about width characters."""
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


def finish(fig, title):
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()


# ---- files ---------------------------------------------------------------------------------

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
