"""The sweep's CSV: regenerated from the point directories, one row per point in spec order.

Columns: point, status, exit_code, the parameters (machines, workload, run arguments, --set
paths), baseline (side-by-side sweeps), per machine <name>.<metric> for the headline
metrics and <name>.speedup/.energy_ratio/.offchip_bytes_ratio against the baseline, and error.
The file depends only on the spec and the reports: -j 1, -j 8 and Slurm give the same bytes.
"""
import json

from . import report as rep
from .points import FAILED, OK, PENDING, PointDir
from .spec import flat_value, format_value
from .table import write_csv


def _number(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


class Results:
    """Reads each finished point's report once per process."""

    def __init__(self, spec, out_dir):
        self.spec = spec
        self.out_dir = out_dir
        self._cache = {}

    def point_state(self, point):
        """(state, exit_code, error, headline or None)."""
        pd = PointDir(self.out_dir, point.id)
        state = pd.state()
        if state == OK:
            if point.id not in self._cache:
                try:
                    with open(pd.report, "rb") as f:
                        doc = json.loads(f.read().decode("utf-8"))
                    self._cache[point.id] = rep.headline(doc)
                except Exception as e:  # a report we renamed into place should always parse
                    self._cache[point.id] = "report.json unreadable: %s" % e
            data = self._cache[point.id]
            if isinstance(data, str):
                return FAILED, None, data, None
            return OK, 0, "", data
        if state == FAILED:
            code, error = pd.failure()
            return FAILED, code, error, None
        return PENDING, None, "", None

    def rows(self):
        states = [(p, self.point_state(p)) for p in self.spec.points]
        machines, compared, any_baseline = [], [], False
        for _, (state, _, _, data) in states:
            if data is None:
                continue
            rows, baseline, comps = data
            any_baseline = any_baseline or baseline is not None
            for name, _ in rows:
                if name not in machines:
                    machines.append(name)
            for name in comps:
                if name not in compared:
                    compared.append(name)
        header = ["point", "status", "exit_code"] + list(self.spec.param_columns)
        if any_baseline:
            header.append("baseline")
        serving = self.spec.command == "serve"
        for name in machines:
            header += ["%s.%s" % (name, m)
                       for m, _ in (rep.SERVING_HEADLINE if serving else rep.HEADLINE)]
            if name in compared:
                header += ["%s.%s" % (name, m)
                           for m in (rep.SERVING_COMPARISON if serving else rep.COMPARISON)]
        header.append("error")

        out = []
        for point, (state, code, error, data) in states:
            row = {"point": point.id, "status": state,
                   "exit_code": "" if code is None else str(code), "error": error}
            for key in self.spec.param_columns:
                v = flat_value(point.params, key)
                row[key] = "" if v is None else format_value(v)
            if data is not None:
                mrows, baseline, comps = data
                if baseline is not None:
                    row["baseline"] = baseline
                for name, values in mrows:
                    for metric, v in values.items():
                        row["%s.%s" % (name, metric)] = _number(v)
                for name, values in comps.items():
                    for metric, v in values.items():
                        row["%s.%s" % (name, metric)] = _number(v)
            out.append([row.get(h, "") for h in header])
        return header, out

    def write_csv(self, path):
        header, rows = self.rows()
        write_csv(path, header, rows)
        counts = {OK: 0, FAILED: 0, PENDING: 0}
        for r in rows:
            counts[r[1]] += 1
        return counts
