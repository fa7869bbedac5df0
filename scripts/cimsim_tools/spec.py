"""Sweep specs: validation and expansion into points (see docs/sweeps.md).

A spec is strict like cimsim's configs: an unknown key, a wrong type, an empty grid or a
duplicate key is an InputError naming the spec file, the JSON path, the value and what was
expected. Expansion is deterministic: list entries in order, and for each the grid's
cartesian product in key order (the last key varies fastest).
"""
import hashlib
import itertools
import json
import os
import re

from .common import (InputError, check_duplicates, describe, is_int, join_path,
                     load_json_strict)

MAX_POINTS = 100000

# Run arguments: shorthand flags of `cimsim run` (docs/configs.md) and on/off switches.
ARG_KEYS = ("mode", "prompt", "generate", "batch", "no_fast_forward", "check_timing")
# --set workload.run.X is what --X means; both spellings name the same parameter.
RUN_ALIASES = {"workload.run." + k: k for k in ("mode", "prompt", "generate", "batch")}
ARG_FLAGS = {"mode": "--mode", "prompt": "--prompt", "generate": "--generate",
             "batch": "--batch", "no_fast_forward": "--no-fast-forward",
             "check_timing": "--check-timing"}

TOP_KEYS = ("name", "description", "machines", "workload", "args", "set", "grid", "list",
            "backend", "slurm")
BACKENDS = ("local", "slurm")
SLURM_KEYS = ("partition", "time", "cpus_per_task", "mem", "account", "qos", "sbatch_args")

_SET_PATH = re.compile(r"^(machine|workload)\.[A-Za-z0-9_\-\[\]]+(\.[A-Za-z0-9_\-\[\]]+)*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")

PARAM_KEYS_TEXT = ("machine, workload, mode, prompt, generate, batch, no_fast_forward, "
                   "check_timing, or a --set path machine.PATH / workload.PATH")


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


