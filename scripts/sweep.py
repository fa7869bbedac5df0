#!/usr/bin/python3
"""Run a design-space sweep of cimsim: a JSON spec expands to points (a grid and/or a list over
machines, workloads, run arguments and --set paths); each point runs `cimsim run` in its own
directory; the results land in one CSV. Restartable: running the same command again skips
finished points, whatever stopped the previous run. Backends: a local process pool, or one
Slurm job array.

    scripts/sweep.py configs/sweeps/xbar-size.json -j 4
    scripts/sweep.py configs/sweeps/xbar-size.json --backend slurm --partition cpu --time 1:00:00
    scripts/sweep.py configs/sweeps/xbar-size.json --dry-run

Exit codes: 0 every point finished; 1 some points failed (or are still pending);
2 bad input (spec, options, no cimsim binary); 3 backend trouble (Slurm refused the job, a
wait timed out, another sweep holds the output directory); 130 interrupted.
See docs/sweeps.md.
"""
import argparse
import fcntl
import os
import shlex
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cimsim_tools.common import (EXIT_BACKEND, EXIT_BAD_INPUT, EXIT_FAILED_POINTS,  # noqa: E402
                                 EXIT_INTERRUPTED, EXIT_OK, BackendError, InputError,
                                 atomic_write, fail, one_line)
from cimsim_tools.points import FAILED, OK, PENDING, PointDir  # noqa: E402
from cimsim_tools.results import Results  # noqa: E402
from cimsim_tools.spec import Spec, flat_value, format_value  # noqa: E402
from cimsim_tools.table import text_table  # noqa: E402

TOOL = "sweep"
REPO = os.path.dirname(HERE)
_LOCK = None


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError("%s (see %s --help)" % (message, self.prog))


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %r" % text)
    if v < 1:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %r" % text)
    return v


def positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds > 0, got %r" % text)
    if not v > 0:
        raise argparse.ArgumentTypeError("expected a number of seconds > 0, got %r" % text)
    return v


def make_parser():
    p = Parser(prog="sweep.py", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="Exit codes: 0 all points finished, 1 some failed or pending, 2 bad input, "
                      "3 backend trouble, 130 interrupted. Spec format: docs/sweeps.md")
    p.add_argument("spec", help="the sweep spec (JSON)")
    p.add_argument("-o", "--out-dir", help="where points and the CSV go "
                                           "(default: out/sweeps/<spec name>)")
    p.add_argument("-j", "--jobs", type=positive_int,
                   help="local: points run at a time (default: the number of CPUs); "
                        "slurm: array tasks running at a time (sbatch --array=...%%N; "
                        "default: no limit)")
    p.add_argument("--backend", choices=("local", "slurm"),
                   help="where points run (default: the spec's \"backend\", else local)")
    p.add_argument("--cimsim", help="the cimsim binary (default: $CIMSIM, else build/cimsim "
                                    "of this repository)")
    p.add_argument("--csv", help="the results CSV (default: OUT/results.csv)")
    p.add_argument("--dry-run", action="store_true",
                   help="list the points and their state; run and write nothing")
    p.add_argument("--collect", action="store_true",
                   help="only regenerate the CSV from the point directories")
    p.add_argument("--point-timeout", type=positive_float, metavar="SECONDS",
                   help="stop a point that runs longer and record it as failed")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="with --dry-run: print each point's cimsim command")
    s = p.add_argument_group("Slurm backend (flags override the spec's \"slurm\" object)")
    s.add_argument("--partition")
    s.add_argument("--time", dest="time_limit", metavar="TIME",
                   help="time limit per array task (sbatch --time, e.g. 30:00 or 1-00:00:00)")
    s.add_argument("--cpus-per-task", type=positive_int)
    s.add_argument("--mem", help="memory per task (sbatch --mem, e.g. 4G)")
    s.add_argument("--account")
    s.add_argument("--qos")
    s.add_argument("--sbatch-arg", action="append", default=[], metavar="ARG",
                   help="an extra sbatch argument, e.g. --sbatch-arg=--constraint=avx2 "
                        "(repeatable)")
    s.add_argument("--poll", type=positive_float, default=10.0, metavar="SECONDS",
                   help="longest pause between squeue polls (default 10; polls start at 0.5 s "
                        "and back off)")
    s.add_argument("--wait-timeout", type=positive_float, metavar="SECONDS",
                   help="stop waiting after this long (the job keeps running; run the same "
                        "command again to attach to it). Default: wait until it ends")
    return p


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def find_cimsim(option):
    path = option or os.environ.get("CIMSIM") or os.path.join(REPO, "build", "cimsim")
    where = "--cimsim" if option else ("$CIMSIM" if os.environ.get("CIMSIM") else "default")
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        raise InputError("cimsim binary not found or not executable: %s (%s; build it with "
                         "`cmake -S . -B build && cmake --build build`, or pass --cimsim PATH "
                         "or set CIMSIM)" % (path, where))
    return os.path.abspath(path)


