"""The Slurm backend: the points still to run become one job array; we wait for it with squeue.

    OUT/slurm/current.json           the job(s) of the latest submission and their points
    OUT/slurm/batch-<k>/chunk-<c>.json  the tasks of array job c (task i runs point tasks[i])
    OUT/slurm/batch-<k>/chunk-<c>.sh    the batch script: python3 sweep.py --slurm-task ...
    OUT/slurm/batch-<k>/<job>_<i>.out   each task's output

Array tasks run the same code as the local pool (points.run_task), so a point is finished by
the same atomic rename. The output directory must be on a file system the compute nodes
share. A sweep that is interrupted while it waits leaves its job running; running the same
command again attaches to that job instead of submitting the points a second time.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

from .common import BackendError, InputError, atomic_write, atomic_write_json, one_line
from .points import OK, PENDING, PointDir, run_task, task_for

DEFAULT_MAX_ARRAY = 1000
SQUEUE_PATIENCE_S = 600


def check_tools():
    for tool in ("sbatch", "squeue"):
        if shutil.which(tool) is None:
            raise InputError("--backend slurm: %s not found on PATH (is this a Slurm login "
                             "node? On Debian: apt-get install slurm-client)" % tool)


def _run(argv, timeout=60):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "%s timed out after %d s"
                                           % (argv[0], timeout))
    except OSError as e:
        return subprocess.CompletedProcess(argv, 127, "", "cannot run %s: %s"
                                           % (argv[0], e.strerror))


def max_array_size():
    """Array indices must stay below the cluster's MaxArraySize (1001 by default)."""
    res = _run(["scontrol", "show", "config"], timeout=30) if shutil.which("scontrol") else None
    if res is not None and res.returncode == 0:
        m = re.search(r"^MaxArraySize\s*=\s*(\d+)", res.stdout, re.M)
        if m and int(m.group(1)) > 1:
            return int(m.group(1)) - 1
    return DEFAULT_MAX_ARRAY


def active(job_ids):
    """True while any of the jobs is pending or running; None if squeue could not say."""
    if not job_ids:
        return False
    res = _run(["squeue", "-h", "-o", "%i %T", "-j", ",".join(str(j) for j in job_ids)])
    if res.returncode != 0:
        # A job that ended long ago is purged from the controller: squeue calls it invalid.
        if "Invalid job id" in res.stderr or "invalid job id" in res.stderr.lower():
            return False
        return None
    return bool(res.stdout.strip())


class SlurmOptions:
    def __init__(self, partition=None, time_limit=None, cpus_per_task=None, mem=None,
                 account=None, qos=None, sbatch_args=(), throttle=None, poll=10.0,
                 wait_timeout=None, python=None):
        self.partition = partition
        self.time_limit = time_limit
        self.cpus_per_task = cpus_per_task
        self.mem = mem
        self.account = account
        self.qos = qos
        self.sbatch_args = list(sbatch_args)
        self.throttle = throttle
        self.poll = poll
        self.wait_timeout = wait_timeout
        self.python = python or sys.executable

    def sbatch_flags(self):
        flags = []
        for flag, value in (("--partition", self.partition), ("--time", self.time_limit),
                            ("--cpus-per-task", self.cpus_per_task), ("--mem", self.mem),
                            ("--account", self.account), ("--qos", self.qos)):
            if value is not None:
                flags.append("%s=%s" % (flag, value))
        return flags + self.sbatch_args


