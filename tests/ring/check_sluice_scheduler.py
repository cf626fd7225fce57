#!/usr/bin/python3
"""sluice-scheduler in a job without a simulation: a clear error and a non-zero exit,
never a process that runs forever (unless --no-simulation asks for exactly that).

usage: check_sluice_scheduler.py MPIRUN SCHEDULER
"""
import subprocess
import sys


def main():
    mpirun, scheduler = sys.argv[1:3]
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)
            print("FAIL:", what)

    for command in ([scheduler], [mpirun, "-np", "1", scheduler]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            expect(False, f"{command}: still running after 60 s")
            continue
        output = done.stdout + done.stderr
        expect(done.returncode != 0, f"{command}: exit {done.returncode}")
        expect("sluice-scheduler: starting the sluice runtime: no process declared the role "
               "'simulation'" in output, f"{command}: message {output!r}")
    done = subprocess.run([scheduler, "--help"], capture_output=True, text=True, timeout=30)
    expect(done.returncode == 0 and "--no-simulation" in done.stdout,
           f"--help: exit {done.returncode} {done.stdout!r}")

    print(f"sluice-scheduler without a simulation: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
