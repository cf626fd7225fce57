#!/usr/bin/python3
"""Runs the external-reader wake-up benchmark: clock_producer in an MPI job commits its
clock every millisecond; bm_tap_wake, outside the job, waits for each iteration and
reports how long after the commit it woke (target: median at most 100 us).

usage: tap_wake.py MPIRUN CLOCK_PRODUCER BM_TAP_WAKE [SAMPLES]
"""
import os
import subprocess
import sys
import tempfile
import time


def main():
    mpirun, producer, reader = sys.argv[1:4]
    samples = sys.argv[4] if len(sys.argv) > 4 else "2000"
    with tempfile.TemporaryDirectory() as tmp:
        job_file = os.path.join(tmp, "job")
        job = subprocess.Popen([mpirun, "-np", "1", producer, "--job-file", job_file,
                                "--iterations", str(int(samples) + 500), "--period-us", "1000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not os.path.exists(job_file) and time.time() < deadline:
            time.sleep(0.02)
        done = subprocess.run([reader, "--job", open(job_file).read().strip(),
                               "--samples", samples], capture_output=True, text=True)
        print(done.stdout.strip(), done.stderr.strip())
        job.wait()
        line = done.stdout
        if "median" in line:
            median = float(line.split("median ")[1].split(" us")[0])
            print(f"target median <= 100 us: {'PASS' if median <= 100 else 'MISS'}")
        sys.exit(done.returncode)


if __name__ == "__main__":
    main()
