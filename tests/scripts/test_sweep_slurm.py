#!/usr/bin/python3
"""scripts/sweep.py --backend slurm against a REAL single-node Slurm (slurm_single_node.py
starts munge, slurmctld and slurmd from a temporary slurm.conf and always stops them).

Without the Slurm binaries this test FAILS (CI installs them: scripts/setup.sh --test-deps);
it does not skip, so a CI that lost them cannot pass silently."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from slurm_single_node import SingleNodeSlurm, SlurmUnavailable
from sweep_support import (PY, SWEEP, env_for, four_point_spec, invocations, read_csv,
                           run_tool, write_spec)


class SlurmSweep(unittest.TestCase):
    slurm = None

    @classmethod
    def setUpClass(cls):
        cls.slurm = SingleNodeSlurm()
        try:
            cls.slurm.start(timeout=60)
        except SlurmUnavailable as e:
            cls.slurm = None
            raise AssertionError("cannot start a single-node Slurm: %s" % e) from None

    @classmethod
    def tearDownClass(cls):
        if cls.slurm is not None:
            cls.slurm.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cimsim-slurm-sweep-")
        self.log = os.path.join(self.tmp, "invocations.jsonl")
        self.spec = write_spec(self.tmp, four_point_spec())
        # The reference: the same sweep on the local pool.
        self.local = os.path.join(self.tmp, "local")
        res = run_tool(SWEEP, [self.spec, "-o", self.local, "-j", "2"],
                       env_for(os.path.join(self.tmp, "local.jsonl")))
        self.assertEqual(res.returncode, 0, res.stderr)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **kw):
        return env_for(self.log, extra={"SLURM_CONF": self.slurm.conf}, **kw)

    def slurm_sweep(self, out, *args, timeout=120, **kw):
        return run_tool(SWEEP, [self.spec, "-o", out, "--backend", "slurm", "--poll", "0.5",
                                "--wait-timeout", "90"] + list(args),
                        self.env(**kw), timeout=timeout)

    def assertSameCsv(self, out):
        with open(os.path.join(self.local, "results.csv"), "rb") as f:
            want = f.read()
        with open(os.path.join(out, "results.csv"), "rb") as f:
            got = f.read()
        self.assertEqual(got, want, "Slurm CSV differs from the local run's")

    def test_slurm_array_gives_the_same_csv_as_the_local_pool(self):
        out = os.path.join(self.tmp, "slurm")
        res = self.slurm_sweep(out, "-j", "2", "--time", "5", "--cpus-per-task", "1",
                               "--partition", "debug")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertRegex(res.stdout, r"submitted Slurm job \d+: 4 array tasks at most 2 at a "
                                     r"time")
        self.assertSameCsv(out)
        self.assertEqual(len(invocations(self.log)), 4)
        outs = [f for f in os.listdir(os.path.join(out, "slurm", "batch-1"))
                if f.endswith(".out")]
        self.assertEqual(len(outs), 4, outs)
        # Nothing left to do: the same command submits nothing.
        res = self.slurm_sweep(out)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertNotIn("submitted", res.stdout)
        self.assertEqual(len(invocations(self.log)), 4)
        self.assertFalse(os.path.exists(os.path.join(out, "slurm", "batch-2")))

    def test_points_finished_before_are_not_resubmitted(self):
        out = os.path.join(self.tmp, "partial")
        # Half the points finish on the local pool, half fail.
        res = run_tool(SWEEP, [self.spec, "-o", out], self.env(fail="mode=entp"))
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertEqual(len(invocations(self.log)), 4)
        res = self.slurm_sweep(out)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertRegex(res.stdout, r"submitted Slurm job \d+: 2 array tasks")
        again = invocations(self.log)[4:]
        self.assertEqual(sorted(p["mode"] for p in again), ["entp", "entp"])
        self.assertSameCsv(out)

    def test_killed_while_waiting_then_rerun_attaches_instead_of_resubmitting(self):
        out = os.path.join(self.tmp, "attach")
        proc = subprocess.Popen([PY, SWEEP, self.spec, "-o", out, "--backend", "slurm",
                                 "--poll", "0.5"], env=self.env(sleep="2"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            current = os.path.join(out, "slurm", "current.json")
            deadline = time.monotonic() + 30
            while not os.path.exists(current) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertTrue(os.path.exists(current), "the sweep did not submit in time")
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        res = self.slurm_sweep(out, sleep="2")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("attaching to Slurm job", res.stdout)
        self.assertNotIn("submitted", res.stdout)
        self.assertEqual(len(invocations(self.log)), 4)  # each point ran once
        self.assertSameCsv(out)

    def test_failed_task_is_recorded(self):
        out = os.path.join(self.tmp, "failing")
        res = self.slurm_sweep(out, fail="prompt=64")
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        _, rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["ok", "ok", "failed", "failed"])
        self.assertEqual(rows[2]["exit_code"], "2")
        self.assertEqual(rows[2]["error"], "cimsim: error: injected failure for prompt=64")


if __name__ == "__main__":
    unittest.main(verbosity=2)
