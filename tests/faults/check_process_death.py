#!/usr/bin/python3
"""The simulation survives the death of any process that is not a simulation rank.

Runs the main job (heat2d on 2 ranks, a scheduler, the steering server, heat2d-analytics
writing its CSV, and a sluice-tap watching from outside the job) under
`sluice-mpirun --enable-recovery`, kills one process with SIGKILL once the CSV has
rows, and asserts the documented outcome of each row of the fault table:

  killed                 outcome
  analytics              the simulation runs every iteration and the job ends; one
                         message names the dead process; the CSV ends on a whole row
  scheduler              the same; the analytics ends with an error naming the scheduler
                         that ran its graph
  steering server        the same; the analytics gets every iteration
  sluice-tap (outside)   nothing changes for the job (a tap never holds a producer)
  the job's /dev/shm     a tap reading goes on (its mapping stays), a new tap says the
  segments, removed      job is not there (exit 3); nothing changes for the job
  under a running tap
  a simulation rank      every process ends at once, one message names it (the
                         simulation cannot go on without it)

In every row: no hang (each job has a deadline), no process of the job left, none of
its /dev/shm segments left.

usage: check_process_death.py MPIRUN HEAT2D SCHEDULER STEERING_SERVER ANALYTICS TAP
                              [ROW...]
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

ITERATIONS = 3000
BINS = 16
ROWS = ["analytics", "scheduler", "steering server", "tap", "segments removed",
        "simulation rank"]


def fail(row, why, log=""):
    sys.stderr.write(f"FAIL [{row}]: {why}\n")
    if log:
        sys.stderr.write("---- job output ----\n" + log + "\n")
    sys.exit(1)


def rows_of(path):
    try:
        with open(path) as file:
            return file.read()
    except FileNotFoundError:
        return ""


def pids_of(program):
    """Processes whose command line starts with `program` (not mpirun, whose arguments
    name every program)."""
    found = subprocess.run(["pgrep", "-f", "^" + program + "( |$)"], capture_output=True,
                           text=True)
    return [int(pid) for pid in found.stdout.split()]


def run_row(row, mpirun, heat2d, scheduler, server, analytics, tap):
    with tempfile.TemporaryDirectory(prefix="sluice-death-") as scratch:
        out = os.path.join(scratch, "out.csv")
        port = os.path.join(scratch, "port")
        # Only a death may end a wait; the job's own name, for sluice-tap (other jobs
        # may run on the node).
        job_id = f"death{os.getpid() % 10000000}"
        env = dict(os.environ, SLUICE_READER_LEASE="inf", SLUICE_JOB_ID=job_id)
        job = subprocess.Popen(
            [mpirun, "--enable-recovery",
             "-np", "2", heat2d, "--nx", "256", "--ny", "256", "--iters", str(ITERATIONS), ":",
             "-np", "1", scheduler, ":",
             "-np", "1", server, "--port-file", port, ":",
             "-np", "1", analytics, "--out", out],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            start_new_session=True)
        watcher = None
        try:
            deadline = time.monotonic() + 120
            while rows_of(out).count("\n") < 30:
                if job.poll() is not None or time.monotonic() > deadline:
                    fail(row, "the job ended or stalled before the CSV had 30 rows",
                         job.communicate()[0] if job.poll() is not None else "")
                time.sleep(0.02)
            if row in ("tap", "segments removed"):
                watcher = subprocess.Popen([tap, "--job", job_id, "watch", "temperature"],
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           text=True)
                time.sleep(0.3)  # reading
                victims = [watcher.pid] if row == "tap" else []
            if row == "segments removed":
                segments = [name for name in os.listdir("/dev/shm")
                            if name == f"sluice-{job_id}" or name.startswith(f"sluice-{job_id}-")]
                if not segments:
                    fail(row, f"no /dev/shm segment of job {job_id}")
                for name in segments:
                    os.unlink(os.path.join("/dev/shm", name))
                time.sleep(0.3)
                if watcher.poll() is not None:
                    fail(row, "the running tap ended when the segments were removed",
                         watcher.communicate()[0])
                late = subprocess.run([tap, "--job", job_id, "stats", "temperature"],
                                      capture_output=True, text=True)
                if late.returncode != 3 or job_id not in late.stderr:
                    fail(row, f"a new tap: exit {late.returncode}, {late.stderr!r}")
            elif row != "tap":
                program = {"analytics": analytics, "scheduler": scheduler,
                           "steering server": server, "simulation rank": heat2d}[row]
                victims = pids_of(program)
                if not victims:
                    fail(row, f"no process of {program} found to kill")
                victims = victims[-1:]  # one simulation rank, not both
            rows_when_killed = rows_of(out).count("\n")
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            try:
                log, _ = job.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                fail(row, "the job did not end within 90 s of the kill (a hang)")
            took = time.monotonic() - killed_at
        finally:
            if job.poll() is None:
                os.killpg(job.pid, signal.SIGKILL)
                job.wait()
            if watcher is not None and watcher.poll() is None:
                watcher.kill()
                watcher.wait()
        left = [pid for program in (heat2d, scheduler, server, analytics)
                for pid in pids_of(program)]
        if left:
            fail(row, f"processes of the job left after it ended: {left}", log)
        segments = [name for name in os.listdir("/dev/shm")
                    if name == f"sluice-{job_id}" or name.startswith(f"sluice-{job_id}-")]
        if segments:
            fail(row, f"the job's /dev/shm segments were left behind: {segments}", log)
        csv = rows_of(out)
        if csv and not csv.endswith("\n"):
            fail(row, "the CSV ends in the middle of a row", log)
        lines = csv.splitlines()
        for line in lines[1:]:
            if len(line.split(",")) != 5 + BINS:
                fail(row, f"a CSV row is not whole: {line!r}", log)
        completed = f"{ITERATIONS} iterations in" in log
        gone_lines = [line for line in log.splitlines() if "is gone (killed or crashed)" in line
                      and "] " in line and "rank" in line and "pid" in line]

        if row == "simulation rank":
            if completed:
                fail(row, "the simulation completed although one of its ranks was killed", log)
            if len(gone_lines) != 1 or "simulation rank 1" not in gone_lines[0] \
                    or "cannot go on" not in gone_lines[0]:
                fail(row, "expected one message naming simulation rank 1", log)
            if took > 30:
                fail(row, f"the job took {took:.1f} s to end after the kill", log)
            return f"job ended {took:.1f} s after the kill, CSV {len(lines) - 1} whole rows"

        if not completed:
            fail(row, "the simulation did not run all its iterations", log)
        if row == "segments removed":
            watched = watcher.communicate()[0] if watcher.poll() is not None else ""
            if gone_lines or len(lines) != ITERATIONS + 2:
                fail(row, f"the job changed: {len(lines) - 1} rows, {gone_lines}", log)
            return (f"all {ITERATIONS + 1} rows; the running tap went on "
                    f"({watched.count(chr(10))} lines), a new one got exit 3")
        if row == "tap":
            if gone_lines:
                fail(row, "a tap is outside the job: nothing of the job is gone", log)
            if len(lines) != ITERATIONS + 2:
                fail(row, f"the analytics wrote {len(lines) - 1} rows, not {ITERATIONS + 1}", log)
            return f"all {ITERATIONS + 1} rows, tap killed after {rows_when_killed} rows"
        role = {"analytics": "analytics rank 0", "scheduler": "scheduler rank 0",
                "steering server": "service rank 0"}[row]
        if len(gone_lines) != 1 or role not in gone_lines[0]:
            fail(row, f"expected one message naming {role}, got {gone_lines}", log)
        if row == "steering server" and len(lines) != ITERATIONS + 2:
            fail(row, f"the analytics wrote {len(lines) - 1} rows, not {ITERATIONS + 1}", log)
        if row == "scheduler":
            if "heat2d-analytics: running graph 'heat2d' on the scheduler ring: scheduler " \
                    "world rank" not in log:
                fail(row, "the analytics did not say that its graph's scheduler is gone", log)
        if row == "analytics" and len(lines) - 1 > ITERATIONS:
            fail(row, "the analytics wrote every row although it was killed", log)
        return (f"simulation completed, job ended {took:.1f} s after the kill, "
                f"CSV {len(lines) - 1} whole rows")


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    programs = sys.argv[1:7]
    rows = sys.argv[7:] or ROWS
    for row in rows:
        if row not in ROWS:
            sys.exit(f"no row '{row}' (one of: {', '.join(ROWS)})")
        print(f"[{row}] {run_row(row, *programs)}", flush=True)
    print(f"{len(rows)} rows passed")


if __name__ == "__main__":
    main()
