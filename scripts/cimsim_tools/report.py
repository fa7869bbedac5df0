"""What the tools read from a cimsim report (docs/report-format.md, schema_version 1).

Every field the sweep CSV and the plots use is named here, so aligning the machines' report
sections with the tools means reading this one file.
"""
import math

from .common import InputError, is_number, load_json_strict

# Headline metrics per machine: CSV column suffix -> path in the machine section.
HEADLINE = (
    ("seconds", ("totals", "seconds")),
    ("cycles", ("totals", "cycles")),
    ("energy_j", ("totals", "energy_j")),
    ("flops", ("totals", "flops")),
    ("hbm_read_bytes", ("totals", "bytes", "hbm", "read")),
    ("hbm_write_bytes", ("totals", "bytes", "hbm", "write")),
    # A node of several devices (docs/parallelism.md): bytes its devices sent to each other.
    ("nvlink_bytes", ("totals", "bytes", "nvlink", "write")),
    ("time_to_first_token_s", ("latency", "time_to_first_token_s")),
    ("time_per_output_token_s", ("latency", "time_per_output_token_s")),
    ("tokens_per_s", ("latency", "tokens_per_s")),
)
# The same for a serving report (cimsim serve, kind "serving").
SERVING_HEADLINE = (
    ("output_tokens_per_s", ("serving", "throughput", "output_tokens_per_s")),
    ("energy_per_output_token_j", ("serving", "energy", "per_output_token_j")),
    ("ttft_p50_s", ("serving", "latency_s", "ttft", "p50")),
    ("ttft_p99_s", ("serving", "latency_s", "ttft", "p99")),
    ("tpot_p50_s", ("serving", "latency_s", "tpot", "p50")),
    ("tpot_p99_s", ("serving", "latency_s", "tpot", "p99")),
    ("e2e_p50_s", ("serving", "latency_s", "e2e", "p50")),
    ("e2e_p99_s", ("serving", "latency_s", "e2e", "p99")),
    ("kv_mean_occupancy", ("serving", "kv_cache", "mean_occupancy")),
)
# Side-by-side figures per non-baseline machine, from the report's "comparison".
COMPARISON = ("speedup", "energy_ratio", "offchip_bytes_ratio")
SERVING_COMPARISON = ("throughput_ratio", "energy_per_token_ratio", "ttft_p50_ratio",
                      "tpot_p50_ratio", "e2e_p99_ratio")

# Roofline roofs: the first of these keys found in a machine's `metrics` (or in
# `metrics.roofline`) wins; the factor converts it to FLOP/s or bytes/s.
PEAK_FLOPS_KEYS = (
    ("peak_flops", 1.0), ("peak_flops_per_s", 1.0), ("peak_flop_per_s", 1.0),
    ("peak_compute_flops", 1.0), ("peak_compute_flops_per_s", 1.0), ("compute_roof_flops", 1.0),
    ("peak_tflops", 1e12), ("peak_gflops", 1e9),
)
PEAK_BW_KEYS = (
    ("peak_hbm_bytes_per_s", 1.0), ("hbm_peak_bytes_per_s", 1.0),
    ("peak_bandwidth_bytes_per_s", 1.0),
    ("peak_memory_bytes_per_s", 1.0), ("hbm_bandwidth_bytes_per_s", 1.0),
    ("peak_dram_bytes_per_s", 1.0), ("memory_roof_bytes_per_s", 1.0),
    ("peak_hbm_gb_per_s", 1e9), ("peak_hbm_tb_per_s", 1e12),
)
# Which entry of a per-data-type roof ({"fp16": ..., "int8": ...}) applies to the trace.
PEAK_DTYPE_KEY = "compute_utilization_dtype"


REPORT_EXPECTED = "a cimsim report (the JSON that `cimsim run --out` writes)"


