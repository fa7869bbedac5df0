"""The local backend: points run as cimsim processes, at most N at a time.

Threads only wait on child processes, so the pool costs nothing while cimsim works. The
children stay in the sweep's process group: Ctrl-C or killing the group stops them too.
"""
import concurrent.futures
import threading
import time

from .points import FAILED, OK, run_task, task_for


class Interrupted(Exception):
    pass


def run_local(spec, todo, out_dir, cimsim, jobs, timeout, progress, on_result=None):
    """Runs the points in `todo`; returns {point id: (state, exit_code, error)}.

    progress(point, state, exit_code, error, seconds) is called as each point ends. On
    KeyboardInterrupt (Ctrl-C or SIGTERM) the running points are stopped, not recorded as
    failed, and Interrupted is raised."""
    results = {}
    stopping = threading.Event()
    running = set()
    lock = threading.Lock()

    def one(point):
        if stopping.is_set():
            return None
        start = time.monotonic()
        state, code, error = run_task(task_for(spec, point, out_dir), cimsim, timeout,
                                      registry=running,
                                      should_record=lambda rc: not stopping.is_set())
        return point, state, code, error, time.monotonic() - start

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    futures = [pool.submit(one, p) for p in todo]
    try:
        for fut in concurrent.futures.as_completed(futures):
            res = fut.result()
            if res is None:
                continue
            point, state, code, error, seconds = res
            if stopping.is_set() and state == FAILED:
                continue
            with lock:
                results[point.id] = (state, code, error)
            progress(point, state, code, error, seconds)
            if on_result is not None:
                on_result()
    except KeyboardInterrupt:
        stopping.set()
        for fut in futures:
            fut.cancel()
        for proc in list(running):
            try:
                proc.terminate()
            except OSError:
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        raise Interrupted() from None
    pool.shutdown(wait=True)
    return results


__all__ = ["run_local", "Interrupted", "OK", "FAILED"]
