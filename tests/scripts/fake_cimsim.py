#!/usr/bin/python3
"""A stand-in for `cimsim run` in the script tests: takes the same arguments, writes a report in
the documented format (docs/report-format.md) whose numbers are a deterministic function of the
arguments (machine_section() below, which the tests import to check the CSV), and can be told
to fail or to sleep:

  FAKE_CIMSIM_LOG=FILE      append one JSON line per invocation ({"params": ...})
  FAKE_CIMSIM_FAIL=CONDS    exit 2 with "cimsim: error: ..." when a condition matches
  FAKE_CIMSIM_SLEEP=SPEC    sleep before writing the report

CONDS is `key=value` conditions separated by ';' (any may match); keys: mode, prompt, generate,
batch, workload, machine (any of the machines), or a --set path. SPEC is `SECONDS` or
`key=value:SECONDS` entries separated by ';' (the first that matches wins; a bare SECONDS
matches everything).
"""
import json
import os
import sys
import time
import zlib

DEFAULTS = {"mode": "decoder", "prompt": 64, "generate": 8, "batch": 1}
MODE_FACTOR = {"decoder": 1, "encoder": 1, "entp": 3}


def die(message, code=2):
    sys.stderr.write("cimsim: error: %s\n" % message)
    sys.exit(code)


def parse(argv):
    if not argv or argv[0] != "run":
        die("fake cimsim only knows `run`")
    opts = {"machines": [], "sets": [], "out": None, "quiet": False, "flags": []}
    i = 1
    takes = {"--machine": "machine", "-m": "machine", "--workload": "workload", "-w": "workload",
             "--mode": "mode", "--prompt": "prompt", "--generate": "generate",
             "--batch": "batch", "--set": "set", "--out": "out", "-o": "out"}
    while i < len(argv):
        a = argv[i]
        if a in ("--quiet", "-q"):
            opts["quiet"] = True
        elif a in ("--no-fast-forward", "--check-timing"):
            opts["flags"].append(a)
        elif a in takes:
            if i + 1 >= len(argv):
                die("the required argument for option '%s' is missing" % a)
            key, value = takes[a], argv[i + 1]
            if key == "machine":
                opts["machines"].append(value)
            elif key == "set":
                opts["sets"].append(value)
            else:
                opts[key] = value
            i += 1
        else:
            die("unrecognised option '%s' (see cimsim run --help)" % a)
        i += 1
    return opts


