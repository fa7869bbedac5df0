"""JSON Schema validation (python3-jsonschema) with cimsim's one-line errors.

The sweep spec has a schema of its own (configs/schema/sweep.schema.json); the machine and
workload settings a sweep varies are checked against the schemas cimsim writes
(`cimsim schema`, configs/schema/machine-<type>.schema.json and workload.schema.json), walked
the way cimsim walks them for `--set` (src/config/overrides.cpp). A schema error becomes
"PATH: expected WHAT, got VALUE": WHAT is the schema's "x-expected" text where it has one, else
said from the schema itself ("an integer >= 1", "one of: local, slurm").
"""
import json
import os
import re

from .common import InputError, describe

SCHEMA_SUFFIX = ".schema.json"
# Keys every config object takes that are no setting to list in "keys there".
_BOOK_KEYS = ("source", "sources", "extends", "$schema")


def _jsonschema():
    try:
        import jsonschema
    except ImportError:
        raise InputError("python3-jsonschema is missing: it checks sweep specs (install it with "
                         "scripts/setup.sh or apt-get install python3-jsonschema)") from None
    return jsonschema


def load_schema_dir(directory):
    """{file name: schema} of every *.schema.json in directory."""
    out = {}
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(SCHEMA_SUFFIX))
    except OSError as e:
        raise InputError("%s: cannot list the JSON Schemas: %s" % (directory, e.strerror)) from None
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                out[name] = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError) as e:
            raise InputError("%s: unreadable JSON Schema: %s" % (path, e)) from None
    return out


class Validator:
    """Validates documents against one schema of a set that may $ref each other by $id."""

    def __init__(self, schema, store):
        js = _jsonschema()
        by_id = {s["$id"]: s for s in store.values() if isinstance(s, dict) and "$id" in s}
        resolver = js.RefResolver(base_uri=schema.get("$id", ""), referrer=schema, store=by_id)
        self._v = js.Draft202012Validator(schema, resolver=resolver)

    def for_subschema(self, schema):
        """A validator of a part of this schema (a setting), resolving $refs like the whole."""
        sub = Validator.__new__(Validator)
        sub._v = self._v.evolve(schema=schema)
        return sub

    def first_error(self, instance):
        """(JSON path below the instance as a list, message) of the first problem, or None."""
        errors = list(self._v.iter_errors(instance))
        if not errors:
            return None
        return explain(min(errors, key=_order))


def _order(error):
    path = list(error.absolute_path)
    return (len(path), [(isinstance(p, int), str(p)) for p in path],
            [str(p) for p in error.schema_path])


def _type_of(value):
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _accepts_type(schema, value):
    types = schema.get("type") if isinstance(schema, dict) else None
    if types is None:
        return True
    types = [types] if isinstance(types, str) else types
    t = _type_of(value)
    return t in types or (t == "integer" and "number" in types)


def explain(error):
    """The (path, message) of a jsonschema error, looking inside anyOf/oneOf for the branch
    the value was meant for."""
    path = list(error.absolute_path)
    schema = error.schema
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches = schema[error.validator]
        meant = [i for i, b in enumerate(branches) if _accepts_type(b, error.instance)]
        if len(meant) == 1:
            inner = [e for e in error.context if e.relative_schema_path[0] == meant[0]]
            if inner:
                best = min(inner, key=_order)
                if "x-expected" not in schema or len(best.absolute_path) > len(path):
                    return explain(best)
        return path, _expected(schema, error.instance)
    if error.validator == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known and not _pattern_match(schema, k)]
        key = extra[0] if extra else "?"
        template = schema.get("x-unknown-key")
        if template:
            return path + [key], template.replace("{key}", describe(key))
        return path + [key], "unknown key (expected one of: %s)" % ", ".join(
            k for k in known if k not in _BOOK_KEYS)
    if error.validator == "uniqueItems":
        items = error.instance
        for j, v in enumerate(items):
            if any(_same(v, w) for w in items[:j]):
                return path + [j], "value %s given twice" % describe(v)
    if error.validator == "required":
        missing = [k for k in schema.get("required", []) if k not in error.instance]
        return path, "missing key%s %s" % ("s" if len(missing) > 1 else "",
                                            ", ".join(json.dumps(k) for k in missing))
    return path, _expected(schema, error.instance)


