"""Sweep specs: validation and expansion into points (see docs/sweeps.md).

A spec is checked against its JSON Schema (configs/schema/sweep.schema.json), and the machine
and workload settings it varies against the schemas cimsim writes (schema.ConfigSchemas);
what no schema can say (files that must exist, a parameter given twice under two names, a
grid parameter repeated in the list, the same point twice) is checked here. Every problem is
an InputError naming the spec file, the JSON path, the value and what was expected.
Expansion is deterministic: list entries in order, and for each the grid's cartesian product
in key order (the last key varies fastest).
"""
import hashlib
import itertools
import json
import os
import re

from .common import InputError, check_duplicates, describe, join_path, load_json_strict
from .schema import ConfigSchemas, Validator, load_schema_dir, looks_like_file

MAX_POINTS = 100000
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP_SCHEMA = os.path.join(REPO, "configs", "schema", "sweep.schema.json")

# Run arguments: shorthand flags of `cimsim run` (docs/configs.md) and on/off switches.
ARG_KEYS = ("mode", "prompt", "generate", "batch", "no_fast_forward", "check_timing")
# --set workload.run.X is what --X means; both spellings name the same parameter.
RUN_ALIASES = {"workload.run." + k: k for k in ("mode", "prompt", "generate", "batch")}
ARG_FLAGS = {"mode": "--mode", "prompt": "--prompt", "generate": "--generate",
             "batch": "--batch", "no_fast_forward": "--no-fast-forward",
             "check_timing": "--check-timing"}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class Point:
    """One run of cimsim: its parameters, a stable id, and where in the spec it came from."""

    def __init__(self, index, params, origin):
        self.index = index
        self.params = params  # canonical: see Spec.canonical()
        self.origin = origin
        self.id = point_id(params)

    def label(self, keys=None):
        """Short text of the parameters that vary (or of `keys`)."""
        parts = []
        for key in keys if keys is not None else flat_keys(self.params):
            value = flat_value(self.params, key)
            if value is not None:
                parts.append("%s=%s" % (key, format_value(value)))
        return " ".join(parts)


def point_id(params):
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:12]


