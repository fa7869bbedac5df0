#!/usr/bin/env python3
"""Runs every speed benchmark of cimsim and prints the results as markdown.

    bench/run_all.py [--build DIR] [--repeats N] [--only GROUP ...] [--out bench/RESULTS.md]

Groups (the speed targets of the issues they come from):
  memtrace  HBM controller: 1M-request streaming and random traces on hbm2, hbm2e and hbm3,
            timing checker off; target >= 5 M requests per second of wall time.
  vn        von Neumann machine on a100-sxm4-80gb: GPT-2 small 1024 + 128 (<= 10 s),
            Llama-2-7B 2048 + 128 (<= 60 s, <= 1 GiB), ENTP GPT-2 small with 256 generated
            tokens (<= 30 s).
  node      von Neumann node: Llama-2-70B 128 + 128 on 8x-a100-sxm4-80gb with tensor
            parallelism 8 (<= 60 s on one core; docs/parallelism.md).
  cim       CIM fabric on isaac (chips auto): GPT-2 small 1024 + 128 (<= 10 s), Llama-2-7B
            2048 + 32 (<= 60 s), ENTP GPT-2 small with 256 generated tokens (<= 30 s).
  serve     cimsim serve: 1,000 chat-like requests (Poisson at 4/s, log-normal prompts of mean
            ~512 and outputs of mean ~128 tokens) on Llama-2-7B, continuous batching,
            a100-sxm4-80gb (<= 300 s; bench/serve_llama7b.sh runs the same by hand).
  scaling   how wall time grows with the workload: generated tokens doubled, on both machines,
            decoder and ENTP; the ratio to the previous row should be about 2 and not worse.

Each run is timed as a child process (wall time, user + system CPU time and peak RSS from
wait4); the best of --repeats runs is reported. Wall time on a loaded machine exceeds the
CPU time; on an idle core the two agree, which is why both are printed. Not a test: nothing
here fails on a missed target, the table says "met" or "MISSED".
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (group, name, target wall seconds, target peak RSS MiB or None, cimsim run arguments)
OVERFLOW = ["--set", "workload.run.allow_context_overflow=true"]
RUNS = [
    ("vn", "GPT-2 small decoder 1024 + 128, a100-sxm4-80gb", 10, None,
     ["--machine", "a100-sxm4-80gb", "--workload", "gpt2-small", "--prompt", "1024",
      "--generate", "128"] + OVERFLOW),
    ("vn", "Llama-2-7B decoder 2048 + 128, a100-sxm4-80gb", 60, 1024,
     ["--machine", "a100-sxm4-80gb", "--workload", "llama-2-7b", "--prompt", "2048",
      "--generate", "128"]),
    ("vn", "GPT-2 small ENTP, 256 generated, a100-sxm4-80gb", 30, None,
     ["--machine", "a100-sxm4-80gb", "--workload", "gpt2-small", "--mode", "entp",
      "--prompt", "1", "--generate", "256"]),
    ("node", "Llama-2-70B decoder 128 + 128, 8x-a100-sxm4-80gb (tensor parallel 8)", 60, None,
     ["--machine", "8x-a100-sxm4-80gb", "--workload", "llama-2-70b", "--prompt", "128",
      "--generate", "128"]),
    ("cim", "GPT-2 small decoder 1024 + 128, isaac", 10, None,
     ["--machine", "isaac", "--workload", "gpt2-small", "--prompt", "1024",
      "--generate", "128"] + OVERFLOW),
    ("cim", "Llama-2-7B decoder 2048 + 32, isaac", 60, None,
     ["--machine", "isaac", "--workload", "llama-2-7b", "--prompt", "2048", "--generate", "32"]),
    ("cim", "GPT-2 small ENTP, 256 generated, isaac", 30, None,
     ["--machine", "isaac", "--workload", "gpt2-small", "--mode", "entp", "--generate", "256"]),
]

# serve: the request generator of bench/serve_llama7b.sh
SERVE_GENERATOR = ('{"count": 1000, "rate_per_s": 4, "seed": 1, "prompt": {"distribution": '
                   '"lognormal", "median": 310, "sigma": 1.0, "min": 4, "max": 3072}, "output": '
                   '{"distribution": "lognormal", "median": 78, "sigma": 1.0, "min": 2, '
                   '"max": 1024}}')
RUNS.append(("serve", "Llama-2-7B, 1,000 chat requests, continuous batching, a100-sxm4-80gb",
             300, None, ["--machine", "a100-sxm4-80gb", "--workload", "llama-2-7b",
                         "--scheduler", "continuous", "--generate", SERVE_GENERATOR]))

# memtrace: (preset, capacity bytes, burst bytes) as in bench/gen_memtrace.py's defaults
MEMTRACE = [("hbm2", 8 << 30, 64), ("hbm2e", 80 << 30, 32), ("hbm3", 80 << 30, 32)]
MEMTRACE_REQUESTS = 1_000_000
MEMTRACE_TARGET = 5e6

# scaling: generated tokens doubled at a fixed prompt
SCALING_MACHINES = ["a100-sxm4-80gb", "isaac"]
SCALING_MODES = [("decoder", 128, [64, 128, 256, 512]), ("entp", 64, [32, 64, 128, 256])]


def measure(cmd, repeats):
    """Best (lowest wall) of `repeats` runs: (wall s, cpu s, peak RSS MiB)."""
    best = None
    for _ in range(repeats):
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed with exit code {code}: {err.strip()}")
        row = (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
        if best is None or row[0] < best[0]:
            best = row
    return best


def machine_lines(build):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists(
        "/proc/loadavg") else "?"
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    cache = {}
    path = os.path.join(build, "CMakeCache.txt")
    if os.path.exists(path):
        for line in open(path):
            key, _, value = line.partition("=")
            cache[key.split(":")[0]] = value.strip()
    cxx = f"{cache.get('CMAKE_CXX_COMPILER', '?')} ({cache.get('CMAKE_BUILD_TYPE', '?')} build)"
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- compiler: {cxx}; load average at start: {load}",
    ]


def verdict(value, target, higher_is_better=False):
    if target is None:
        return ""
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "MISSED"


def bench_memtrace(cimsim, repeats, work):
    out = ["## HBM controller (`cimsim memtrace`, timing checker off)", "",
           f"{MEMTRACE_REQUESTS:,} requests per trace, one per memory cycle "
           "(`bench/gen_memtrace.py`); target >= 5 M requests/s of wall time.", "",
           "| preset | trace | wall s | CPU s | req/s (wall) | req/s (CPU) | target |",
           "|---|---|---|---|---|---|---|"]
    # All six traces first, then the repeats round-robin over the cases: the host's speed
    # drifts over minutes, and a slow spell should not fall on every run of one case.
    cases = []
    for preset, capacity, burst in MEMTRACE:
        for pattern in ("stream", "random"):
            trace = os.path.join(work, f"{preset}-{pattern}.trc")
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_memtrace.py"),
                            "--pattern", pattern, "--requests", str(MEMTRACE_REQUESTS),
                            "--capacity", str(capacity), "--burst", str(burst), "--out", trace],
                           check=True)
            cases.append((preset, pattern, trace))
    best = {}
    for _ in range(repeats):
        for preset, pattern, trace in cases:
            row = measure([cimsim, "memtrace", "--memory", preset, "--trace", trace, "--quiet"], 1)
            if (preset, pattern) not in best or row[0] < best[(preset, pattern)][0]:
                best[(preset, pattern)] = row
    for preset, pattern, trace in cases:
        wall, cpu, _ = best[(preset, pattern)]
        rate_w, rate_c = MEMTRACE_REQUESTS / wall, MEMTRACE_REQUESTS / cpu
        out.append(f"| {preset} | {pattern} | {wall:.3f} | {cpu:.3f} | {rate_w / 1e6:.2f} M "
                   f"| {rate_c / 1e6:.2f} M | {verdict(rate_w, MEMTRACE_TARGET, True)} |")
        os.remove(trace)
    return out + [""]


def bench_runs(cimsim, repeats, group, title, work):
    out = [f"## {title}", "", "| run | wall s | CPU s | peak RSS MiB | target | |",
           "|---|---|---|---|---|---|"]
    for g, name, target_s, target_mib, args in RUNS:
        if g != group:
            continue
        command = "serve" if group == "serve" else "run"
        wall, cpu, rss = measure([cimsim, command, "--quiet", "--out",
                                  os.path.join(work, "report.json")] + args, repeats)
        target = f"<= {target_s} s" + (f", <= {target_mib} MiB" if target_mib else "")
        ok = verdict(wall, target_s)
        if target_mib and rss > target_mib:
            ok = "MISSED"
        out.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {target} | {ok} |")
    return out + [""]


def bench_scaling(cimsim, repeats, work):
    out = ["## Scaling: generated tokens doubled", "",
           "GPT-2 small; each row doubles the generated tokens of the row above at the same "
           "prompt. The last column is the CPU-time ratio to the row above (about 2 means "
           "linear; the fixed set-up cost makes the first ratios smaller).", "",
           "| machine | mode | prompt | generated | wall s | CPU s | ratio |",
           "|---|---|---|---|---|---|---|"]
    for machine in SCALING_MACHINES:
        for mode, prompt, generated in SCALING_MODES:
            prev = None
            for g in generated:
                wall, cpu, _ = measure([cimsim, "run", "--quiet", "--out",
                                        os.path.join(work, "report.json"), "--machine", machine,
                                        "--workload", "gpt2-small", "--mode", mode, "--prompt",
                                        str(prompt), "--generate", str(g)] + OVERFLOW, repeats)
                ratio = f"{cpu / prev:.2f}" if prev else ""
                out.append(f"| {machine} | {mode} | {prompt} | {g} | {wall:.2f} | {cpu:.2f} "
                           f"| {ratio} |")
                prev = cpu
    return out + [""]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory")
    p.add_argument("--repeats", type=int, default=3, help="runs per case (best is reported)")
    p.add_argument("--only", nargs="+", choices=["memtrace", "vn", "node", "cim", "serve", "scaling"],
                   help="run only these groups")
    p.add_argument("--out", help="also write the markdown to this file (e.g. bench/RESULTS.md)")
    a = p.parse_args()
    if a.repeats < 1:
        print(f"bench: --repeats: expected an integer >= 1, got {a.repeats}", file=sys.stderr)
        return 2
    cimsim = os.path.join(a.build, "cimsim")
    if not os.access(cimsim, os.X_OK):
        print(f"bench: {cimsim}: no cimsim binary (build first: scripts/setup.sh)",
              file=sys.stderr)
        return 2
    os.environ["CIMSIM_DATA_DIR"] = ROOT
    groups = a.only or ["memtrace", "vn", "node", "cim", "serve", "scaling"]
    lines = ["# Benchmark results", "", "Produced by `bench/run_all.py` "
             f"(best of {a.repeats} runs per case).", ""] + machine_lines(a.build) + [""]
    work = tempfile.mkdtemp(prefix="cimsim-bench-")
    try:
        for g in groups:
            if g == "memtrace":
                lines += bench_memtrace(cimsim, a.repeats, work)
            elif g == "vn":
                lines += bench_runs(cimsim, a.repeats, "vn", "von Neumann machine", work)
            elif g == "node":
                lines += bench_runs(cimsim, a.repeats, "node", "von Neumann node", work)
            elif g == "cim":
                lines += bench_runs(cimsim, a.repeats, "cim", "CIM fabric", work)
            elif g == "serve":
                lines += bench_runs(cimsim, a.repeats, "serve", "Serving (cimsim serve)", work)
            else:
                lines += bench_scaling(cimsim, a.repeats, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
