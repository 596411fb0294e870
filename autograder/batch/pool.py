"""Running the grading of many submissions in a process pool with limits: a task that runs past its wall-clock
limit is stopped (TIME_LIMIT_SIGNAL, then SIGKILL), and a pool process that dies costs only the task that killed it.

Stopping from outside: SIGINT (Ctrl-C), SIGTERM (`kill`, Slurm preemption, a Kubernetes eviction) and SIGHUP (a
closed terminal) all mean "stop the batch", whether they reach the main process alone or the whole process group.
The main process (stop_on_signals) raises Stopped, a KeyboardInterrupt, and passes STOP_SIGNAL to every pool
process; a pool process stops its grading on any of them (its `finally`s kill the sandbox), and the main process
waits for that, then kills what is left. The time limit has a signal of its own, which nothing outside sends, so a
SIGTERM to the group is never taken for "this submission ran too long"."""
import concurrent.futures
import multiprocessing
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

TERM_GRACE_S = 10.0           # after a stop or the time limit, how long a pool process gets to clean up before SIGKILL
POLL_S = 0.2
OUTSIDE_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_SIGNAL = signal.SIGTERM                  # what the main process passes on to its pool processes
TIME_LIMIT_SIGNAL = signal.SIGRTMIN + 1       # "this submission ran too long": no scheduler or terminal sends it
BATCH_FLAGS = ("time-limit", "grader-died", "grader-error")   # error rows made by the batch itself: graded again on the next run


class TimeLimitExceeded(BaseException):
    """Raised inside a pool process by TIME_LIMIT_SIGNAL when its submission ran past the batch's time limit. A
    BaseException, so grade_submission does not report it as its own failure, while its `finally`s still clean up
    (the sandboxed worker is stopped, the scratch folder removed)."""


class GradingStopped(BaseException):
    """Raised inside a pool process by SIGINT, SIGTERM or SIGHUP: the batch is stopping. The submission stays
    pending (it is graded on the next run); like TimeLimitExceeded, the grading's `finally`s clean up."""