class SlurmBackend:
    def __init__(self, spec, out_dir, cimsim, sweep_script, options, log):
        self.spec = spec
        self.out_dir = out_dir
        self.dir = os.path.join(out_dir, "slurm")
        self.current = os.path.join(self.dir, "current.json")
        self.cimsim = cimsim
        self.sweep_script = sweep_script
        self.opt = options
        self.log = log  # log(message): progress lines for the user

    # ---- state of earlier submissions ----------------------------------------------------

    def load_current(self):
        try:
            with open(self.current) as f:
                doc = json.load(f)
            if isinstance(doc, dict) and isinstance(doc.get("jobs"), list):
                return doc
        except (OSError, ValueError):
            pass
        return None

    def running_job(self):
        """The job ids of the previous submission if Slurm still has them queued or running."""
        cur = self.load_current()
        if not cur or not cur["jobs"]:
            return None, None
        if shutil.which("squeue") is None:
            return None, None
        state = active([j["job_id"] for j in cur["jobs"]])
        return (cur, state) if state is not False else (None, None)

    # ---- submitting ----------------------------------------------------------------------

    def plan(self, todo):
        """[(chunk tasks, sbatch argv without the script)] for the points in todo."""
        size = max_array_size() if shutil.which("scontrol") else DEFAULT_MAX_ARRAY
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        return chunks

    def sbatch_argv(self, n, out_pattern, script, depend=None):
        array = "0-%d" % (n - 1)
        if self.opt.throttle:
            array += "%%%d" % self.opt.throttle
        argv = ["sbatch", "--parsable", "--job-name=cimsim-sweep-%s" % self.spec.name,
                "--array=%s" % array, "-o", out_pattern]
        if depend:
            argv.append("--dependency=afterany:%s" % depend)
        return argv + self.opt.sbatch_flags() + [script]

    def submit(self, todo):
        os.makedirs(self.dir, exist_ok=True)
        k = 1
        while os.path.exists(os.path.join(self.dir, "batch-%d" % k)):
            k += 1
        batch = os.path.join(self.dir, "batch-%d" % k)
        os.makedirs(batch)
        jobs = []
        prev = None
        chunks = self.plan(todo)
        for c, chunk in enumerate(chunks):
            manifest = os.path.join(batch, "chunk-%d.json" % c)
            atomic_write_json(manifest, {
                "sweep": self.spec.name, "cimsim": self.cimsim,
                "tasks": [task_for(self.spec, p, self.out_dir) for p in chunk]})
            script = os.path.join(batch, "chunk-%d.sh" % c)
            atomic_write(script, "#!/bin/sh\n# cimsim sweep %s: array task i runs point i of "
                                 "%s (written by scripts/sweep.py)\nexec %s %s --slurm-task %s\n"
                         % (self.spec.name, os.path.basename(manifest),
                            shlex.quote(self.opt.python), shlex.quote(self.sweep_script),
                            shlex.quote(manifest)), mode=0o755)
            # Chunks of a throttled sweep run one after another so %M holds overall.
            depend = prev if (self.opt.throttle and prev) else None
            argv = self.sbatch_argv(len(chunk), os.path.join(batch, "%A_%a.out"), script, depend)
            res = _run(argv, timeout=120)
            if res.returncode != 0:
                if jobs:
                    self._save(jobs, batch)
                raise BackendError("sbatch refused the job (exit %d): %s; command: %s"
                                   % (res.returncode,
                                      one_line(res.stderr or res.stdout or "no output"),
                                      shlex.join(argv)))
            m = re.match(r"^\s*(\d+)", res.stdout)
            if not m:
                raise BackendError("sbatch printed no job id: %s" % one_line(res.stdout))
            job_id = int(m.group(1))
            prev = job_id
            jobs.append({"job_id": job_id, "manifest": manifest,
                         "points": [p.id for p in chunk]})
            self.log("submitted Slurm job %d: %d array tasks%s (%s)"
                     % (job_id, len(chunk),
                        " at most %d at a time" % self.opt.throttle if self.opt.throttle else "",
                        os.path.relpath(batch)))
            self._save(jobs, batch)
        return self.load_current()

    def _save(self, jobs, batch):
        atomic_write_json(self.current, {"batch": batch, "jobs": jobs})

    # ---- waiting -------------------------------------------------------------------------

    def wait(self, current, deadline):
        """Polls squeue until the jobs leave the queue. Raises BackendError on timeout."""
        job_ids = [j["job_id"] for j in current["jobs"]]
        points = [pid for j in current["jobs"] for pid in j["points"]]
        delay = min(0.5, self.opt.poll)
        last = None
        failing_since = None
        while True:
            state = active(job_ids)
            counts = self._count(points)
            if counts != last:
                self.log("Slurm job %s: %d of %d points finished, %d failed"
                         % (",".join(map(str, job_ids)), counts[0], len(points), counts[1]))
                last = counts
            if state is False:
                return
            if state is None:
                # squeue not answering (controller restarting?): keep trying for a while.
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > SQUEUE_PATIENCE_S:
                    raise BackendError(
                        "squeue has not answered for %d s; job %s may still be running: run the "
                        "same command again later to attach to it"
                        % (SQUEUE_PATIENCE_S, ",".join(map(str, job_ids))))
            else:
                failing_since = None
            if deadline is not None and time.monotonic() > deadline:
                raise BackendError(
                    "Slurm job %s still running after --wait-timeout; it keeps running: run the "
                    "same command again to wait for it and collect the results, or cancel it "
                    "with: scancel %s" % (",".join(map(str, job_ids)),
                                          " ".join(map(str, job_ids))))
            time.sleep(delay)
            delay = min(self.opt.poll, delay * 1.5)

    def _count(self, point_ids):
        ok = failed = 0
        for pid in point_ids:
            s = PointDir(self.out_dir, pid).state()
            ok += s == OK
            failed += s not in (OK, PENDING)
        return ok, failed

    def settle(self, current, grace=30.0):
        """After the jobs left the queue: points with neither a report nor a failure record
        lost their task (cancelled, time limit, node failure). On a network file system
        their files may show up a little late, so look again for a while first."""
        missing = []
        for job in current["jobs"]:
            for i, pid in enumerate(job["points"]):
                if PointDir(self.out_dir, pid).state() == PENDING:
                    missing.append((job, i, pid))
        end = time.monotonic() + grace
        while missing and time.monotonic() < end:
            time.sleep(1.0)
            missing = [m for m in missing if PointDir(self.out_dir, m[2]).state() == PENDING]
        for job, i, pid in missing:
            out = os.path.join(os.path.dirname(job["manifest"]), "%d_%d.out" % (job["job_id"], i))
            last = ""
            try:
                with open(out, "rb") as f:
                    lines = [l for l in f.read().decode("utf-8", "replace").splitlines()
                             if l.strip()]
                last = lines[-1] if lines else ""
            except OSError:
                pass
            PointDir(self.out_dir, pid).record_failure(
                None, "Slurm task %d_%d ended without a result (cancelled, time limit or node "
                      "failure?); see %s%s" % (job["job_id"], i, out,
                                               (": " + last) if last else ""))


