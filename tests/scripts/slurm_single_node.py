#!/usr/bin/python3
"""A real single-node Slurm for tests (munge + slurmctld + slurmd from Debian's slurm-wlm),
started from a temporary slurm.conf and state directory and always stopped again.

    with SingleNodeSlurm() as slurm:        # raises SlurmUnavailable with a clear message
        subprocess.run(["sbatch", ...], env=slurm.env)

Or by hand, to try the sweep backend:
    slurm_single_node.py run -- scripts/sweep.py SPEC --backend slurm

How it starts (see /work/shared/notes/slurm-single-node.md): /run/munge is created, munged
started as user munge unless one already answers (then it is reused and left running),
slurmctld and slurmd run in the foreground (-D) in their own sessions with SLURM_CONF pointing
at the temporary config, on free TCP ports so they cannot collide with another cluster on the
machine. A watchdog process stops the daemons if the process that started them dies without
stopping them (a test killed by its timeout), so no daemon outlives its test.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BINARIES = ("munged", "munge", "unmunge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo",
            "scontrol")
MUNGE_SOCKET = "/run/munge/munge.socket.2"
MUNGE_PIDFILE = "/run/munge/munged.pid"

CONF = """ClusterName=cimsim-test
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation={state}/state
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
MinJobAge=30
NodeName={host} CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class SlurmUnavailable(Exception):
    pass