class Stopped(KeyboardInterrupt):
    """Raised in the main process by SIGTERM or SIGHUP (and SIGINT): stop as Ctrl-C does. `signum` says which."""

    def __init__(self, signum=signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on_signals():
    """In the main process of a command that grades: SIGINT, SIGTERM and SIGHUP raise Stopped. Only the first one:
    later ones are ignored, so that the clean-up (stopping the pool, writing grades.csv) is never cut short."""
    def on_signal(signum, frame):
        for number in OUTSIDE_STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise Stopped(signum)
    for number in OUTSIDE_STOP_SIGNALS:
        signal.signal(number, on_signal)


_started = None      # in a pool process: the queue on which a task says "I started, in this process"
_stopping = None     # in a pool process: the exception that stops the current task, once a signal said so
_in_task = False     # in a pool process: a task is running (a stop between tasks ends the process)


def _pool_init(started):
    global _started
    _started = started

    def on_signal(signum, frame):
        global _stopping
        if not _in_task:        # idle: the batch or the executor is stopping the pool (3.12+ terminates, then joins)
            os._exit(128 + signum)
        if _stopping is not None:
            return              # already stopping: the clean-up runs on
        _stopping = TimeLimitExceeded if signum == TIME_LIMIT_SIGNAL else GradingStopped
        _kill_children(os.getpid(), signal.SIGKILL)      # the sandboxed worker: a hang there ends now
        raise _stopping()
    for number in (*OUTSIDE_STOP_SIGNALS, TIME_LIMIT_SIGNAL):
        signal.signal(number, on_signal)


def _run_task(key, work, args):
    global _stopping, _in_task
    _stopping, _in_task = None, True
    try:
        _started.put((key, os.getpid(), time.time()))
        value = work(*args)
        if _stopping is not None:   # the grading caught the stop somewhere (unittest records errors) and went on
            raise _stopping()
        return value
    finally:
        _in_task = False


def _kill_children(pid, signum):
    """Send `signum` to the process groups of `pid`'s children (a sandboxed worker leads its own session)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stream:
                fields = stream.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            for kill, target in ((os.killpg, int(fields[2])), (os.kill, int(name))):
                try:
                    if target > 1 and (kill is os.kill or target != os.getpgid(0)):
                        kill(target, signum)
                except (ProcessLookupError, PermissionError):
                    pass


def run_in_pool(work, tasks, jobs=None, time_limit=None, on_done=None, grace=TERM_GRACE_S):
    """Run work(*args) for every key, args in `tasks` (a dict) in a process pool that survives its processes.

    Returns {key: (value, None) | (None, (flag, message))}, flag one of BATCH_FLAGS; on_done(key, value, failure)
    is called as each one ends.
    - A pool process that dies (os._exit, a signal, the OOM killer) breaks the pool: the tasks it held are run
      again one at a time in a new pool, and the one that still kills its process gets the message; the others
      are unaffected.
    - A task running longer than `time_limit` seconds (wall clock, from when it started) is sent
      TIME_LIMIT_SIGNAL (raising TimeLimitExceeded in it), then SIGKILL after `grace` seconds, and gets the message.
    - A task stopped by a signal from outside (GradingStopped) gets no outcome: it is pending.
    `work` must be picklable (a module-level function). A KeyboardInterrupt (Ctrl-C, or Stopped) stops every pool
    process (STOP_SIGNAL, then SIGKILL after `grace`), keeps the outcomes of tasks that finished meanwhile, and
    propagates.
    """
    queue = list(tasks)            # not started yet
    suspects = []                  # were running when a pool process died: run again alone
    outcomes = {}

    def finish(key, value, failure=None):
        outcomes[key] = (value, failure)
        if on_done:
            on_done(key, value, failure)

    while queue or suspects:
        alone = not queue
        width = 1 if alone else max(1, jobs or os.cpu_count() or 1)
        context = multiprocessing.get_context()
        started = context.SimpleQueue()
        pool = concurrent.futures.ProcessPoolExecutor(width, mp_context=context, initializer=_pool_init,
                                                      initargs=(started,))
        running, processes, signalled, broken = {}, {}, {}, False
        try:
            while True:
                source = suspects if alone else queue
                while source and len(running) < width and not broken:
                    key = source.pop(0)
                    try:
                        running[pool.submit(_run_task, key, work, tasks[key])] = key
                    except BrokenProcessPool:
                        source.insert(0, key)
                        broken = True
                if broken or not running:
                    break
                done, _ = concurrent.futures.wait(running, timeout=POLL_S,
                                                  return_when=concurrent.futures.FIRST_COMPLETED)
                while not started.empty():
                    key, pid, when = started.get()
                    processes[key] = (pid, when)
                for future in done:
                    key = running.pop(future)
                    try:
                        finish(key, future.result())
                    except BrokenProcessPool:
                        broken = True
                        running[future] = key           # handled with the others below
                    except TimeLimitExceeded:
                        finish(key, None, _over_time(time_limit))
                    except GradingStopped:
                        pass                                    # stopped from outside: pending
                    except Exception as error:
                        finish(key, None, ("grader-error", f"the grading raised {type(error).__name__}: {error}"))
                if broken:
                    break
                now = time.time()
                for key in list(running.values()):
                    if time_limit is None or key not in processes:
                        continue
                    pid, began = processes[key]
                    if key not in signalled and now - began > time_limit:
                        signalled[key] = now
                        _kill(pid, TIME_LIMIT_SIGNAL)
                    elif key in signalled and now - signalled[key] > grace:
                        _kill_children(pid, signal.SIGKILL)
                        _kill(pid, signal.SIGKILL)      # breaks the pool; this task is known to be at fault
            if broken:
                for future, key in running.items():
                    if key in signalled:
                        finish(key, None, _over_time(time_limit))
                    elif key not in processes:
                        queue.insert(0, key) if not alone else suspects.insert(0, key)   # never started
                    elif alone:
                        finish(key, None, ("grader-died", "the process grading this submission died (killed by a "
                                                          "signal, out of memory, or exited)"))
                    else:
                        suspects.append(key)
        except KeyboardInterrupt:
            _stop_running(pool, running, finish, grace)
            raise
        finally:
            _stop_pool(pool)
    return outcomes


def _over_time(limit):
    return "time-limit", f"grading this submission took longer than the batch's limit of {limit:g} s; it was stopped"


def _kill(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _stop_running(pool, running, finish, grace):
    """The batch is stopping: every pool process is told to stop (STOP_SIGNAL: a running grading kills its
    sandbox and ends, an idle process exits) and given `grace` seconds; a grading that finished meanwhile keeps
    its outcome."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            _kill(process.pid, STOP_SIGNAL)
    done, _ = concurrent.futures.wait(running, timeout=grace)
    for future in done:
        try:
            finish(running[future], future.result())
        except BaseException:           # stopped, broken or failed: pending, graded on the next run
            pass


def _stop_pool(pool):
    """Shut a pool down without waiting on a hung or dead process: what is left is killed first. (Python 3.13's
    executor, once a process died, joins the others while holding the lock shutdown() takes: a live one would
    hold both for ever.) A stop signal arriving meanwhile waits until the pool is gone, then raises as usual: a
    half-stopped pool would leave its processes behind."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, OUTSIDE_STOP_SIGNALS)
    try:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