def format_value(value):
    """A parameter value as the CSV and messages show it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "+".join(value)
    return json.dumps(value, separators=(",", ":"))


def flat_keys(params):
    keys = [k for k in ("machines", "workload") + ARG_KEYS if k in params]
    return keys + list(params.get("set", {}))


def flat_value(params, key):
    if key in params and key != "set":
        return params[key]
    return params.get("set", {}).get(key)


def set_value_text(value):
    """The VALUE of --set PATH=VALUE. cimsim reads VALUE as JSON when it parses and as a
    string otherwise, so a string that happens to parse (\"4\", \"true\") is sent quoted."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def data_dir():
    """Where cimsim finds presets and its schemas: $CIMSIM_DATA_DIR, else this repository."""
    return os.environ.get("CIMSIM_DATA_DIR") or REPO


_SCHEMAS = {}


def schemas():
    """(the sweep spec's Validator, ConfigSchemas), loaded once per data directory."""
    where = data_dir()
    if where not in _SCHEMAS:
        store = load_schema_dir(os.path.join(where, "configs", "schema"))
        own = load_schema_dir(os.path.dirname(SWEEP_SCHEMA))
        store["sweep.schema.json"] = own["sweep.schema.json"]
        _SCHEMAS[where] = (Validator(store["sweep.schema.json"], store),
                           ConfigSchemas(where, store))
    return _SCHEMAS[where]


def json_path(parts, path=""):
    """A JSON path for messages from its parts (below `path`)."""
    for p in parts:
        path = join_path(path, p)
    return path


def canonical_key(key):
    """The parameter a grid/list/set key names: machine = machines, workload.run.X = X."""
    if key == "machine":
        return "machines"
    return RUN_ALIASES.get(key, key)


class Spec:
    def __init__(self, path):
        self.path = path
        self.dir = os.path.dirname(os.path.abspath(path))
        self.name = None
        self.backend = None
        self.slurm = {}
        self.points = []
        self.param_columns = []
        self._settings_checked = set()  # (JSON path of a value, machines) found valid

    # ---- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, path):
        spec = cls(path)
        doc = load_json_strict(path, "sweep spec")
        check_duplicates(doc, "", path)
        spec._parse(doc)
        return spec

    def _err(self, path, message):
        return InputError("%s: %s: %s" % (self.path, path or "(top level)", message))

    def _parse(self, doc):
        validator, self._configs = schemas()
        problem = validator.first_error(doc)
        if problem is not None:
            raise self._err(json_path(problem[0]), problem[1])
        name = doc.get("name")
        if name is None:
            name = os.path.splitext(os.path.basename(self.path))[0]
            if not _NAME.match(name):
                name = re.sub(r"[^A-Za-z0-9._\-]", "_", name) or "sweep"
        self.name = name
        self.command = doc.get("command", "run")
        self.backend = doc.get("backend")
        self.slurm = dict(doc.get("slurm", {}))

        # canonical parameter -> (value, its JSON path, the key as spelled, the key's JSON path)
        base = {}
        for key in ("machines", "workload"):
            if key in doc:
                base[key] = (self._checked(key, doc[key], key), key, key, key)
        for key, value in doc.get("args", {}).items():
            base[key] = (value, join_path("args", key), key, join_path("args", key))
        for key, value in doc.get("set", {}).items():
            path = join_path("set", key)
            canon = canonical_key(key)
            if canon in base:
                raise self._err(path, "the same parameter as %s; give it once" % base[canon][1])
            base[canon] = (value, path, key, path)

        grid = self._parse_grid(doc.get("grid", {}))
        entries = self._parse_list(doc.get("list", []), grid)

        size = max(1, len(entries))
        for _, _, values in grid:
            size *= len(values)
        if size > MAX_POINTS:
            raise self._err("grid", "expands to %d points, more than the limit of %d; split the "
                                    "sweep" % (size, MAX_POINTS))
        self._expand(base, grid, entries, "list" in doc)

    def _expand(self, base, grid, entries, has_list):
        combos = list(itertools.product(*(range(len(v)) for _, _, v in grid)))
        seen = {}
        points = []
        for li, entry in enumerate(entries or [None]):
            for combo in combos:
                used = dict(base)
                for (canon, key, values), i in zip(grid, combo):
                    path = join_path("grid", key)
                    used[canon] = (values[i], join_path(path, i), key, path)
                used.update(entry or {})
                origin = []
                if entry is not None:
                    origin.append("list[%d]" % li)
                if grid:
                    origin.append("grid point " + ", ".join(
                        "%s=%s" % (canon, format_value(values[i]))
                        for (canon, _, values), i in zip(grid, combo)))
                origin = " with ".join(origin) or "the spec's only point"
                if "machines" not in used:
                    raise self._err("machines", "missing: give \"machines\" (a list of machine "
                                                "presets or files), or vary \"machine\" in "
                                                "the grid or list (%s has none)" % origin)
                if "workload" not in used:
                    raise self._err("workload", "missing: give \"workload\" (a preset or file), "
                                                "or vary it in the grid or list (%s has none)"
                                    % origin)
                self._check_settings(used)
                self._check_command(used)
                params = {k: u[0] for k, u in used.items() if k in ARG_KEYS
                          or k in ("machines", "workload")}
                sets = {k: u[0] for k, u in used.items() if k not in params}
                if sets:
                    params["set"] = sets
                point = Point(len(points), self._canonical(params), origin)
                if point.id in seen:
                    raise self._err("list" if has_list else "grid",
                                    "%s and %s are the same point (%s)"
                                    % (seen[point.id], origin, point.label()))
                seen[point.id] = origin
                points.append(point)
        self.points = points

        columns = []
        for p in points:
            for key in flat_keys(p.params):
                if key not in columns:
                    columns.append(key)
        fixed = [k for k in ("machines", "workload") + ARG_KEYS if k in columns]
        self.param_columns = fixed + [k for k in columns if k not in fixed]

    def _check_settings(self, used):
        """The machine and workload settings of a point against cimsim's schemas (each value
        once per set of machines: a large grid repeats them)."""
        machines = tuple(used["machines"][0])
        for value, path, key, key_path in used.values():
            if ((key.startswith("machine.") or key.startswith("workload."))
                    and (path, machines) not in self._settings_checked):
                problem = self._configs.check(key, value, [self.resolve(m) for m in machines])
                if problem is not None:
                    sub, message = problem
                    raise self._err(key_path if sub is None else json_path(sub, path), message)
                self._settings_checked.add((path, machines))

    def _check_command(self, used):
        """serve. settings only in a serve sweep; a serve sweep's points have no run lengths
        (the requests set them)."""
        for value, path, key, key_path in used.values():
            if key.startswith("serve.") and self.command != "serve":
                raise self._err(key_path, "a serve. setting needs \"command\": \"serve\"")
            if self.command == "serve" and key in ("mode", "prompt", "generate", "batch",
                                                   "check_timing"):
                raise self._err(key_path, "not an argument of cimsim serve (the requests set "
                                          "the lengths: serve.generator.*)")

    def _canonical(self, params):
        out = {}
        for key in ("machines", "workload") + ARG_KEYS:
            if key in params:
                out[key] = params[key]
        if params.get("set"):
            out["set"] = params["set"]
        return out

    def _checked(self, canon, value, path):
        """A machines or workload value (already schema-valid), with its files checked."""
        if canon == "machines":
            value = [value] if isinstance(value, str) else list(value)
            for i, v in enumerate(value):
                self._check_file(v, join_path(path, i) if len(value) > 1 else path)
        elif canon == "workload":
            self._check_file(value, path)
        return value

    def _check_file(self, value, path):
        if looks_like_file(value) and not os.path.isfile(self.resolve(value)):
            raise self._err(path, "file not found: %s (relative paths are resolved against the "
                                  "spec's directory %s)" % (describe(value), self.dir))

    def resolve(self, value):
        """A machine or workload as cimsim gets it: presets by name, files by absolute path."""
        if looks_like_file(value):
            return os.path.normpath(os.path.join(self.dir, value))
        return value

    def _parse_grid(self, grid):
        """[(canonical parameter, key as spelled, [values])] in key order."""
        out, seen = [], {}
        for key, values in grid.items():
            path = join_path("grid", key)
            canon = canonical_key(key)
            if canon in seen:
                raise self._err(path, "the same parameter as grid.%s; give it once" % seen[canon])
            seen[canon] = key
            out.append((canon, key, [self._checked(canon, v, join_path(path, i))
                                     for i, v in enumerate(values)]))
        return out

    def _parse_list(self, entries, grid):
        """[{canonical parameter: (value, its JSON path, key as spelled, the key's path)}]"""
        in_grid = {canon for canon, _, _ in grid}
        out = []
        for i, entry in enumerate(entries):
            where = join_path("list", i)
            point = {}
            for key, value in entry.items():
                path = join_path(where, key)
                canon = canonical_key(key)
                if canon in point:
                    raise self._err(path, "the same parameter as %s in this point; give it once"
                                    % point[canon][1])
                if canon in in_grid:
                    raise self._err(path, "also a grid parameter; a point takes each parameter "
                                          "from the grid or from the list, not both")
                point[canon] = (self._checked(canon, value, path), path, key, path)
            out.append(point)
        return out

    # ---- running -------------------------------------------------------------------------

    def cimsim_args(self, params):
        """The arguments of `cimsim run` (or serve) for a point (without --out/--quiet)."""
        args = [self.command]
        for m in params["machines"]:
            args += ["--machine", self.resolve(m)]
        args += ["--workload", self.resolve(params["workload"])]
        for key in ("mode", "prompt", "generate", "batch"):
            if key in params:
                args += [ARG_FLAGS[key], str(params[key])]
        for path, value in params.get("set", {}).items():
            args += ["--set", "%s=%s" % (path, set_value_text(value))]
        for key in ("no_fast_forward", "check_timing"):
            if params.get(key):
                args.append(ARG_FLAGS[key])
        return args
