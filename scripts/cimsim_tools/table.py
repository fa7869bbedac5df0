"""Tables: the one place that writes and reads the sweep CSV, and lays tables out as text.

write_csv() writes the CSV scripts/sweep.py produces (docs/sweeps.md); Table reads it back for
plot.py and study.py (strictly: a ragged row, a repeated column or text that is not UTF-8 is
an error naming the file and line), keeping the finished points. Any CSV with a header reads:
a column is a metric when its name ends in a known metric (seconds, energy_j, ...), and a
parameter otherwise (except the bookkeeping columns point, status, exit_code, baseline, error).
text_table() and markdown_table() lay rows out for a terminal and for a Markdown summary.
"""
import csv
import io
import math
import re

from .common import InputError, atomic_write
from .report import COMPARISON, HEADLINE, SERVING_COMPARISON, SERVING_HEADLINE

BOOKKEEPING = ("point", "status", "exit_code", "baseline", "error")
CSV_EXPECTED = "a sweep CSV (the results.csv of scripts/sweep.py: a header line, a row per point)"
METRICS = (tuple(m for m, _ in HEADLINE) + COMPARISON + tuple(m for m, _ in SERVING_HEADLINE)
           + SERVING_COMPARISON)

# metric -> (what it is, unit) for axis labels
METRIC_LABELS = {
    "seconds": ("latency", "s"),
    "cycles": ("cycles", ""),
    "energy_j": ("energy", "J"),
    "flops": ("work", "FLOP"),
    "hbm_read_bytes": ("HBM bytes read", "B"),
    "hbm_write_bytes": ("HBM bytes written", "B"),
    "nvlink_bytes": ("bytes sent between devices", "B"),
    "time_to_first_token_s": ("time to first token", "s"),
    "time_per_output_token_s": ("time per output token", "s"),
    "tokens_per_s": ("throughput", "tokens/s"),
    "speedup": ("speed-up over the baseline", "x"),
    "energy_ratio": ("energy / baseline energy", "x"),
    "offchip_bytes_ratio": ("off-chip bytes / baseline", "x"),
    "output_tokens_per_s": ("serving throughput", "tokens/s"),
    "energy_per_output_token_j": ("energy per output token", "J"),
    "ttft_p50_s": ("TTFT p50", "s"),
    "ttft_p99_s": ("TTFT p99", "s"),
    "tpot_p50_s": ("TPOT p50", "s"),
    "tpot_p99_s": ("TPOT p99", "s"),
    "e2e_p50_s": ("end-to-end latency p50", "s"),
    "e2e_p99_s": ("end-to-end latency p99", "s"),
    "kv_mean_occupancy": ("mean KV occupancy", ""),
    "throughput_ratio": ("throughput / baseline", "x"),
    "energy_per_token_ratio": ("energy per token / baseline", "x"),
    "ttft_p50_ratio": ("TTFT p50 / baseline", "x"),
    "tpot_p50_ratio": ("TPOT p50 / baseline", "x"),
    "e2e_p99_ratio": ("E2E p99 / baseline", "x"),
}
PARAM_LABELS = {
    "prompt": ("prompt length", "tokens"),
    "generate": ("generated tokens", "tokens"),
    "batch": ("batch size", "sequences"),
    "mode": ("mode", ""),
    "machines": ("machines", ""),
    "workload": ("workload", ""),
}
UNIT_SUFFIXES = (("_bytes", "B"), ("_ns", "ns"), ("_s", "s"), ("_ghz", "GHz"), ("_mhz", "MHz"),
                 ("_pj", "pJ"), ("_nj", "nJ"), ("_j", "J"), ("_mm2", "mm²"), ("_mw", "mW"),
                 ("_w", "W"), ("_bits", "bit"), ("_kb", "KB"))


def metric_of(column):
    """The metric a column holds ("isaac.seconds" -> "seconds"), or None for a parameter."""
    if column in METRICS:
        return column
    for m in METRICS:
        if column.endswith("." + m):
            return m
    return None


def series_of(column):
    """The machine part of a metric column ("isaac.seconds" -> "isaac")."""
    m = metric_of(column)
    if m is None or column == m:
        return column
    return column[: -len(m) - 1]


def axis_label(column):
    """"what (unit)" for a column: metrics by name, parameters by their unit suffix."""
    m = metric_of(column)
    if m is not None:
        what, unit = METRIC_LABELS[m]
        return "%s (%s)" % (what, unit) if unit else what
    if column in PARAM_LABELS:
        what, unit = PARAM_LABELS[column]
        return "%s (%s)" % (what, unit) if unit else what
    last = column.rsplit(".", 1)[-1]
    for suffix, unit in UNIT_SUFFIXES:
        if last.endswith(suffix):
            return "%s (%s)" % (column, unit)
    return column


def unit_of(column):
    m = metric_of(column)
    if m is not None:
        return METRIC_LABELS[m][1]
    last = column.rsplit(".", 1)[-1]
    for suffix, unit in UNIT_SUFFIXES:
        if last.endswith(suffix):
            return unit
    return ""


def to_number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


