#!/usr/bin/python3
"""scripts/sweep.py on the local backend, driven with the fake cimsim (fake_cimsim.py):
the CSV's rows and numbers, restart after SIGKILL, failing points, determinism across -j,
spec errors, dry runs, locking, timeouts and SIGTERM. With CIMSIM_REAL set (ctest sets it to
build/cimsim) one point also runs through the real binary, to prove the tool and the CLI agree
on arguments."""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from sweep_support import (FAKE, MACHINES, PY, REPO, SWEEP, env_for, expected_metrics,
                           four_point_spec, invocation_pids, invocations, read_csv, run_tool,
                           write_spec)

from cimsim_tools import spec as spec_mod


class SweepTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cimsim-sweep-test-")
        self.log = os.path.join(self.tmp, "invocations.jsonl")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sweep(self, spec_path, *args, fail=None, sleep=None, timeout=120):
        return run_tool(SWEEP, [spec_path] + list(args),
                        env_for(self.log, fail=fail, sleep=sleep), timeout=timeout)

    def assertExit(self, res, code):
        self.assertEqual(res.returncode, code,
                         "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
                         % (res.returncode, code, res.stdout, res.stderr))


class LocalSweep(SweepTestCase):
    def test_four_points_give_the_right_csv_rows(self):
        spec = write_spec(self.tmp, four_point_spec())
        out = os.path.join(self.tmp, "out")
        res = self.sweep(spec, "-o", out, "-j", "2")
        self.assertExit(res, 0)
        self.assertIn("4 points: 4 ok, 0 failed, 0 pending", res.stdout)
        header, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(header[:9], ["point", "status", "exit_code", "machines", "workload",
                                      "mode", "prompt", "generate", "machine.crossbar.rows"])
        self.assertEqual(header[9], "baseline")
        self.assertEqual(header[-1], "error")
        for m in MACHINES:
            for metric in ("seconds", "cycles", "energy_j", "flops", "hbm_read_bytes",
                           "hbm_write_bytes", "time_to_first_token_s",
                           "time_per_output_token_s"):
                self.assertIn("%s.%s" % (m, metric), header)
        self.assertIn("isaac.speedup", header)
        self.assertIn("isaac.energy_ratio", header)
        self.assertNotIn("a100-sxm4-80gb.speedup", header)
        # Spec order: grid keys in order, the last varying fastest.
        self.assertEqual([(r["prompt"], r["mode"]) for r in rows],
                         [("16", "decoder"), ("16", "entp"), ("64", "decoder"), ("64", "entp")])
        for r in rows:
            self.assertEqual(r["status"], "ok")
            self.assertEqual(r["exit_code"], "0")
            self.assertEqual(r["error"], "")
            self.assertEqual(r["machines"], "a100-sxm4-80gb+isaac")
            self.assertEqual(r["workload"], "gpt2-small")
            self.assertEqual(r["generate"], "4")
            self.assertEqual(r["machine.crossbar.rows"], "128")
            self.assertEqual(r["baseline"], "a100-sxm4-80gb")
            self.assertRegex(r["point"], r"^[0-9a-f]{12}$")
            want = expected_metrics(MACHINES, int(r["prompt"]), r["mode"],
                                    sets={"machine.crossbar.rows": 128})
            for column, value in want.items():
                self.assertEqual(r[column], value, "%s of point %s" % (column, r["point"]))
            d = os.path.join(out, "points", r["point"])
            for name in ("report.json", "log.txt", "point.json"):
                self.assertTrue(os.path.isfile(os.path.join(d, name)), name)
            self.assertFalse(os.path.exists(os.path.join(d, "failed.json")))
            with open(os.path.join(d, "point.json")) as f:
                info = json.load(f)
            self.assertIn("--prompt %s" % r["prompt"], info["command"])
            self.assertIn("--set machine.crossbar.rows=128", info["command"])
        self.assertEqual(len({r["point"] for r in rows}), 4)
        self.assertEqual(len(invocations(self.log)), 4)

        # The same command again: nothing runs, the CSV is the same.
        with open(os.path.join(out, "results.csv"), "rb") as f:
            first = f.read()
        res = self.sweep(spec, "-o", out, "-j", "2")
        self.assertExit(res, 0)
        self.assertIn("4 already finished, 0 to run", res.stdout)
        self.assertEqual(len(invocations(self.log)), 4)
        with open(os.path.join(out, "results.csv"), "rb") as f:
            self.assertEqual(f.read(), first)

    def test_point_ids_are_stable_and_independent_of_spec_layout(self):
        a = write_spec(self.tmp, four_point_spec(), "a.json")
        # The same points written differently: fixed values in set, a list instead of a grid.
        b_doc = {"machines": MACHINES, "workload": "gpt2-small",
                 "set": {"workload.run.generate": 4, "machine.crossbar.rows": 128},
                 "list": [{"mode": m, "prompt": p} for p in (16, 64)
                          for m in ("decoder", "entp")]}
        b = write_spec(self.tmp, b_doc, "b.json")
        ids_a = [p.id for p in spec_mod.Spec.load(a).points]
        ids_b = [p.id for p in spec_mod.Spec.load(b).points]
        self.assertEqual(ids_a, ids_b)
        self.assertEqual(ids_a, [p.id for p in spec_mod.Spec.load(a).points])

    def test_sigkill_midway_then_rerun_redoes_no_finished_point(self):
        doc = {"name": "kill", "machines": ["isaac"], "workload": "gpt2-small",
               "grid": {"prompt": [8, 16, 32, 64]}}
        spec = write_spec(self.tmp, doc)
        out = os.path.join(self.tmp, "out")
        env = env_for(self.log, sleep="prompt=32:60;prompt=64:60")
        proc = subprocess.Popen([PY, SWEEP, spec, "-o", out, "-j", "2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                started = [p["prompt"] for p in invocations(self.log)]
                if sorted(started) == [8, 16, 32, 64]:
                    break
                time.sleep(0.05)
            self.assertEqual(sorted(started), [8, 16, 32, 64],
                             "the sweep did not start all four points in time")
            time.sleep(0.3)  # let the slow points get well into their sleep
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        specs = spec_mod.Spec.load(spec).points
        by_prompt = {p.params["prompt"]: p.id for p in specs}
        for prompt, done in ((8, True), (16, True), (32, False), (64, False)):
            report = os.path.join(out, "points", by_prompt[prompt], "report.json")
            self.assertEqual(os.path.exists(report), done, "prompt %d" % prompt)

        res = self.sweep(spec, "-o", out, "-j", "2")
        self.assertExit(res, 0)
        self.assertIn("2 already finished, 2 to run", res.stdout)
        counts = {}
        for p in invocations(self.log):
            counts[p["prompt"]] = counts.get(p["prompt"], 0) + 1
        self.assertEqual(counts, {8: 1, 16: 1, 32: 2, 64: 2})
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["ok"] * 4)
        for r in rows:
            want = expected_metrics(["isaac"], int(r["prompt"]), "decoder", generate=8)
            self.assertEqual(r["isaac.seconds"], want["isaac.seconds"])
        leftovers = [f for d, _, fs in os.walk(out) for f in fs if ".tmp" in f]
        self.assertEqual(leftovers, [])

    def test_failing_point_is_recorded_and_the_rest_finish(self):
        spec = write_spec(self.tmp, four_point_spec())
        out = os.path.join(self.tmp, "out")
        res = self.sweep(spec, "-o", out, "-j", "2", fail="mode=entp;prompt=999")
        self.assertExit(res, 1)
        self.assertIn("2 ok, 2 failed", res.stdout)
        self.assertIn("injected failure for mode=entp", res.stdout)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        for r in rows:
            if r["mode"] == "entp":
                self.assertEqual(r["status"], "failed")
                self.assertEqual(r["exit_code"], "2")
                self.assertEqual(r["error"], "cimsim: error: injected failure for mode=entp")
                self.assertEqual(r["isaac.seconds"], "")
            else:
                self.assertEqual(r["status"], "ok")
                want = expected_metrics(MACHINES, int(r["prompt"]), "decoder",
                                        sets={"machine.crossbar.rows": 128})
                self.assertEqual(r["isaac.energy_j"], want["isaac.energy_j"])
        self.assertEqual(len(invocations(self.log)), 4)
        # Failed points are retried on the next run; finished ones are not.
        res = self.sweep(spec, "-o", out, "-j", "2")
        self.assertExit(res, 0)
        self.assertEqual(len(invocations(self.log)), 6)
        self.assertEqual([p["mode"] for p in invocations(self.log)[4:]], ["entp", "entp"])
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["ok"] * 4)
        self.assertEqual([r["error"] for r in rows], [""] * 4)

    def test_j1_and_j2_give_byte_identical_csv(self):
        spec = write_spec(self.tmp, four_point_spec(
            list=[{"batch": 1}, {"batch": 2, "machine.crossbar.cols": 64}]))
        csvs = []
        for j in ("1", "2"):
            out = os.path.join(self.tmp, "out-j" + j)
            res = self.sweep(spec, "-o", out, "-j", j)
            self.assertExit(res, 0)
            with open(os.path.join(out, "results.csv"), "rb") as f:
                csvs.append(f.read())
        self.assertEqual(csvs[0], csvs[1])
        self.assertEqual(csvs[0].count(b"\n"), 9)  # header + 2 list entries x 4 grid points

    def test_point_timeout_and_missing_binary(self):
        doc = {"machines": ["isaac"], "workload": "gpt2-small", "grid": {"prompt": [8, 16]}}
        spec = write_spec(self.tmp, doc)
        out = os.path.join(self.tmp, "out")
        res = self.sweep(spec, "-o", out, "--point-timeout", "4", sleep="prompt=16:30",
                         timeout=60)
        self.assertExit(res, 1)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(rows[0]["status"], "ok")
        self.assertEqual(rows[1]["status"], "failed")
        self.assertIn("timed out after", rows[1]["error"])

        out2 = os.path.join(self.tmp, "out2")
        res = run_tool(SWEEP, [spec, "-o", out2, "--cimsim", os.path.join(self.tmp, "nope")],
                       env_for(self.log))
        self.assertExit(res, 2)
        self.assertIn("cimsim binary not found", res.stderr)
        self.assertFalse(os.path.exists(out2))

    def test_dry_run_lists_points_and_writes_nothing(self):
        spec = write_spec(self.tmp, four_point_spec())
        out = os.path.join(self.tmp, "out")
        res = self.sweep(spec, "-o", out, "--dry-run", "-v")
        self.assertExit(res, 0)
        self.assertIn("4 points, 0 finished, 0 failed, 4 to run", res.stdout)
        ids = [p.id for p in spec_mod.Spec.load(spec).points]
        for pid in ids:
            self.assertIn(pid, res.stdout)
        self.assertIn("--mode entp", res.stdout)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(invocations(self.log), [])
        res = self.sweep(spec, "-o", out, "--dry-run", "--backend", "slurm", "-j", "3")
        self.assertExit(res, 0)
        self.assertIn("--array=0-3%3", res.stdout)
        self.assertFalse(os.path.exists(out))

    def test_collect_and_lock(self):
        spec = write_spec(self.tmp, four_point_spec())
        out = os.path.join(self.tmp, "out")
        os.makedirs(out)
        fd = os.open(os.path.join(out, ".lock"), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            res = self.sweep(spec, "-o", out)
            self.assertExit(res, 3)
            self.assertIn("another sweep", res.stderr)
        finally:
            os.close(fd)
        res = self.sweep(spec, "-o", out, "--collect")
        self.assertExit(res, 1)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["pending"] * 4)
        self.assertEqual(invocations(self.log), [])

    def test_sigterm_stops_running_points_without_recording_them_failed(self):
        doc = {"machines": ["isaac"], "workload": "gpt2-small", "grid": {"prompt": [8, 16]}}
        spec = write_spec(self.tmp, doc)
        out = os.path.join(self.tmp, "out")
        proc = subprocess.Popen([PY, SWEEP, spec, "-o", out, "-j", "2"],
                                env=env_for(self.log, sleep="60"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while len(invocations(self.log)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(len(invocations(self.log)), 2)
            proc.send_signal(signal.SIGTERM)
            stdout, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.assertEqual(proc.returncode, 130)
        self.assertIn("run the same command again", stdout)
        for pid in invocation_pids(self.log):
            self.assertFalse(os.path.exists("/proc/%d" % pid) and _is_fake(pid),
                             "fake cimsim %d still running after the sweep stopped" % pid)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["pending", "pending"])


def _is_fake(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return FAKE.encode() in f.read()
    except OSError:
        return False


class SpecErrors(SweepTestCase):
    """Bad specs: one line naming the spec file, the JSON path, the value and what was
    expected; exit 2; nothing written."""

    CASES = [
        ("unknown key", {"machines": ["isaac"], "workload": "w", "grids": {}},
         r"spec\.json: grids: unknown key \(expected one of: name, description"),
        ("wrong type", {"machines": ["isaac"], "workload": "w", "grid": {"prompt": "16"}},
         r'spec\.json: grid\.prompt: expected a non-empty array of values, got "16"'),
        ("wrong value type", {"machines": ["isaac"], "workload": "w",
                              "grid": {"prompt": [16, "x"]}},
         r'spec\.json: grid\.prompt\[1\]: expected an integer >= 1, got "x"'),
        ("empty grid", {"machines": ["isaac"], "workload": "w", "grid": {}},
         r"spec\.json: grid: expected a non-empty object"),
        ("empty values", {"machines": ["isaac"], "workload": "w", "grid": {"batch": []}},
         r"spec\.json: grid\.batch: expected a non-empty array of values, got \[\]"),
        ("unknown backend", {"machines": ["isaac"], "workload": "w", "backend": "pbs",
                             "grid": {"prompt": [1]}},
         r'spec\.json: backend: expected one of: local, slurm, got "pbs"'),
        ("missing machine file", {"machines": ["configs/nope.json"], "workload": "w",
                                  "grid": {"prompt": [1]}},
         r'spec\.json: machines: file not found: "configs/nope\.json"'),
        ("unknown parameter", {"machines": ["isaac"], "workload": "w", "grid": {"promt": [1]}},
         r"spec\.json: grid\.promt: unknown parameter \(expected machine, workload, mode"),
        ("set path", {"machines": ["isaac"], "workload": "w", "set": {"xbar.rows": 1}},
         r'spec\.json: set\["xbar\.rows"\]: expected a --set path machine\.PATH'),
        ("grid and list", {"machines": ["isaac"], "workload": "w", "grid": {"prompt": [1]},
                           "list": [{"prompt": 2}]},
         r"spec\.json: list\[0\]\.prompt: also a grid parameter"),
        ("same point twice", {"machines": ["isaac"], "workload": "w",
                              "list": [{"prompt": 2}, {"batch": 1}, {"prompt": 2}]},
         r"spec\.json: list: list\[0\] and list\[2\] are the same point"),
        ("missing machines", {"workload": "w", "grid": {"prompt": [1]}},
         r"spec\.json: machines: missing"),
        ("negative generate", {"machines": ["isaac"], "workload": "w",
                               "args": {"generate": -1}},
         r"spec\.json: args\.generate: expected an integer >= 0, got -1"),
        ("slurm key", {"machines": ["isaac"], "workload": "w", "slurm": {"partiton": "x"}},
         r"spec\.json: slurm\.partiton: unknown key"),
        ("invalid JSON", '{"machines": ["isaac"],\n  "workload" "w"}',
         r"spec\.json:2:14: invalid JSON: Expecting ':' delimiter"),
        ("duplicate key", '{"machines": ["isaac"], "workload": "w", "grid": {"prompt": [1], '
                          '"prompt": [2]}}',
         r"spec\.json: grid\.prompt: key given twice"),
        ("not an object", '[1, 2]', r"spec\.json: \(top level\): expected an object"),
        ("machine setting that does not exist", {"machines": ["isaac"], "workload": "w",
                                                  "grid": {"machine.xbar.rows": [64]}},
         r'spec\.json: grid\["machine\.xbar\.rows"\]: no setting machine\.xbar\.rows '
         r'\(machine type cim \(isaac\): machine has: .*crossbar'),
        ("machine setting out of range", {"machines": ["isaac"], "workload": "w",
                                          "set": {"machine.crossbar.rows": 0}},
         r'spec\.json: set\["machine\.crossbar\.rows"\]: expected an integer in \[1, \d+\], '
         r"got 0 \(machine\.crossbar\.rows of machine type cim\)$"),
    ]

    def test_bad_specs(self):
        for name, doc, pattern in self.CASES:
            with self.subTest(name):
                spec = write_spec(self.tmp, doc)
                out = os.path.join(self.tmp, "out")
                res = self.sweep(spec, "-o", out)
                self.assertExit(res, 2)
                lines = res.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, res.stderr)
                self.assertRegex(lines[0], r"^sweep: error: .*" + pattern)
                self.assertFalse(os.path.exists(out), "wrote %s" % out)
                self.assertEqual(res.stdout, "")
        self.assertEqual(invocations(self.log), [])

    def test_bad_command_lines(self):
        spec = write_spec(self.tmp, four_point_spec())
        out = os.path.join(self.tmp, "out")
        for args, pattern in (([spec, "--backend", "pbs"], r"invalid choice: 'pbs'"),
                              ([spec, "-j", "0"], r"expected an integer >= 1"),
                              ([os.path.join(self.tmp, "missing.json")],
                               r"missing\.json: sweep spec not found"),
                              ([spec, "--frobnicate"], r"unrecognized arguments")):
            with self.subTest(args[1:]):
                res = self.sweep(*args, "-o", out)
                self.assertExit(res, 2)
                self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
                self.assertRegex(res.stderr, pattern)
                self.assertFalse(os.path.exists(out))

    def test_shipped_example_specs_are_valid(self):
        folder = os.path.join(REPO, "configs", "sweeps")
        names = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
        self.assertTrue(names, "no example specs in configs/sweeps")
        for name in names:
            with self.subTest(name):
                spec = spec_mod.Spec.load(os.path.join(folder, name))
                self.assertGreater(len(spec.points), 1)
                res = self.sweep(os.path.join(folder, name), "--dry-run",
                                 "-o", os.path.join(self.tmp, "dry"))
                self.assertExit(res, 0)

    def test_set_values_reach_cimsim_with_their_json_type(self):
        self.assertEqual(spec_mod.set_value_text(4), "4")
        self.assertEqual(spec_mod.set_value_text(1.5), "1.5")
        self.assertEqual(spec_mod.set_value_text(True), "true")
        self.assertEqual(spec_mod.set_value_text([1, 2]), "[1,2]")
        self.assertEqual(spec_mod.set_value_text("closed"), "closed")
        self.assertEqual(spec_mod.set_value_text("4"), '"4"')      # a string, not a number
        self.assertEqual(spec_mod.set_value_text("true"), '"true"')


class RealBinary(SweepTestCase):
    """One point through the real cimsim (ctest passes its path in CIMSIM_REAL): the run either
    finishes with a report, or fails with cimsim's own error about the model (the machines may
    not be built yet); it must never fail because cimsim rejected the tool's arguments."""

    def test_real_cimsim_accepts_the_arguments(self):
        real = os.environ.get("CIMSIM_REAL")
        if not real:
            self.skipTest("CIMSIM_REAL not set (ctest sets it to build/cimsim)")
        self.assertTrue(os.access(real, os.X_OK), "CIMSIM_REAL=%s is not executable" % real)
        doc = {"machines": ["a100-sxm4-80gb", "isaac"], "workload": "gpt2-small",
               "args": {"mode": "decoder", "generate": 1, "batch": 1},
               "grid": {"prompt": [4]}}
        spec = write_spec(self.tmp, doc)
        out = os.path.join(self.tmp, "out")
        res = run_tool(SWEEP, [spec, "-o", out, "--cimsim", real, "--point-timeout", "100"],
                       env_for(), timeout=115)
        self.assertIn(res.returncode, (0, 1), res.stderr)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        row = rows[0]
        if row["status"] == "ok":
            self.assertNotEqual(row["a100-sxm4-80gb.seconds"], "")
            float(row["isaac.energy_j"])
        else:
            self.assertRegex(row["error"], r"^cimsim: (internal )?error: ")
            self.assertNotRegex(row["error"], r"unrecognised|unrecognized|--help|"
                                              r"the required argument|invalid option")

    def test_real_serving_sweep_over_request_rate_and_tensor_parallelism(self):
        """A serving sweep varies the request rate and the node's tensor-parallel degree: every
        point serves (one row each, the degree and the rate as parameters)."""
        real = os.environ.get("CIMSIM_REAL")
        if not real:
            self.skipTest("CIMSIM_REAL not set (ctest sets it to build/cimsim)")
        model = os.path.join(self.tmp, "small.json")
        with open(model, "w") as f:
            json.dump({"name": "small", "model": {
                "layers": 2, "d_model": 64, "heads": 4, "kv_heads": 4, "head_dim": 16,
                "d_ff": 256, "vocab": 100, "max_context": 256, "activation": "gelu",
                "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre",
                "position": "learned", "bias": True, "tie_embeddings": True}}, f)
        doc = {"command": "serve", "machines": ["8x-a100-sxm4-80gb"], "workload": model,
               "set": {"machine.node.devices": 2, "serve.generator.count": 3,
                       "serve.generator.prompt": {"distribution": "fixed", "value": 20},
                       "serve.generator.output": {"distribution": "fixed", "value": 4}},
               "grid": {"machine.node.tensor_parallel": [1, 2],
                        "serve.generator.rate_per_s": [10, 1000]}}
        spec = write_spec(self.tmp, doc)
        out = os.path.join(self.tmp, "out")
        res = run_tool(SWEEP, [spec, "-o", out, "--cimsim", real, "--point-timeout", "100",
                               "-j", "1"], env_for(), timeout=140)
        self.assertEqual(res.returncode, 0, res.stderr)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(sorted((r["machine.node.tensor_parallel"],
                                 r["serve.generator.rate_per_s"]) for r in rows),
                         [("1", "10"), ("1", "1000"), ("2", "10"), ("2", "1000")])
        for r in rows:
            self.assertEqual(r["status"], "ok", r.get("error"))
            self.assertGreater(float(r["8x-a100-sxm4-80gb.output_tokens_per_s"]), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