def _which(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class SingleNodeSlurm:
    def __init__(self, root=None):
        self.root = root
        self.procs = {}
        self.munged_pid = None
        self.watchdog = None
        self.env = None
        self._own_root = root is None

    # ---- start ---------------------------------------------------------------------------

    def start(self, timeout=60):
        missing = [b for b in BINARIES if _which(b) is None]
        if missing:
            raise SlurmUnavailable(
                "Slurm test needs %s, not found. Install them: scripts/setup.sh --test-deps "
                "(apt-get install slurm-wlm munge)" % ", ".join(missing))
        if os.geteuid() != 0:
            raise SlurmUnavailable("starting slurmctld/slurmd/munged needs root (the test "
                                   "runs as uid %d)" % os.geteuid())
        if self.root is None:
            self.root = tempfile.mkdtemp(prefix="cimsim-slurm-")
        for sub in ("state", "spool"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        self.host = socket.gethostname().split(".")[0]
        self._ensure_host_resolves()
        self.conf = os.path.join(self.root, "slurm.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(host=self.host, state=self.root, cpus=os.cpu_count() or 1,
                                ctld_port=_free_port(), slurmd_port=_free_port()))
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        try:
            self._start_munge()
            self._start_watchdog()
            for daemon in ("slurmctld", "slurmd"):
                log = open(os.path.join(self.root, daemon + ".stdout"), "wb")
                self.procs[daemon] = subprocess.Popen(
                    [_which(daemon), "-D"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True)
                log.close()
                self._update_watchdog()
            self._wait_idle(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _ensure_host_resolves(self):
        try:
            socket.gethostbyname(self.host)
        except OSError:
            with open("/etc/hosts", "a") as f:
                f.write("127.0.0.1 %s\n" % self.host)

    def _munge_answers(self):
        if not os.path.exists(MUNGE_SOCKET):
            return False
        try:
            enc = subprocess.run([_which("munge"), "-n"], capture_output=True, timeout=10)
            if enc.returncode != 0:
                return False
            dec = subprocess.run([_which("unmunge")], input=enc.stdout, capture_output=True,
                                 timeout=10)
            return dec.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def _start_munge(self):
        if self._munge_answers():
            return  # someone else's munged: use it, leave it running
        os.makedirs("/run/munge", exist_ok=True)
        subprocess.run(["chown", "munge:munge", "/run/munge"], check=False)
        key = "/etc/munge/munge.key"
        if not os.path.exists(key):
            subprocess.run(["mungekey", "--create", "--force"], check=True,
                           capture_output=True)
            subprocess.run(["chown", "munge:munge", key], check=True)
            os.chmod(key, 0o400)
        for stale in (MUNGE_SOCKET, MUNGE_SOCKET + ".lock", MUNGE_PIDFILE):
            if os.path.exists(stale):
                try:
                    os.unlink(stale)
                except OSError:
                    pass
        res = subprocess.run(["su", "-s", "/bin/sh", "munge", "-c", _which("munged")],
                             capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            raise SlurmUnavailable("munged did not start: %s" % (res.stderr.strip() or res.stdout))
        end = time.monotonic() + 10
        while time.monotonic() < end and not self._munge_answers():
            time.sleep(0.05)
        if not self._munge_answers():
            raise SlurmUnavailable("munged started but %s does not answer" % MUNGE_SOCKET)
        try:
            with open(MUNGE_PIDFILE) as f:
                self.munged_pid = int(f.read().strip())
        except (OSError, ValueError):
            self.munged_pid = None

    def _pids(self):
        pids = [p.pid for p in self.procs.values()]
        if self.munged_pid:
            pids.append(self.munged_pid)
        return pids

    def _start_watchdog(self):
        self._update_watchdog()

    def _update_watchdog(self):
        """A shell loop that outlives us only to stop the daemons if we die first."""
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
        pids = " ".join(str(p) for p in self._pids())
        if not pids:
            self.watchdog = None
            return
        script = ("while kill -0 %d 2>/dev/null; do sleep 1; done; kill %s 2>/dev/null; "
                  "sleep 3; kill -9 %s 2>/dev/null" % (os.getpid(), pids, pids))
        self.watchdog = subprocess.Popen(["/bin/sh", "-c", script], start_new_session=True,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)

    def _wait_idle(self, timeout):
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise SlurmUnavailable("%s exited with %s while starting: %s"
                                           % (name, p.returncode, self.log_tail(name)))
            res = subprocess.run([_which("sinfo"), "-h", "-o", "%t"], env=self.env,
                                 capture_output=True, text=True, timeout=10)
            last = (res.stdout + res.stderr).strip()
            if res.returncode == 0 and last.split() and all(s == "idle" for s in last.split()):
                return
            time.sleep(0.2)
        raise SlurmUnavailable("Slurm node not idle after %d s (sinfo: %r); slurmctld: %s; "
                               "slurmd: %s" % (timeout, last, self.log_tail("slurmctld"),
                                               self.log_tail("slurmd")))

    def log_tail(self, daemon, lines=5):
        out = []
        for name in (daemon + ".log", daemon + ".stdout"):
            try:
                with open(os.path.join(self.root, name), errors="replace") as f:
                    out += f.read().splitlines()[-lines:]
            except OSError:
                pass
        return " | ".join(out[-lines:]) or "(no log)"

    # ---- stop ----------------------------------------------------------------------------

    def stop(self):
        for name in ("slurmd", "slurmctld"):
            p = self.procs.pop(name, None)
            if p is None:
                continue
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.munged_pid and _pid_alive(self.munged_pid):
            os.kill(self.munged_pid, signal.SIGTERM)
            end = time.monotonic() + 5
            while time.monotonic() < end and _pid_alive(self.munged_pid):
                time.sleep(0.05)
            if _pid_alive(self.munged_pid):
                os.kill(self.munged_pid, signal.SIGKILL)
        self.munged_pid = None
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
            self.watchdog = None
        if self._own_root and self.root and os.environ.get("CIMSIM_KEEP_SLURM_DIR") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def main(argv):
    if len(argv) < 2 or argv[0] != "run" or argv[1] != "--":
        print("usage: slurm_single_node.py run -- COMMAND [ARGS...]\n"
              "starts a single-node Slurm, runs COMMAND with SLURM_CONF set, stops Slurm",
              file=sys.stderr)
        return 2
    try:
        with SingleNodeSlurm() as slurm:
            return subprocess.run(argv[2:], env=slurm.env).returncode
    except SlurmUnavailable as e:
        print("slurm_single_node: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
