#!/usr/bin/env python3
"""Refactoring guard: SHA-256 digests of the reports of a fixed set of small runs.

This is NOT an accuracy test: the digests are the simulator's own output, recorded so that a
change meant to keep behaviour (a refactoring: moving a policy behind the registry, splitting
a file) can show that every report stayed byte-identical. A change that is meant to alter
results updates the digests in the same commit (--update) and says why.

  machine_reports.py CIMSIM --check            compare against machine_reports.sha256
  machine_reports.py CIMSIM --update           rewrite machine_reports.sha256
  machine_reports.py CIMSIM --dump DIR         write every report to DIR (for a diff)
"""
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIGESTS = os.path.join(HERE, "machine_reports.sha256")

G = ["--workload", "gpt2-small"]
# name -> cimsim run arguments. Small sizes (each run well under 10 s), every machine preset
# and every policy the presets and study configs select.
RUNS = {
    "a100-gpt2-dec": ["--machine", "a100-sxm4-80gb", *G, "--prompt", "64", "--generate", "4"],
    "a100std-gpt2-dec": ["--machine", "configs/study/a100-standard.json", *G, "--prompt", "64",
                         "--generate", "4"],
    "a100-split-dec": ["--machine", "a100-sxm4-80gb", *G, "--prompt", "64", "--generate", "3",
                       "--set", 'machine.attention={"name": "flash", "split_kv": 0}',
                       "--set", "workload.run.attention=split"],
    "a100-bert-enc": ["--machine", "a100-sxm4-80gb", "--workload", "bert-base", "--mode",
                      "encoder", "--prompt", "128"],
    "a100-40gb-bert-eager": ["--machine", "a100-sxm4-40gb", "--workload", "bert-base", "--mode",
                             "encoder", "--prompt", "128", "--set", "machine.execution=eager",
                             "--set", "machine.fusion=[]"],
    "h100-llama-dec": ["--machine", "h100-sxm5", "--workload", "llama-3-8b",
                       "--set", "workload.model.layers=2", "--set", "workload.model.vocab=4096",
                       "--prompt", "64", "--generate", "3"],
    "xeon-gpt2-dec": ["--machine", "xeon-max-9480", *G, "--prompt", "32", "--generate", "2"],
    "isaac-gpt2-dec": ["--machine", "isaac", *G, "--prompt", "64", "--generate", "4"],
    "isaacsram-gpt2-dec": ["--machine", "configs/study/isaac-sram_cim.json", *G, "--prompt",
                           "64", "--generate", "4"],
    "isaacwx-gpt2-dec": ["--machine", "configs/study/isaac-write_xbar.json", *G, "--prompt",
                         "64", "--generate", "4"],
    "isaac-kvoff-dec": ["--machine", "isaac", *G, "--prompt", "512", "--generate", "3",
                        "--set", "machine.chips=2"],
    "puma-gpt2-dec": ["--machine", "puma", *G, "--prompt", "64", "--generate", "4"],
    "sramdcim-gpt2-dec": ["--machine", "sram-dcim", *G, "--prompt", "64", "--generate", "4"],
    "isaacwx-entp": ["--machine", "configs/study/isaac-write_xbar.json", "--workload", "entp-3l",
                     "--mode", "entp", "--prompt", "32", "--generate", "4"],
    "isaacsram-entp": ["--machine", "configs/study/isaac-sram_cim.json", "--workload", "entp-3l",
                       "--mode", "entp", "--prompt", "32", "--generate", "4"],
    "isaac-split-dec": ["--machine", "isaac", *G, "--prompt", "64", "--generate", "3",
                        "--set", "workload.run.attention=split"],
    "isaacwx-split-dec": ["--machine", "configs/study/isaac-write_xbar.json", *G, "--prompt", "64",
                          "--generate", "3", "--set", "workload.run.attention=split"],
    "isaacsram-kvbuf-dec": ["--machine", "configs/study/isaac-sram_cim.json", *G, "--prompt",
                            "512", "--generate", "3", "--set", "machine.chips=2"],
    "both-entp": ["--machine", "a100-sxm4-80gb", "--machine", "isaac", "--workload", "entp-3l",
                  "--mode", "entp", "--prompt", "32", "--generate", "4"],
}


def report_of(cimsim, name, args, out_dir):
    path = os.path.join(out_dir, name + ".json")
    env = dict(os.environ, CIMSIM_DATA_DIR=ROOT, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    proc = subprocess.run([cimsim, "run", *args, "--out", path], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"machine_reports: {name}: cimsim exited {proc.returncode}: {proc.stderr.strip()}")
    with open(path, "rb") as f:
        return f.read()


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("--check", "--update", "--dump"):
        sys.exit(__doc__)
    cimsim, mode = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = sys.argv[3] if mode == "--dump" else tmp
        os.makedirs(out_dir, exist_ok=True)
        digests = {n: hashlib.sha256(report_of(cimsim, n, a, out_dir)).hexdigest()
                   for n, a in RUNS.items()}
    if mode == "--dump":
        return 0
    if mode == "--update":
        with open(DIGESTS, "w") as f:
            for n in sorted(digests):
                f.write(f"{digests[n]}  {n}\n")
        return 0
    expected = {}
    with open(DIGESTS) as f:
        for line in f:
            digest, name = line.split()
            expected[name] = digest
    changed = sorted(n for n in RUNS if expected.get(n) != digests[n])
    stale = sorted(set(expected) - set(RUNS))
    if changed or stale:
        print("machine_reports: reports differ from the recorded digests (a refactoring guard: "
              "if the change is meant to alter results, run --update and say why):")
        for n in changed:
            print(f"  {n}: {expected.get(n, '(none)')} -> {digests[n]}")
        for n in stale:
            print(f"  {n}: recorded but no longer run")
        return 1
    print(f"machine_reports: {len(RUNS)} reports identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