def json_or_string(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def stem(value):
    base = os.path.basename(value)
    return base[:-5] if base.endswith(".json") else base


def run_params(opts):
    """The effective run: defaults, then flags; --set workload.run.X works like --X."""
    run = dict(DEFAULTS)
    sets = {}
    for text in opts["sets"]:
        if "=" not in text:
            die("--set %s: expected PATH=VALUE" % text)
        path, value = text.split("=", 1)
        if not (path.startswith("machine.") or path.startswith("workload.")):
            die("--set %s: the path must start with machine. or workload." % text)
        sets[path] = json_or_string(value)
    for key in ("mode", "prompt", "generate", "batch"):
        if "workload.run." + key in sets:
            run[key] = sets.pop("workload.run." + key)
        if opts.get(key) is not None:
            run[key] = json_or_string(opts[key]) if key != "mode" else opts[key]
    for key in ("prompt", "generate", "batch"):
        if not isinstance(run[key], int) or run[key] < (0 if key == "generate" else 1):
            die("workload.run.%s: expected an integer, got %s" % (key, json.dumps(run[key])))
    if run["mode"] not in MODE_FACTOR:
        die("workload.run.mode: expected one of: decoder, encoder, entp, got \"%s\"" % run["mode"])
    run["workload"] = stem(opts.get("workload") or "gpt2-small")
    run["machines"] = [stem(m) for m in (opts["machines"] or ["a100-sxm4-80gb", "isaac"])]
    run["sets"] = sets
    run["flags"] = opts["flags"]
    return run


def machine_type(name):
    return "von_neumann" if any(t in name for t in ("a100", "h100", "gpu", "vn")) else "cim"


def knob(sets):
    return sum(v for v in sets.values() if isinstance(v, (int, float)) and not isinstance(v, bool))


def machine_section(name, run):
    """The deterministic part of a machine's report: what the tests check."""
    seed = zlib.crc32(name.encode()) % 89 + 11
    tokens = run["prompt"] + run["generate"]
    work = tokens * run["batch"] * MODE_FACTOR[run["mode"]]
    cycles = work * seed * 1000 + int(knob(run["sets"])) * 7 + (5 if run["flags"] else 0)
    clock_ghz = 1.0 + 0.25 * (seed % 4)
    seconds = cycles / (clock_ghz * 1e9)
    energy_j = cycles * (seed % 5 + 1) * 1e-9
    flops = 2 * work * 1000000
    hbm_read = work * 4096 * (seed % 3 + 1)
    hbm_write = work * 512
    ttft = seconds * run["prompt"] / tokens
    latency = {"time_to_first_token_s": ttft}
    if run["generate"] > 0:
        latency["time_per_output_token_s"] = (seconds - ttft) / run["generate"]
    latency["tokens_per_s"] = (run["generate"] + 1) / seconds
    totals = {"cycles": cycles, "seconds": seconds, "energy_j": energy_j,
              "dynamic_energy_j": energy_j * 0.75, "static_energy_j": energy_j * 0.25,
              "flops": flops, "ops": 6, "fast_forwarded_ops": 0,
              "bytes": {"hbm": {"read": hbm_read, "write": hbm_write},
                        "onchip": {"read": hbm_read * 4, "write": hbm_write * 2}}}
    return {"name": name, "type": machine_type(name), "clock_ghz": clock_ghz,
            "totals": totals, "latency": latency}


OPS = (("L0.attn.qkv", "matmul", 0.30, 0.10), ("L0.attn.score", "attention", 0.10, 0.30),
       ("L0.attn.softmax", "softmax", 0.01, 0.15), ("L0.mlp.up", "matmul", 0.28, 0.15),
       ("L0.mlp.down", "matmul", 0.30, 0.15), ("L0.norm", "norm", 0.01, 0.15))


def full_section(name, run):
    m = machine_section(name, run)
    t = m["totals"]
    vn = m["type"] == "von_neumann"
    comps = (("sm", 0.5), ("l2", 0.2), ("hbm", 0.3)) if vn else \
        (("xbar", 0.35), ("adc", 0.4), ("noc", 0.1), ("hbm", 0.15))
    components = []
    for cname, share in comps:
        e = t["energy_j"] * share
        components.append({"name": cname, "energy_j": e, "dynamic_energy_j": e * 0.75,
                           "static_energy_j": e * 0.25, "static_power_w": 1.0, "instances": 1,
                           "actions": {"access": {"count": 10, "energy_pj_each": 1.0,
                                                  "energy_j": e * 0.75}}})
    ops = []
    busy_total = t["seconds"] * 0.9
    for oname, kind, fshare, bshare in OPS:
        reads = int(t["bytes"]["hbm"]["read"] * bshare)
        writes = int(t["bytes"]["hbm"]["write"] * bshare)
        ops.append({"name": oname, "kind": kind, "layer": 0, "phase_kind": "prefill", "count": 1,
                    "busy_cycles": int(t["cycles"] * bshare), "busy_seconds": busy_total * bshare,
                    "dynamic_energy_j": t["energy_j"] * bshare * 0.75,
                    "flops": int(t["flops"] * fshare),
                    "bytes": {"hbm": {"read": reads, "write": writes},
                              "onchip": {"read": reads * 4, "write": writes * 2}}})
    metrics = {}
    if vn:
        best_flops = max(o["flops"] / o["busy_seconds"] for o in ops)
        best_bw = max(sum(o["bytes"]["hbm"].values()) / o["busy_seconds"] for o in ops)
        metrics = {"peak_flops": best_flops * 2.0, "peak_hbm_bytes_per_s": best_bw * 1.5,
                   "utilisation": 0.5}
    phases = [{"phase": "prefill", "kind": "prefill", "step": 0, "count": 6, "start_s": 0.0,
               "cycles": t["cycles"], "seconds": t["seconds"], "energy_j": t["energy_j"],
               "dynamic_energy_j": t["dynamic_energy_j"], "flops": t["flops"],
               "bytes": t["bytes"]}]
    m.update({"links": [{"name": "hbm", "description": "HBM <-> on-chip"},
                        {"name": "onchip", "description": "on-chip buffers"}],
              "components": components, "phases": phases, "layers": [], "op_kinds": [],
              "ops": ops, "setup": [], "metrics": metrics, "config": {"name": name}})
    return m


def report(run):
    machines = [full_section(n, run) for n in run["machines"]]
    comparison = []
    base = machines[0]
    for m in machines[1:]:
        bb = sum(base["totals"]["bytes"]["hbm"].values())
        mb = sum(m["totals"]["bytes"]["hbm"].values())
        comparison.append({"baseline": base["name"], "machine": m["name"],
                           "speedup": base["totals"]["seconds"] / m["totals"]["seconds"],
                           "energy_ratio": m["totals"]["energy_j"] / base["totals"]["energy_j"],
                           "offchip_bytes_ratio": mb / bb})
    return {"schema_version": 1, "generator": "cimsim (fake for tests)",
            "workload": {"name": run["workload"], "run": {k: run[k] for k in DEFAULTS}},
            "trace": {"format_version": 3, "model": run["workload"], "mode": run["mode"],
                      "batch": run["batch"], "prompt": run["prompt"],
                      "generate": run["generate"], "ops": 6},
            "machines": machines, "comparison": comparison}


def matches(cond, run):
    if "=" not in cond:
        return False
    key, value = cond.split("=", 1)
    if key == "machine":
        return value in run["machines"]
    if key in run and key != "sets":
        return str(run[key]) == value
    if key in run["sets"]:
        v = run["sets"][key]
        return (json.dumps(v) if not isinstance(v, str) else v) == value
    return False


def main(argv):
    opts = parse(argv)
    run = run_params(opts)
    log = os.environ.get("FAKE_CIMSIM_LOG")
    if log:
        line = json.dumps({"pid": os.getpid(), "params": run}, sort_keys=True) + "\n"
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    for entry in filter(None, os.environ.get("FAKE_CIMSIM_SLEEP", "").split(";")):
        cond, _, secs = entry.rpartition(":")
        if not cond or matches(cond, run):
            time.sleep(float(secs))
            break
    for cond in filter(None, os.environ.get("FAKE_CIMSIM_FAIL", "").split(";")):
        if matches(cond, run):
            die("injected failure for %s" % cond)
    doc = report(run)
    if opts["out"]:
        tmp = "%s.tmp.%d" % (opts["out"], os.getpid())
        with open(tmp, "w") as f:
            f.write(json.dumps(doc, indent=1) + "\n")
        os.replace(tmp, opts["out"])
    if not opts["quiet"]:
        for m in doc["machines"]:
            print("%s: %.3g s" % (m["name"], m["totals"]["seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