def get(node, path, default=None):
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def load_report(path):
    """Loads a report and checks the outline every tool relies on."""
    doc = load_json_strict(path, "report", REPORT_EXPECTED)
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise InputError("%s: not a cimsim report (no schema_version); expected %s"
                         % (path, REPORT_EXPECTED))
    machines = doc.get("machines")
    if not isinstance(machines, list) or not machines:
        raise InputError("%s: machines: expected a non-empty array of machine sections" % path)
    for i, m in enumerate(machines):
        if not isinstance(m, dict) or not isinstance(m.get("name"), str):
            raise InputError("%s: machines[%d].name: expected the machine's name" % (path, i))
    return doc


def machine_names(report):
    """Names of the report's machines in order; a repeated name gets #2, #3, ..."""
    names, seen = [], {}
    for m in report.get("machines", []):
        name = m.get("name") if isinstance(m, dict) else None
        name = name if isinstance(name, str) and name else "machine"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else "%s#%d" % (name, seen[name]))
    return names


def headline(report):
    """(machine name, {metric: number}) per machine, the baseline's name (or None) and
    {machine name: {comparison metric: number}}."""
    names = machine_names(report)
    rows = []
    for name, m in zip(names, report.get("machines", [])):
        values = {}
        for column, path in (SERVING_HEADLINE if report.get("kind") == "serving" else HEADLINE):
            v = get(m, path)
            if is_number(v):
                values[column] = v
        rows.append((name, values))
    comparisons = {}
    comp = report.get("comparison") or []
    baseline = names[0] if comp and names else None
    for i, c in enumerate(comp if isinstance(comp, list) else []):
        if not isinstance(c, dict):
            continue
        # comparison[i] relates machines[i + 1] to machines[0]; fall back to the name.
        name = names[i + 1] if len(comp) == len(names) - 1 else c.get("machine")
        if not isinstance(name, str):
            continue
        keys = SERVING_COMPARISON if report.get("kind") == "serving" else COMPARISON
        comparisons[name] = {k: c[k] for k in keys if is_number(c.get(k))}
    return rows, baseline, comparisons


def peak(metrics, keys):
    """(value, key) of the first known key in metrics or metrics.roofline, or (None, None).

    A key may hold one number or, as the von Neumann machine writes peak_flops_per_s, an
    object of data type -> number: then the type in compute_utilization_dtype (the trace's
    dominant type) is taken, and the key is reported as key.type."""
    for where in (metrics, metrics.get("roofline") if isinstance(metrics, dict) else None):
        if not isinstance(where, dict):
            continue
        for key, factor in keys:
            v = where.get(key)
            if isinstance(v, dict):
                dtype = where.get(PEAK_DTYPE_KEY, metrics.get(PEAK_DTYPE_KEY))
                if isinstance(dtype, str) and is_number(v.get(dtype)) and v[dtype] > 0:
                    return v[dtype] * factor, "%s.%s" % (key, dtype)
                continue
            if is_number(v) and v > 0:
                return v * factor, key
    return None, None


def op_rooflines(machine):
    """Per-op points of a machine: (name, kind, phase_kind, intensity FLOP/byte, FLOP/s,
    busy_seconds) for ops with FLOPs, HBM bytes and busy time; and how many ops were left out."""
    points, skipped = [], 0
    for op in machine.get("ops", []) or []:
        if not isinstance(op, dict):
            skipped += 1
            continue
        flops = op.get("flops")
        busy = op.get("busy_seconds")
        hbm = get(op, ("bytes", "hbm"), {})
        moved = 0
        if isinstance(hbm, dict):
            moved = sum(v for v in (hbm.get("read"), hbm.get("write")) if is_number(v))
        if not (is_number(flops) and flops > 0 and is_number(busy) and busy > 0 and moved > 0):
            skipped += 1
            continue
        points.append((str(op.get("name", "?")), str(op.get("kind", "other")),
                       str(op.get("phase_kind", "")), flops / moved, flops / busy, busy))
    return points, skipped


def finite(v):
    return is_number(v) and not math.isnan(v)
