#!/usr/bin/python3
"""Checks every shipped preset: it loads and validates in cimsim, it validates against the
published JSON Schema with an independent validator (python3-jsonschema), the published
schemas are up to date, and every number in it is covered by a cited source.

usage: check_presets.py CIMSIM_BINARY REPO_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

# Every number a preset gives must be covered by a "source" in its object or an enclosing
# one, or by "sources": {key: ...} in its object.
def uncited_numbers(node, path, cited):
    problems = []
    if isinstance(node, dict):
        here = cited or isinstance(node.get("source"), str)
        per_key = node.get("sources", {}) if isinstance(node.get("sources"), dict) else {}
        for key, value in node.items():
            if key in ("source", "sources"):
                continue
            covered = here or key in per_key
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not covered:
                    problems.append(f"{path}.{key}")
            else:
                problems += uncited_numbers(value, f"{path}.{key}", covered)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not cited:
                    problems.append(f"{path}[{i}]")
            else:
                problems += uncited_numbers(value, f"{path}[{i}]", cited)
    return problems


def run(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout, result.stderr


def main():
    binary, root = sys.argv[1], sys.argv[2]
    env_root = {"CIMSIM_DATA_DIR": root}
    os.environ.update(env_root)
    failures = []

    # 1. Published schemas are what the code generates.
    with tempfile.TemporaryDirectory() as tmp:
        code, _, err = run(binary, "schema", "--out-dir", tmp)
        if code != 0:
            print(f"cimsim schema failed: {err}")
            return 1
        generated = sorted(os.listdir(tmp))
        published_dir = os.path.join(root, "configs", "schema")
        # sweep*.schema.json are the sweep tool's own schemas, written by hand.
        published = sorted(f for f in os.listdir(published_dir) if not f.startswith("sweep")) \
            if os.path.isdir(published_dir) else []
        if generated != published:
            failures.append(f"configs/schema has {published}, cimsim generates {generated} "
                            "(run: build/cimsim schema --out-dir configs/schema)")
        for name in generated:
            with open(os.path.join(tmp, name)) as a:
                fresh = json.load(a)
            path = os.path.join(published_dir, name)
            if os.path.exists(path):
                with open(path) as b:
                    if json.load(b) != fresh:
                        failures.append(f"configs/schema/{name} is out of date "
                                        "(run: build/cimsim schema --out-dir configs/schema)")
        schemas = {}
        for name in generated:
            with open(os.path.join(tmp, name)) as f:
                schemas[name[: -len(".schema.json")]] = json.load(f)

    kinds = [("machine", "configs/machines"), ("workload", "workloads"), ("memory", "configs/memory")]
    counts = {}
    for kind, directory in kinds:
        folder = os.path.join(root, directory)
        names = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json")) if os.path.isdir(folder) else []
        counts[kind] = len(names)
        for name in names:
            with open(os.path.join(folder, name + ".json")) as f:
                raw = json.load(f)
            for p in uncited_numbers(raw, kind, False):
                failures.append(f"{directory}/{name}.json: {p}: number without a source")
            code, out, err = run(binary, "config", f"--{kind}", name)
            if code != 0:
                failures.append(f"{directory}/{name}.json does not load: {err.strip()}")
                continue
            resolved = json.loads(out)
            schema_name = f"machine-{resolved.get('type')}" if kind == "machine" else kind
            if schema_name not in schemas:
                failures.append(f"{directory}/{name}.json: no schema {schema_name}")
                continue
            try:
                jsonschema.validate(resolved, schemas[schema_name])
            except jsonschema.ValidationError as e:
                failures.append(f"{directory}/{name}.json: schema {schema_name}: "
                                f"{'.'.join(str(x) for x in e.absolute_path)}: {e.message}")
    for f in failures:
        print("FAIL", f)
    print(f"checked {counts} presets, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