def _pattern_match(schema, key):
    return any(re.search(p, key) for p in schema.get("patternProperties", {}))


def _same(a, b):
    """JSON equality (1 == 1.0, but true != 1), as uniqueItems compares."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _expected(schema, value):
    return "expected %s, got %s" % (expectation(schema), describe(value))


def _number_text(v):
    return ("%d" % v) if float(v).is_integer() else repr(v)


def _bounds(schema):
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo = schema.get("exclusiveMinimum")
    if lo is not None and hi is not None:
        return " in [%s, %s]" % (_number_text(lo), _number_text(hi))
    parts = []
    if xlo is not None:
        parts.append("> " + _number_text(xlo))
    elif lo is not None:
        parts.append(">= " + _number_text(lo))
    if hi is not None:
        parts.append("<= " + _number_text(hi))
    return (" " + " and ".join(parts)) if parts else ""


def expectation(schema):
    """What a schema accepts, as the words after "expected" (cimsim's wording)."""
    if not isinstance(schema, dict):
        return "a value"
    if "x-expected" in schema:
        return schema["x-expected"]
    if "enum" in schema:
        return "one of: " + ", ".join(v if isinstance(v, str) else json.dumps(v)
                                      for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(expectation(b) for b in schema[key])
    types = schema.get("type")
    if isinstance(types, list):
        return " or ".join(expectation(dict(schema, type=t)) for t in types)
    if types == "integer":
        return "an integer" + _bounds(schema)
    if types == "number":
        return "a finite number" + _bounds(schema)
    if types == "boolean":
        return "true or false"
    if types == "string":
        if "pattern" in schema:
            return "a string matching %s" % schema["pattern"]
        return "a non-empty string" if schema.get("minLength", 0) > 0 else "a string"
    if types == "array":
        return "a non-empty array" if schema.get("minItems", 0) > 0 else "an array"
    if types == "object":
        return "an object"
    return "a value"


def split_setting(path):
    """"pe.other[0].count" -> [("pe", []), ("other", [0]), ("count", [])]; None if malformed."""
    out = []
    for part in path.split("."):
        key, _, rest = part.partition("[")
        indices = []
        while rest:
            index, close, rest = rest.partition("]")
            if not close or not index.isdigit() or (rest and not rest.startswith("[")):
                return None
            indices.append(int(index))
            rest = rest[1:]
        if not key:
            return None
        out.append((key, indices))
    return out


def _object_branch(schema):
    """The object alternative of a "preset name or object" schema, as cimsim unwraps it."""
    for alt in schema.get("anyOf", ()):
        if alt.get("type") == "object":
            return alt
    return schema


def setting_schema(schema, root, path):
    """(the schema of the setting root.path, None), or (None, what exists where the path
    leaves the schema: "machine.crossbar has: rows, cols, ...")."""
    node, where = schema, root
    for key, indices in split_setting(path):
        here = _object_branch(node)
        props = here.get("properties", {})
        if key in props:
            node = props[key]
        elif isinstance(here.get("additionalProperties"), dict):
            node = here["additionalProperties"]
        else:
            known = [k for k in props if k not in _BOOK_KEYS]
            return None, "%s has: %s" % (where, ", ".join(known) if known else "no settings")
        where += "." + key
        for i in indices:
            here = _object_branch(node)
            if "items" not in here:
                return None, "%s is not an array" % where
            node, where = here["items"], "%s[%d]" % (where, i)
    return node, None


def looks_like_file(value):
    """A machine or workload value that names a file, not a preset (as cimsim decides)."""
    return "/" in value or value.endswith(".json")


class ConfigSchemas:
    """The schemas cimsim writes (configs/schema under its data directory), and the machine
    type of a preset or file, to check `--set machine.PATH` / `workload.PATH` values before
    anything runs. A machine whose type cannot be read (an unknown preset: cimsim reports it
    when the point runs) is checked against every machine type."""

    def __init__(self, data_dir, store):
        self.data_dir = data_dir
        self.store = store
        self.machines = {}
        for name in sorted(store):
            if name.startswith("machine-"):
                self.machines[name[len("machine-"):-len(SCHEMA_SUFFIX)]] = (
                    Validator(store[name], store), store[name])
        if "workload.schema.json" not in store or not self.machines:
            raise InputError("%s: expected workload.schema.json and machine-<type>.schema.json "
                             "(written by `cimsim schema --out-dir configs/schema`)"
                             % os.path.join(data_dir, "configs", "schema"))
        wl = store["workload.schema.json"]
        self.workload = (Validator(wl, store), wl)
        self._types = {}
        self._checked = {}

    def _machine_file(self, ref, relative_to):
        if looks_like_file(ref):
            if relative_to and not os.path.isabs(ref):
                return os.path.join(os.path.dirname(relative_to), ref)
            return ref
        preset = os.path.join(self.data_dir, "configs", "machines", ref + ".json")
        return preset if os.path.isfile(preset) else None

    def machine_type(self, ref):
        """The "type" of a machine preset or (absolute) file, following "extends"; None if it
        cannot be read."""
        if ref not in self._types:
            found, path, seen = None, self._machine_file(ref, None), set()
            while path is not None and path not in seen and found is None:
                seen.add(path)
                try:
                    with open(path, "rb") as f:
                        doc = json.loads(f.read().decode("utf-8"))
                except (OSError, ValueError):
                    break
                if not isinstance(doc, dict):
                    break
                if isinstance(doc.get("type"), str):
                    found = doc["type"]
                elif isinstance(doc.get("extends"), str):
                    path = self._machine_file(doc["extends"], path)
                else:
                    break
            self._types[ref] = found if found in self.machines else None
        return self._types[ref]

    def check(self, key, value, machines):
        """None, or (path inside value, message) for the setting `key` ("machine.x.y" or
        "workload.x") set to value, in a run of the machines (preset names or absolute
        files); the path is None when no such setting exists. cimsim applies a machine
        setting to every machine that has it, and it is an error if none has
        (docs/configs.md): so is it here."""
        root, _, path = key.partition(".")
        if split_setting(path) is None:
            return None, ("expected a --set path of KEY or KEY[INDEX] parts joined by '.', got %s"
                          % describe(key))
        if root == "workload":
            candidates = [("workload", None)]
        else:
            types = [self.machine_type(m) for m in machines]
            if None in types:
                candidates = [(t, None) for t in self.machines]
            else:
                candidates = [(t, [m for m, mt in zip(machines, types) if mt == t])
                              for t in dict.fromkeys(types)]
        cache_key = (key, json.dumps(value, sort_keys=True),
                     tuple((t, tuple(users or ())) for t, users in candidates))
        if cache_key not in self._checked:
            self._checked[cache_key] = self._check(root, key, path, value, candidates)
        return self._checked[cache_key]

    def _check(self, root, key, path, value, candidates):
        missing, found = [], []
        for kind, users in candidates:
            validator, schema = self.workload if root == "workload" else self.machines[kind]
            leaf, known = setting_schema(schema, root, path)
            if leaf is not None:
                found.append((kind, validator, leaf))
            elif root == "workload":
                missing.append(known)
            else:
                missing.append("machine type %s%s: %s" % (kind, " (%s)" % ", ".join(
                    os.path.basename(u) for u in users) if users else "", known))
        if not found:
            return None, "no setting %s (%s)" % (key, "; ".join(missing))
        for kind, validator, leaf in found:
            problem = validator.for_subschema(leaf).first_error(value)
            if problem is not None:
                sub, message = problem
                if root == "machine":
                    message += " (%s of machine type %s)" % (key, kind)
                return sub, message
        return None