class Table:
    def __init__(self, path):
        self.path = path
        try:
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                rows = list(reader)
        except FileNotFoundError:
            raise InputError("%s: not found; expected %s" % (path, CSV_EXPECTED)) from None
        except IsADirectoryError:
            raise InputError("%s: expected a CSV file, got a directory" % path) from None
        except UnicodeDecodeError as e:
            raise InputError("%s: not UTF-8 text (byte %d); expected %s"
                             % (path, e.start, CSV_EXPECTED)) from None
        except (OSError, csv.Error) as e:
            raise InputError("%s: cannot read CSV: %s" % (path, e)) from None
        rows = [r for r in rows if r]
        if not rows:
            raise InputError("%s: empty CSV (no header line); expected %s" % (path, CSV_EXPECTED))
        self.header = rows[0]
        if len(set(self.header)) != len(self.header):
            dup = [h for h in self.header if self.header.count(h) > 1][0]
            raise InputError("%s: column %r appears twice in the header" % (path, dup))
        self.rows = []
        for i, r in enumerate(rows[1:], start=2):
            if len(r) != len(self.header):
                raise InputError("%s:%d: expected %d fields like the header, got %d"
                                 % (path, i, len(self.header), len(r)))
            self.rows.append(dict(zip(self.header, r)))
        if not self.rows:
            raise InputError("%s: no data rows (only a header)" % path)
        self.skipped = 0
        if "status" in self.header:
            ok = [r for r in self.rows if r["status"] == "ok"]
            self.skipped = len(self.rows) - len(ok)
            if not ok:
                raise InputError("%s: no finished points (status ok) among %d rows"
                                 % (path, len(self.rows)))
            self.rows = ok

    def params(self):
        return [h for h in self.header if h not in BOOKKEEPING and metric_of(h) is None]

    def require(self, column, what="column"):
        if column not in self.header:
            near = [h for h in self.header if column in h or h in column][:8]
            hint = ("; similar: " + ", ".join(near)) if near else ""
            raise InputError("%s: no %s %r (columns: %s)%s"
                             % (self.path, what, column, short_list(self.header), hint))
        return column

    def resolve(self, names, option):
        """Columns for --y style lists: exact names, or metric names that expand to every
        <machine>.<metric> column."""
        out = []
        for name in names:
            if name in self.header:
                matched = [name]
            else:
                matched = [h for h in self.header if h.endswith("." + name)]
            if not matched:
                cols = [h for h in self.header if metric_of(h) is not None]
                if not cols:
                    raise InputError("%s: %s %r matches no column, and no column holds a metric "
                                     "(columns: %s); expected %s with <machine>.<metric> columns "
                                     "such as isaac.seconds"
                                     % (self.path, option, name, short_list(self.header),
                                        CSV_EXPECTED))
                metrics = list(dict.fromkeys(metric_of(h) for h in cols))
                series = list(dict.fromkeys(series_of(h) for h in cols if series_of(h) != h))
                raise InputError("%s: %s %r matches no column (metrics: %s; machines: %s; or "
                                 "give a full column name such as %s)"
                                 % (self.path, option, name, short_list(metrics),
                                    short_list(series) or "none",
                                    cols[0] if cols else "isaac.seconds"))
            out += [m for m in matched if m not in out]
        return out

    def filter(self, wheres):
        """--where COL=VALUE (repeatable; the same COL twice means either value)."""
        wanted = {}
        for w in wheres:
            if "=" not in w:
                raise InputError("--where %r: expected COLUMN=VALUE" % w)
            col, val = w.split("=", 1)
            self.require(col)
            wanted.setdefault(col, []).append(val)
        rows = [r for r in self.rows if all(same(r[c], vals) for c, vals in wanted.items())]
        if not rows:
            raise InputError("%s: no finished rows match %s" % (self.path, " and ".join(
                "%s in {%s}" % (c, ", ".join(v)) for c, v in wanted.items())))
        return rows

    def numbers(self, rows, column):
        """The numbers of column in rows (None where empty); a non-number is an error."""
        out = []
        for r in rows:
            text = r[column]
            if text == "":
                out.append(None)
                continue
            v = to_number(text)
            if v is None:
                raise InputError("%s: column %r: expected numbers, got %r (point %s)"
                                 % (self.path, column, text, r.get("point", "?")))
            out.append(v)
        return out

    def varying(self, rows, columns):
        return [c for c in columns if len({r[c] for r in rows}) > 1]


def same(text, values):
    for v in values:
        if text == v:
            return True
        a, b = to_number(text), to_number(v)
        if a is not None and b is not None and a == b:
            return True
    return False


def short_list(items, limit=12):
    items = list(items)
    text = ", ".join(items[:limit])
    return text + (", ... (%d in all)" % len(items) if len(items) > limit else "")


def sort_key_values(values):
    """Sorted distinct values: numerically if all are numbers, else in order of appearance."""
    distinct = []
    for v in values:
        if v not in distinct:
            distinct.append(v)
    if all(to_number(v) is not None for v in distinct):
        return sorted(distinct, key=to_number), True
    return distinct, False


def safe_stem(text):
    return re.sub(r"[^A-Za-z0-9._+\-]", "_", text)[:120]


def write_csv(path, header, rows):
    """Writes header and rows (lists of text) atomically, "\n" line ends: the same rows give
    the same bytes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    atomic_write(path, buf.getvalue())


def text_table(header, rows):
    """Lines of left-aligned columns two spaces apart (trailing blanks stripped)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    return ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip()
            for line in [header] + list(rows)]


def markdown_table(header, rows):
    """Lines of a Markdown (GitHub) table."""
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(r) + " |" for r in rows])
