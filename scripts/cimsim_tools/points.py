"""A point's directory and how one point runs (the same code on the local pool and in a Slurm
array task).

    OUT/points/<id>/point.json   parameters and the exact cimsim command
                    log.txt      cimsim's output (stdout and stderr) of the last attempt
                    report.json  the report: present <=> the point is finished
                    failed.json  {"exit_code", "error"} of a failed last attempt
                    .run/        cimsim writes its report here first

A point is finished exactly when report.json exists. It gets there by a rename, after cimsim
exited 0 and the file it wrote parsed as a report, so a sweep killed at any moment (even with
SIGKILL) never leaves a half-finished point that looks finished, and never loses one that was.
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import time

from .common import atomic_write_json, one_line

OK, FAILED, PENDING = "ok", "failed", "pending"


class PointDir:
    def __init__(self, out_dir, point_id):
        self.id = point_id
        self.dir = os.path.join(out_dir, "points", point_id)
        self.report = os.path.join(self.dir, "report.json")
        self.failed = os.path.join(self.dir, "failed.json")
        self.log = os.path.join(self.dir, "log.txt")
        self.info = os.path.join(self.dir, "point.json")
        self.scratch = os.path.join(self.dir, ".run")

    def state(self):
        if os.path.exists(self.report):
            return OK
        if os.path.exists(self.failed):
            return FAILED
        return PENDING

    def failure(self):
        """(exit_code or None, error line) of a failed point."""
        try:
            with open(self.failed) as f:
                doc = json.load(f)
            return doc.get("exit_code"), str(doc.get("error", ""))
        except (OSError, ValueError):
            return None, "failed.json unreadable"

    def record_failure(self, exit_code, error):
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.exists(self.report):
            atomic_write_json(self.failed, {"exit_code": exit_code, "error": one_line(error)})


def task_for(spec, point, out_dir):
    """Everything a worker needs to run a point, as plain JSON (Slurm tasks read it back)."""
    pd = PointDir(out_dir, point.id)
    return {"id": point.id, "dir": pd.dir, "params": point.params,
            "args": spec.cimsim_args(point.params)}


def signal_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def error_line(log_path, exit_code):
    """The line that says what went wrong: the last line of the output mentioning an error,
    else the last non-empty line."""
    lines = []
    try:
        with open(log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        pass
    lines = [l.strip() for l in lines if l.strip() and not l.startswith("# cimsim-sweep:")]
    for line in reversed(lines):
        if "error" in line.lower():
            return one_line(line)
    if lines:
        return one_line(lines[-1])
    return "exit code %s with no output" % exit_code


def run_task(task, cimsim, timeout=None, registry=None, should_record=lambda rc: True):
    """Runs one point to completion. Returns (state, exit_code, error).

    registry: an optional set the running Popen is added to while it runs (so an interrupted
    sweep can stop it). should_record(rc) decides whether a failure is written down (an
    interrupted sweep does not record the points it stopped itself)."""
    pd = PointDir(os.path.dirname(os.path.dirname(task["dir"])), task["id"])
    if os.path.exists(pd.report):
        return OK, 0, ""
    os.makedirs(pd.scratch, exist_ok=True)
    for stale in (pd.failed, os.path.join(pd.scratch, "report.json")):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    out = os.path.join(pd.scratch, "report.json")
    argv = [cimsim] + task["args"] + ["--out", out, "--quiet"]
    atomic_write_json(pd.info, {"id": task["id"], "params": task["params"],
                                "command": shlex.join(argv)})
    start = time.monotonic()
    timed_out = False
    with open(pd.log, "wb") as log:
        log.write(("# cimsim-sweep: %s\n" % shlex.join(argv)).encode())
        log.flush()
        try:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        except OSError as e:
            error = "cannot run %s: %s" % (cimsim, e.strerror)
            pd.record_failure(None, error)
            return FAILED, None, error
        if registry is not None:
            registry.add(proc)
        try:
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.terminate()
                try:
                    rc = proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    rc = proc.wait()
        finally:
            if registry is not None:
                registry.discard(proc)
    elapsed = time.monotonic() - start
    if timed_out:
        error = "timed out after %.0f s (--point-timeout)" % timeout
        pd.record_failure(rc, error)
        return FAILED, rc, error
    if rc == 0:
        problem = _check_report(out)
        if problem is None:
            os.replace(out, pd.report)  # the point is finished from here on
            shutil.rmtree(pd.scratch, ignore_errors=True)
            return OK, 0, ""
        error = problem
    elif rc < 0:
        error = "killed by %s after %.1f s" % (signal_name(-rc), elapsed)
    else:
        error = error_line(pd.log, rc)
    if should_record(rc):
        pd.record_failure(rc, error)
    return FAILED, rc, error


def _check_report(path):
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return "cimsim exited 0 but wrote no report"
    except (OSError, ValueError) as e:
        return "cimsim exited 0 but its report does not parse: %s" % one_line(e, 200)
    if not isinstance(doc, dict) or "machines" not in doc:
        return "cimsim exited 0 but its report has no machines"
    return None