class Lock:
    """One sweep process per output directory (released by the kernel however we exit)."""

    def __init__(self, out_dir):
        self.path = os.path.join(out_dir, ".lock")
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                other = os.read(self.fd, 64).decode().strip()
            except OSError:
                other = "?"
            raise BackendError("another sweep (pid %s) is running in %s; wait for it or stop it"
                               % (other or "?", out_dir)) from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())


def print_table(spec, out_dir, states, verbose):
    varying = varying_columns(spec)
    cols = ["#", "id", "status"] + (varying or ["(parameters)"])
    rows = []
    for p in spec.points:
        vals = [str(p.index), p.id, states[p.id]]
        if varying:
            vals += [point_value(p, k) for k in varying]
        else:
            vals.append(p.label())
        rows.append(vals)
    lines = text_table(cols, rows)
    print(lines[0])
    for p, line in zip(spec.points, lines[1:]):
        print(line)
        if verbose:
            print("      $ cimsim " + shlex.join(spec.cimsim_args(p.params)))


def point_value(point, key):
    v = flat_value(point.params, key)
    return "" if v is None else format_value(v)


def with_label(point, keys):
    label = point.label(keys)
    return "%s  %s" % (point.id, label) if label else point.id


def varying_columns(spec):
    out = []
    for key in spec.param_columns:
        values = {point_value(p, key) for p in spec.points}
        if len(values) > 1:
            out.append(key)
    return out


def main(argv):
    if argv[:1] == ["--slurm-task"]:
        from cimsim_tools.slurm import task_main
        if len(argv) != 2:
            return fail(TOOL, "--slurm-task takes one manifest path", EXIT_BAD_INPUT)
        return task_main(argv[1])
    try:
        return run(argv)
    except InputError as e:
        return fail(TOOL, e, EXIT_BAD_INPUT)
    except BackendError as e:
        return fail(TOOL, e, EXIT_BACKEND)
    except OSError as e:  # disk full, permissions: say which file, no traceback
        return fail(TOOL, "%s%s" % (e.strerror or e, (": " + e.filename) if e.filename else ""),
                    EXIT_BACKEND)


def run(argv):
    args = make_parser().parse_args(argv)
    if args.dry_run and args.collect:
        raise InputError("--dry-run and --collect do not go together")
    spec = Spec.load(args.spec)
    backend = args.backend or spec.backend or "local"
    out_dir = os.path.abspath(args.out_dir or os.path.join("out", "sweeps", spec.name))
    csv_path = os.path.abspath(args.csv or os.path.join(out_dir, "results.csv"))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise InputError("--out-dir %s: exists and is not a directory" % out_dir)
    if args.csv and not os.path.isdir(os.path.dirname(csv_path)):
        raise InputError("--csv %s: directory %s does not exist"
                         % (args.csv, os.path.dirname(csv_path)))

    def say(msg, always=False):
        if always or not args.quiet:
            print(msg, flush=True)

    states = {p.id: PointDir(out_dir, p.id).state() for p in spec.points}
    todo = [p for p in spec.points if states[p.id] != OK]
    done = len(spec.points) - len(todo)

    slurm_opts = None
    if backend == "slurm":
        from cimsim_tools import slurm
        cfg = dict(spec.slurm)
        slurm_opts = slurm.SlurmOptions(
            partition=args.partition or cfg.get("partition"),
            time_limit=args.time_limit or cfg.get("time"),
            cpus_per_task=args.cpus_per_task or cfg.get("cpus_per_task"),
            mem=args.mem or cfg.get("mem"), account=args.account or cfg.get("account"),
            qos=args.qos or cfg.get("qos"),
            sbatch_args=cfg.get("sbatch_args", []) + args.sbatch_arg,
            throttle=args.jobs, poll=args.poll, wait_timeout=args.wait_timeout)

    if args.dry_run:
        failed = sum(1 for s in states.values() if s == FAILED)
        print("sweep %s (%s): %s, %d finished, %d failed, %d to run; out dir %s"
              % (spec.name, args.spec, plural(len(spec.points), "point"), done, failed,
                 len(todo), out_dir))
        print_table(spec, out_dir, states, args.verbose)
        if backend == "slurm":
            be = slurm.SlurmBackend(spec, out_dir, "CIMSIM", os.path.abspath(__file__),
                                    slurm_opts, say)
            if todo:
                print("would submit: " + shlex.join(be.sbatch_argv(
                    len(todo), os.path.join(out_dir, "slurm", "batch-K", "%A_%a.out"),
                    os.path.join(out_dir, "slurm", "batch-K", "chunk-0.sh"))))
        return EXIT_OK

    results = Results(spec, out_dir)
    if args.collect:
        if not os.path.isdir(out_dir):
            raise InputError("--collect: no sweep in %s (nothing has run there)" % out_dir)
        counts = results.write_csv(csv_path)
        say("%s: %d ok, %d failed, %d pending -> %s"
            % (plural(len(spec.points), "point"), counts[OK], counts[FAILED], counts[PENDING],
               csv_path), True)
        return EXIT_OK if counts[OK] == len(spec.points) else EXIT_FAILED_POINTS

    cimsim = find_cimsim(args.cimsim)
    if backend == "slurm":
        slurm.check_tools()
    os.makedirs(out_dir, exist_ok=True)
    global _LOCK
    _LOCK = Lock(out_dir)  # held until the process exits
    with open(args.spec, "rb") as f:
        atomic_write(os.path.join(out_dir, "spec.json"), f.read())

    def on_signal(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_signal)
    say("sweep %s: %s, %d already finished, %d to run (%s%s); out dir %s"
        % (spec.name, plural(len(spec.points), "point"), done, len(todo), backend,
           (", -j %d" % (args.jobs or os.cpu_count() or 1)) if backend == "local" else "",
           out_dir))
    code = EXIT_OK
    try:
        if backend == "local":
            code = run_local_backend(spec, todo, out_dir, cimsim, args, results, csv_path, say)
        else:
            code = run_slurm_backend(spec, todo, out_dir, cimsim, slurm_opts, say)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BackendError as e:
        fail(TOOL, e, EXIT_BACKEND)
        code = EXIT_BACKEND
    counts = results.write_csv(csv_path)
    n = len(spec.points)
    if code == EXIT_INTERRUPTED:
        say("interrupted; finished points are kept: run the same command again to go on", True)
    failed = [p for p in spec.points if PointDir(out_dir, p.id).state() == FAILED]
    for p in failed[:5]:
        ec, err = PointDir(out_dir, p.id).failure()
        say("failed: %s (exit %s): %s  [log: %s]"
            % (with_label(p, varying_columns(spec)), ec, err,
               os.path.relpath(PointDir(out_dir, p.id).log)), True)
    if len(failed) > 5:
        say("... and %d more failed points (see the CSV's error column)" % (len(failed) - 5), True)
    say("%s: %d ok, %d failed, %d pending -> %s"
        % (plural(n, "point"), counts[OK], counts[FAILED], counts[PENDING], csv_path), True)
    if code != EXIT_OK:
        return code
    return EXIT_OK if counts[OK] == n else EXIT_FAILED_POINTS