class Spec:
    def __init__(self, path):
        self.path = path
        self.dir = os.path.dirname(os.path.abspath(path))
        self.name = None
        self.backend = None
        self.slurm = {}
        self.points = []
        self.param_columns = []

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
        if not isinstance(doc, dict):
            raise self._err("", "expected an object with machines, workload and a grid or "
                                "list, got " + describe(doc))
        for key in doc:
            if key not in TOP_KEYS:
                raise self._err(join_path("", key), "unknown key (expected one of: %s)"
                                % ", ".join(TOP_KEYS))
        name = doc.get("name")
        if name is None:
            name = os.path.splitext(os.path.basename(self.path))[0]
            if not _NAME.match(name):
                name = re.sub(r"[^A-Za-z0-9._\-]", "_", name) or "sweep"
        elif not isinstance(name, str) or not _NAME.match(name):
            raise self._err("name", "expected a name of letters, digits, '.', '_' and '-', "
                                    "got " + describe(name))
        self.name = name
        if "description" in doc and not isinstance(doc["description"], str):
            raise self._err("description", "expected a string, got " + describe(doc["description"]))

        if "backend" in doc and doc["backend"] not in BACKENDS:
            raise self._err("backend", "expected one of: %s, got %s"
                            % (", ".join(BACKENDS), describe(doc["backend"])))
        self.backend = doc.get("backend")
        self._parse_slurm(doc.get("slurm"))

        base = {}
        if "machines" in doc:
            base["machines"] = self._check_value("machines", doc["machines"], "machines")
        if "workload" in doc:
            base["workload"] = self._check_value("workload", doc["workload"], "workload")
        args = doc.get("args", {})
        if not isinstance(args, dict):
            raise self._err("args", "expected an object of run arguments (%s), got %s"
                            % (", ".join(ARG_KEYS), describe(args)))
        for key, value in args.items():
            path = join_path("args", key)
            if key not in ARG_KEYS:
                raise self._err(path, "unknown run argument (expected one of: %s; other "
                                      "settings go in \"set\")" % ", ".join(ARG_KEYS))
            base[key] = self._check_value(key, value, path)
        sets = doc.get("set", {})
        if not isinstance(sets, dict):
            raise self._err("set", "expected an object of PATH: VALUE (--set overrides), got "
                            + describe(sets))
        base_set = {}
        for key, value in sets.items():
            path = join_path("set", key)
            canon = self._param_key(key, path, allow_args=False)
            if canon in ARG_KEYS:
                if canon in base:
                    raise self._err(path, "the same parameter as args.%s; give it once" % canon)
                base[canon] = self._check_value(canon, value, path)
            else:
                base_set[canon] = self._check_value(canon, value, path)

        grid_keys, grid_values = self._parse_grid(doc.get("grid"), "grid" in doc)
        entries = self._parse_list(doc.get("list"), "list" in doc, grid_keys)

        size = 1
        for values in grid_values:
            size *= len(values)
        size *= max(1, len(entries))
        if size > MAX_POINTS:
            raise self._err("grid", "expands to %d points, more than the limit of %d; split the "
                                    "sweep" % (size, MAX_POINTS))

        combos = list(itertools.product(*grid_values)) if grid_keys else [()]
        seen = {}
        points = []
        for li, entry in enumerate(entries or [None]):
            for combo in combos:
                params = {k: (list(v) if isinstance(v, list) else v) for k, v in base.items()}
                params_set = dict(base_set)
                over = list(zip(grid_keys, combo)) + (list(entry.items()) if entry else [])
                for key, value in over:
                    if key in ARG_KEYS or key in ("machines", "workload"):
                        params[key] = value
                    else:
                        params_set[key] = value
                if params_set:
                    params["set"] = params_set
                origin = []
                if entry is not None:
                    origin.append("list[%d]" % li)
                if grid_keys:
                    origin.append("grid point " + ", ".join(
                        "%s=%s" % (k, format_value(v)) for k, v in zip(grid_keys, combo)))
                origin = " with ".join(origin) or "the spec's only point"
                if "machines" not in params:
                    raise self._err("machines", "missing: give \"machines\" (a list of machine "
                                                "presets or files), or vary \"machine\" in "
                                                "the grid or list (%s has none)" % origin)
                if "workload" not in params:
                    raise self._err("workload", "missing: give \"workload\" (a preset or file), "
                                                "or vary it in the grid or list (%s has none)"
                                    % origin)
                point = Point(len(points), self._canonical(params), origin)
                if point.id in seen:
                    raise self._err("list" if entry is not None else "grid",
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

    def _canonical(self, params):
        out = {}
        for key in ("machines", "workload") + ARG_KEYS:
            if key in params:
                out[key] = params[key]
        if params.get("set"):
            out["set"] = params["set"]
        return out

    def _parse_slurm(self, slurm):
        if slurm is None:
            return
        if not isinstance(slurm, dict):
            raise self._err("slurm", "expected an object of sbatch settings (%s), got %s"
                            % (", ".join(SLURM_KEYS), describe(slurm)))
        for key, value in slurm.items():
            path = join_path("slurm", key)
            if key not in SLURM_KEYS:
                raise self._err(path, "unknown key (expected one of: %s)" % ", ".join(SLURM_KEYS))
            if key == "cpus_per_task":
                if not is_int(value) or value < 1:
                    raise self._err(path, "expected an integer >= 1, got " + describe(value))
            elif key == "sbatch_args":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise self._err(path, "expected an array of strings (extra sbatch "
                                          "arguments), got " + describe(value))
            elif not isinstance(value, str) or not value:
                raise self._err(path, "expected a non-empty string, got " + describe(value))
        self.slurm = dict(slurm)

    def _param_key(self, key, path, allow_args=True):
        """The canonical parameter name of a grid/list/set key."""
        if key in ("machine", "machines"):
            if not allow_args:
                raise self._err(path, "machines go in \"machines\", not in \"set\"")
            return "machines"
        if key == "workload" or key in ARG_KEYS:
            if not allow_args:
                if key in ARG_KEYS:
                    return key
                raise self._err(path, "the workload goes in \"workload\", not in \"set\"")
            return key
        if key in RUN_ALIASES:
            return RUN_ALIASES[key]
        if _SET_PATH.match(key):
            return key
        if allow_args:
            raise self._err(path, "unknown parameter (expected %s)" % PARAM_KEYS_TEXT)
        raise self._err(path, "expected a --set path machine.PATH or workload.PATH, got "
                        + describe(key))

    def _check_value(self, key, value, path):
        if key == "machines":
            if isinstance(value, str) and value:
                value = [value]
            if (not isinstance(value, list) or not value
                    or not all(isinstance(v, str) and v for v in value)):
                raise self._err(path, "expected a machine preset or file, or a non-empty array "
                                      "of them (side by side), got " + describe(value))
            for i, v in enumerate(value):
                self._check_file(v, join_path(path, i) if len(value) > 1 else path)
            return list(value)
        if key == "workload":
            if not isinstance(value, str) or not value:
                raise self._err(path, "expected a workload preset or file, got " + describe(value))
            self._check_file(value, path)
            return value
        if key == "mode":
            if not isinstance(value, str) or not value:
                raise self._err(path, "expected a mode name (decoder, encoder, entp), got "
                                + describe(value))
            return value
        if key in ("prompt", "batch"):
            if not is_int(value) or value < 1:
                raise self._err(path, "expected an integer >= 1, got " + describe(value))
            return value
        if key == "generate":
            if not is_int(value) or value < 0:
                raise self._err(path, "expected an integer >= 0, got " + describe(value))
            return value
        if key in ("no_fast_forward", "check_timing"):
            if not isinstance(value, bool):
                raise self._err(path, "expected true or false, got " + describe(value))
            return value
        if value is None:
            raise self._err(path, "expected a value for --set %s (a number, string, boolean "
                                  "or array), got null" % key)
        return value

    def _check_file(self, value, path):
        if self.looks_like_file(value) and not os.path.isfile(self.resolve(value)):
            raise self._err(path, "file not found: %s (relative paths are resolved against the "
                                  "spec's directory %s)" % (describe(value), self.dir))

    @staticmethod
    def looks_like_file(value):
        return "/" in value or value.endswith(".json")

    def resolve(self, value):
        """A machine or workload as cimsim gets it: presets by name, files by absolute path."""
        if self.looks_like_file(value):
            return os.path.normpath(os.path.join(self.dir, value))
        return value

    def _parse_grid(self, grid, present):
        if not present:
            return [], []
        if not isinstance(grid, dict) or not grid:
            raise self._err("grid", "expected a non-empty object of PARAMETER: [values...], got "
                            + describe(grid))
        keys, values, canon_seen = [], [], {}
        for key, vals in grid.items():
            path = join_path("grid", key)
            canon = self._param_key(key, path)
            if canon in canon_seen:
                raise self._err(path, "the same parameter as grid.%s; give it once"
                                % canon_seen[canon])
            canon_seen[canon] = key
            if not isinstance(vals, list) or not vals:
                raise self._err(path, "expected a non-empty array of values, got "
                                + describe(vals))
            checked = []
            for i, v in enumerate(vals):
                cv = self._check_value(canon, v, join_path(path, i))
                if cv in checked:
                    raise self._err(join_path(path, i), "value %s given twice" % describe(v))
                checked.append(cv)
            keys.append(canon)
            values.append(checked)
        return keys, values

    def _parse_list(self, entries, present, grid_keys):
        if not present:
            return []
        if not isinstance(entries, list) or not entries:
            raise self._err("list", "expected a non-empty array of points (objects of "
                                    "PARAMETER: value), got " + describe(entries))
        out = []
        for i, entry in enumerate(entries):
            where = join_path("list", i)
            if not isinstance(entry, dict):
                raise self._err(where, "expected an object of PARAMETER: value, got "
                                + describe(entry))
            point = {}
            for key, value in entry.items():
                path = join_path(where, key)
                canon = self._param_key(key, path)
                if canon in point:
                    raise self._err(path, "the same parameter given twice in this point")
                if canon in grid_keys:
                    raise self._err(path, "also a grid parameter; a point takes each parameter "
                                          "from the grid or from the list, not both")
                point[canon] = self._check_value(canon, value, path)
            out.append(point)
        return out

    # ---- running -------------------------------------------------------------------------

    def cimsim_args(self, params):
        """The arguments of `cimsim run` for a point (without --out/--quiet)."""
        args = ["run"]
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
