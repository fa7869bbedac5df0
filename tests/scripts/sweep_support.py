"""Helpers shared by the sweep and plot tests: paths, running the tools with the fake cimsim,
reading the CSV and the fake's invocation log, and the values the fake's reports hold."""
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SWEEP = os.path.join(REPO, "scripts", "sweep.py")
PLOT = os.path.join(REPO, "scripts", "plot.py")
FAKE = os.path.join(HERE, "fake_cimsim.py")
PY = sys.executable

sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "scripts"))

import fake_cimsim  # noqa: E402

FAKE_VARS = ("FAKE_CIMSIM_LOG", "FAKE_CIMSIM_FAIL", "FAKE_CIMSIM_SLEEP", "CIMSIM")

MACHINES = ["a100-sxm4-80gb", "isaac"]


def four_point_spec(**extra):
    """2 prompts x 2 modes on a side-by-side pair: the sweep most tests use."""
    spec = {"name": "four", "machines": MACHINES, "workload": "gpt2-small",
            "args": {"generate": 4}, "set": {"machine.crossbar.rows": 128},
            "grid": {"prompt": [16, 64], "mode": ["decoder", "entp"]}}
    spec.update(extra)
    return spec


def write_spec(directory, doc, name="spec.json"):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        if isinstance(doc, str):
            f.write(doc)
        else:
            json.dump(doc, f, indent=1)
    return path


def env_for(log=None, fail=None, sleep=None, extra=None):
    env = {k: v for k, v in os.environ.items() if k not in FAKE_VARS}
    env["CIMSIM"] = FAKE
    if log:
        env["FAKE_CIMSIM_LOG"] = log
    if fail:
        env["FAKE_CIMSIM_FAIL"] = fail
    if sleep:
        env["FAKE_CIMSIM_SLEEP"] = sleep
    env.update(extra or {})
    return env


def run_tool(script, args, env=None, timeout=120, cwd=None):
    return subprocess.run([PY, script] + list(args), capture_output=True, text=True,
                          env=env if env is not None else env_for(), timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=cwd)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def invocations(log):
    """The params of every fake cimsim run, in the order they started."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line)["params"] for line in f if line.strip()]


def invocation_pids(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line)["pid"] for line in f if line.strip()]


def expected_metrics(machines, prompt, mode, generate=4, batch=1, sets=None):
    """{column: text} the CSV must hold for a point, from the fake's deterministic function."""
    run = {"mode": mode, "prompt": prompt, "generate": generate, "batch": batch,
           "sets": dict(sets or {}), "flags": [], "machines": machines}
    out = {}
    sections = [fake_cimsim.machine_section(m, run) for m in machines]
    for s in sections:
        t, lat = s["totals"], s["latency"]
        values = {"seconds": t["seconds"], "cycles": t["cycles"], "energy_j": t["energy_j"],
                  "flops": t["flops"], "hbm_read_bytes": t["bytes"]["hbm"]["read"],
                  "hbm_write_bytes": t["bytes"]["hbm"]["write"]}
        values.update(lat)
        for k, v in values.items():
            out["%s.%s" % (s["name"], k)] = repr(v) if isinstance(v, float) else str(v)
    base = sections[0]["totals"]
    for s in sections[1:]:
        t = s["totals"]
        bb = sum(base["bytes"]["hbm"].values())
        mb = sum(t["bytes"]["hbm"].values())
        out["%s.speedup" % s["name"]] = repr(base["seconds"] / t["seconds"])
        out["%s.energy_ratio" % s["name"]] = repr(t["energy_j"] / base["energy_j"])
        out["%s.offchip_bytes_ratio" % s["name"]] = repr(mb / bb)
    return out