def run_local_backend(spec, todo, out_dir, cimsim, args, results, csv_path, say):
    from cimsim_tools import local, slurm
    if os.path.exists(os.path.join(out_dir, "slurm", "current.json")):
        cur, state = slurm.SlurmBackend(spec, out_dir, cimsim, "", None, say).running_job()
        if cur is not None:
            jobs = " ".join(str(j["job_id"]) for j in cur["jobs"])
            raise BackendError("Slurm job %s of this sweep is still queued or running; wait for "
                               "it (run with --backend slurm) or cancel it (scancel %s) first"
                               % (jobs, jobs))
    if not todo:
        return EXIT_OK
    varying = varying_columns(spec)
    total = len(spec.points)
    finished = [total - len(todo)]
    last_csv = [time.monotonic()]

    def progress(point, state, code, error, seconds):
        finished[0] += 1
        width = len(str(total))
        if state == OK:
            say("[%*d/%d] ok      %s  (%.1f s)" % (width, finished[0], total,
                                                  with_label(point, varying), seconds))
        else:
            say("[%*d/%d] FAILED  %s  exit %s: %s" % (width, finished[0], total,
                                                      with_label(point, varying), code,
                                                      one_line(error, 200)), True)

    def on_result():
        # Long sweeps: keep the CSV fresh enough to plot while the rest runs.
        if time.monotonic() - last_csv[0] > 30:
            results.write_csv(csv_path)
            last_csv[0] = time.monotonic()

    jobs = args.jobs or os.cpu_count() or 1
    try:
        local.run_local(spec, todo, out_dir, cimsim, jobs, args.point_timeout, progress,
                        on_result)
    except local.Interrupted:
        raise KeyboardInterrupt() from None
    return EXIT_OK


def run_slurm_backend(spec, todo, out_dir, cimsim, opts, say):
    from cimsim_tools import slurm
    be = slurm.SlurmBackend(spec, out_dir, cimsim, os.path.abspath(__file__), opts, say)
    deadline = (time.monotonic() + opts.wait_timeout) if opts.wait_timeout else None
    attempted = set()
    cur, state = be.running_job()
    try:
        if cur is not None:
            jobs = ",".join(str(j["job_id"]) for j in cur["jobs"])
            say("attaching to Slurm job %s of an earlier run (%s)"
                % (jobs, "still queued or running" if state else "squeue not answering"))
            attempted = {pid for j in cur["jobs"] for pid in j["points"]}
            be.wait(cur, deadline)
            be.settle(cur)
        todo = [p for p in todo if p.id not in attempted
                and PointDir(out_dir, p.id).state() != OK]
        if not todo:
            return EXIT_OK
        cur = be.submit(todo)
        be.wait(cur, deadline)
        be.settle(cur)
    except KeyboardInterrupt:
        cur = be.load_current()
        if cur is not None and cur.get("jobs"):
            jobs = [str(j["job_id"]) for j in cur["jobs"]]
            say("Slurm job %s keeps running: run the same command again to wait for it and "
                "collect the results, or cancel it with: scancel %s"
                % (",".join(jobs), " ".join(jobs)), True)
        raise
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