def task_main(manifest_path):
    """Entry point of one array task: runs point $SLURM_ARRAY_TASK_ID of the manifest."""
    try:
        index = int(os.environ["SLURM_ARRAY_TASK_ID"])
    except (KeyError, ValueError):
        print("sweep: error: --slurm-task needs SLURM_ARRAY_TASK_ID (run by sbatch --array)",
              file=sys.stderr)
        return 2
    with open(manifest_path) as f:
        manifest = json.load(f)
    task = manifest["tasks"][index]
    pd = PointDir(os.path.dirname(os.path.dirname(task["dir"])), task["id"])
    print("cimsim sweep %s: point %s %s" % (manifest.get("sweep", ""), task["id"],
                                            json.dumps(task["params"], sort_keys=True)),
          flush=True)

    def on_term(signum, frame):
        # Slurm sends SIGTERM at the time limit or on scancel; cimsim got it too.
        pd.record_failure(-signum, "stopped by %s (Slurm time limit or scancel?)"
                          % signal.Signals(signum).name)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    state, code, error = run_task(task, manifest["cimsim"])
    print("%s%s" % (state, (" (exit %s): %s" % (code, error)) if state != OK else ""), flush=True)
    return 0 if state == OK else (code if isinstance(code, int) and 0 < code < 126 else 1)
