#!/usr/bin/python3
"""External readers end to end: processes outside the MPI job tap its streams.

1. A job killed with SIGKILL leaves its segments behind; `sluice-tap list` shows it
   gone, and the next job to start removes them.
2. Two jobs run at once on the node, each with a stream named "field" (different
   values): a reader on each (tap_reader, started by this script, outside MPI) sees
   non-decreasing iterations whose every element is right for its own job, and ends
   with end_of_stream when its job closes.
   Segments are readable by the job's user only, and a reader killed mid-read
   changes nothing for the job or the other readers.
3. `sluice-tap dump` writes a .npy that numpy loads with the right shape, dtype and
   values; bad stream names and regions, a file that cannot be written and a watch
   --count below 1 get their exit codes and messages.
4. A reader attached to a job that is killed reports producer_gone instead of hanging.
5. A graph's derived streams, exposed by a scheduler while the simulation runs
   (tap_producer : sluice-scheduler : tap_graph), are listed and read like the
   simulation's: the row sums and the mean of an iteration, exact; and the job's
   segments go when the scheduler, the node's last producer, ends.
6. Two jobs forced to the same id (SLUICE_JOB_ID): the first keeps it (a tap reads its
   values), the second runs to its end without external readers and says why.

usage: check_external_readers.py MPIRUN TAP_PRODUCER TAP_READER SLUICE_TAP TAP_GRAPH SCHEDULER
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROWS, COLS = 6, 8


def main():
    mpirun, producer, reader, tap, graph_client, scheduler = sys.argv[1:7]
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)
            print("FAIL:", what)

    def start_job(tmp, name, offset, iterations, sleep_us=300, others=(), job_id=None):
        """Starts tap_producer on 2 ranks for `iterations`, or, given None, until stop_job:
        a job the test reads from while it runs (however slow the build) and then ends
        cleanly."""
        job_file = os.path.join(tmp, name + ".job")
        stop_file = os.path.join(tmp, name + ".stop")
        until = (["--iterations", "10000000", "--stop-file", stop_file] if iterations is None
                 else ["--iterations", str(iterations)])
        env = dict(os.environ, **({"SLUICE_JOB_ID": job_id} if job_id else {}))
        proc = subprocess.Popen(
            [mpirun, "-np", "2", producer, "--job-file", job_file, "--offset", str(offset),
             *until, "--sleep-us", str(sleep_us), *others],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.time() + 30
        while not os.path.exists(job_file) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        job = open(job_file).read().strip() if os.path.exists(job_file) else ""
        expect(job == job_id if job_id else len(job) == 12, f"{name}: job id {job!r}")
        proc.job_file = job_file
        proc.stop_file = stop_file
        return proc, job

    def stop_job(proc):
        open(proc.stop_file, "w").close()

    def kill_job(proc):
        """SIGKILL to mpirun and every rank (Open MPI puts ranks in groups of their own)."""
        subprocess.run(["pkill", "-KILL", "-f", proc.job_file], check=False)
        proc.wait()

    def segments(job):
        return sorted(f for f in os.listdir("/dev/shm") if f.startswith("sluice-" + job))

    def run_tap(*args):
        done = subprocess.run([tap, *args], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    with tempfile.TemporaryDirectory() as tmp:
        # 1. A crashed job's segments stay behind...
        crashed, crashed_id = start_job(tmp, "crashed", 0.0, 10_000_000)
        expect(segments(crashed_id) == [f"sluice-{crashed_id}", f"sluice-{crashed_id}-0"],
               f"segments of a running job: {segments(crashed_id)}")
        kill_job(crashed)
        time.sleep(0.2)
        code, out, _ = run_tap("list")
        expect(code == 0 and f"job {crashed_id}" in out and "gone (stale)" in out,
               f"list after the crash: {out!r}")
        expect(len(segments(crashed_id)) == 2, "the killed job's segments remain until a start")

        # 2. ...until the next job starts. Two jobs at once, one reader on each.
        job_a, id_a = start_job(tmp, "a", 0.0, None)
        job_b, id_b = start_job(tmp, "b", 0.5, None)
        expect(segments(crashed_id) == [], f"stale segments after a start: {segments(crashed_id)}")
        expect(id_a != id_b, "two jobs, two ids")
        for segment in segments(id_a):
            mode = os.stat(os.path.join("/dev/shm", segment)).st_mode & 0o777
            expect(mode == 0o600, f"{segment} has mode {oct(mode)}, not 0600")
        readers = [subprocess.Popen([reader, "--job", job, "--offset", offset, "--min-reads", "20"],
                                    stdout=subprocess.PIPE, text=True)
                   for job, offset in ((id_a, "0"), (id_b, "0.5"))]
        # A reader killed in the middle of its reads: nothing changes for the job.
        victim = subprocess.Popen([reader, "--job", id_a], stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        victim.kill()
        victim.wait()

        # 3. sluice-tap while they run.
        code, out, err = run_tap("stats", "field")
        expect(code == 3 and "several sluice jobs" in err, f"stats without --job: {code} {err!r}")
        dump = os.path.join(tmp, "field.npy")
        code, out, err = run_tap("--job", id_a, "dump", "field", dump, "--region", "1:5,2:7")
        expect(code == 0, f"dump: exit {code} {err!r}")
        if code == 0:
            a = np.load(dump)
            k = int(out.split()[1])  # "iteration K of ..."
            i, j = np.meshgrid(np.arange(1, 5), np.arange(2, 7), indexing="ij")
            expect(a.shape == (4, 5) and a.dtype == np.float64
                   and np.array_equal(a, k * 1000.0 + i * COLS + j),
                   f"dump holds {a.dtype} {a.shape}, iteration {k}: {a}")
        code, _, err = run_tap("--job", id_b, "dump", "nope", dump)
        expect(code == 3 and "its streams: field" in err, f"dump of an unknown stream: {err!r}")
        code, _, err = run_tap("--job", id_b, "dump", "field", dump, "--region", "0:7,0:8")
        expect(code == 6 and "outside" in err, f"dump of a bad region: {code} {err!r}")
        code, _, err = run_tap("--job", "000000000000", "stats", "field")
        expect(code == 3, f"stats of an unknown job: {code} {err!r}")
        # A file that cannot be written: the system's reason, and nothing left behind.
        into = os.path.join(tmp, "into")
        os.mkdir(into)
        code, _, err = run_tap("--job", id_b, "dump", "field", into)
        expect(code == 8 and f"writing {into}: cannot rename {into}.partial to it: Is a "
               "directory" in err and not os.path.exists(into + ".partial"),
               f"dump onto a directory: {code} {err!r}")
        code, _, err = run_tap("--job", id_b, "dump", "field", "/no/such/dir/f.npy")
        expect(code == 8 and "cannot create /no/such/dir/f.npy.partial: No such file or "
               "directory" in err, f"dump into a missing directory: {code} {err!r}")
        code, _, err = run_tap("bogus")
        expect(code == 2 and "unknown command 'bogus'; the commands are list stats dump watch"
               in err, f"an unknown command: {code} {err!r}")
        for count in ("0", "-1"):
            code, out, err = run_tap("--job", id_b, "watch", "field", "--count", count)
            expect(code == 2 and f"takes a whole number of at least 1, not '{count}'" in err
                   and out == "", f"watch --count {count}: {code} {out!r} {err!r}")
        code, out, _ = run_tap("--job", id_b, "watch", "field", "--count", "3")
        lines = out.splitlines()
        expect(code == 0 and len(lines) == 3
               and all(line.startswith("iteration ") for line in lines)
               and int(lines[0].split()[1]) < int(lines[2].split()[1]),
               f"watch: {code} {out!r}")

        for name, job, proc in (("a", id_a, job_a), ("b", id_b, job_b)):
            stop_job(proc)
            out, _ = proc.communicate(timeout=120)
            expect(proc.returncode == 0, f"job {name} exit {proc.returncode}: {out}")
        for name, proc in zip("ab", readers):
            out, _ = proc.communicate(timeout=60)
            print(f"reader {name}: {out.strip()}")
            expect(proc.returncode == 0 and "status end_of_stream" in out,
                   f"reader {name}: exit {proc.returncode} {out!r}")
        expect(segments(id_a) == [] and segments(id_b) == [], "segments left after a clean end")

        # 4. A reader whose job is killed under it.
        doomed, doomed_id = start_job(tmp, "doomed", 0.0, 10_000_000)
        watcher = subprocess.Popen([reader, "--job", doomed_id, "--min-reads", "1"],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        kill_job(doomed)
        try:
            out, _ = watcher.communicate(timeout=30)
            expect("status producer_gone" in out and "wrong 0" in out,
                   f"reader of a killed job: {out!r}")
        except subprocess.TimeoutExpired:
            watcher.kill()
            expect(False, "the reader of a killed job hung")
        # Its segments go at the next start; here, remove them the same way.
        cleaner, _ = start_job(tmp, "cleaner", 0.0, 5)
        cleaner.communicate(timeout=60)
        expect(segments(doomed_id) == [], "the killed job's segments after the next start")

        # 5. Derived streams, exposed by a scheduler while the simulation runs.
        graph_job, graph_id = start_job(tmp, "graph", 0.0, 1500, sleep_us=2000, others=(
            ":", "-np", "1", scheduler, ":", "-np", "1", graph_client))
        listed = ""
        deadline = time.time() + 30
        while time.time() < deadline and "field.mean" not in listed:
            _, listed, _ = run_tap("--job", graph_id, "list")
            time.sleep(0.1)
        expect("field.row_sums" in listed and "field.mean" in listed,
               f"the derived streams are listed: {listed!r}")
        code, out, err = run_tap("--job", graph_id, "dump", "field.row_sums", dump)
        expect(code == 0, f"dump of a derived stream: exit {code} {err!r}")
        if code == 0:
            a = np.load(dump)
            k = int(out.split()[1])
            rows = np.array([sum(k * 1000.0 + i * COLS + j for j in range(COLS))
                             for i in range(ROWS)])
            expect(a.shape == (ROWS,) and np.array_equal(a, rows),
                   f"row sums of iteration {k}: {a}, expected {rows}")
        code, out, err = run_tap("--job", graph_id, "dump", "field.mean", dump)
        expect(code == 0, f"dump of a derived value: exit {code} {err!r}")
        if code == 0:
            a = np.load(dump)
            k = int(out.split()[1])
            expect(a.shape == (1,) and a[0] == k * 1000.0 + (ROWS * COLS - 1) / 2,
                   f"mean of iteration {k}: {a}")
        out, _ = graph_job.communicate(timeout=120)
        expect(graph_job.returncode == 0 and "tap_graph: 1500 iterations, on the ring" in out,
               f"the graph's job: exit {graph_job.returncode} {out[-2000:]}")
        expect(segments(graph_id) == [], f"segments after the graph's job: {segments(graph_id)}")

        # 6. Two jobs given the same id (SLUICE_JOB_ID): the first keeps it, the second
        # runs without external readers and says so; a tap reads the first one's values.
        first, twin = start_job(tmp, "first", 0.0, None, job_id="twin_job")
        second, _ = start_job(tmp, "second", 0.5, 1500, job_id="twin_job")
        code, out, err = run_tap("--job", "twin_job", "dump", "field", dump)
        expect(code == 0, f"dump of the first twin: exit {code} {err!r}")
        if code == 0:
            a = np.load(dump)
            k = int(out.split()[1])
            i, j = np.meshgrid(np.arange(ROWS), np.arange(COLS), indexing="ij")
            expect(np.array_equal(a, k * 1000.0 + i * COLS + j),
                   f"the tap of 'twin_job' reads the first job's values: {a}")
        out_second, _ = second.communicate(timeout=120)
        expect(second.returncode == 0 and "another running job on this node has the id "
               "'twin_job'" in out_second, f"the second twin: exit {second.returncode} "
               f"{out_second[-2000:]}")
        stop_job(first)
        out_first, _ = first.communicate(timeout=120)
        expect(first.returncode == 0 and "another running job" not in out_first,
               f"the first twin: exit {first.returncode} {out_first[-2000:]}")
        expect(segments("twin_job") == [], f"segments after the twins: {segments('twin_job')}")

    print(f"external readers: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
