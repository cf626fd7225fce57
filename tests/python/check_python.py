#!/usr/bin/python3
"""Runs heat2d with a Python analytics process (python_reader.py MODE) in one MPMD job
and checks that it passed and printed what it must.

usage: check_python.py MPIRUN HEAT2D PYTHON READER MODE --ranks P --nx N --ny N --iters N
       [--expect TEXT]...
The environment must let PYTHON import sluice (PYTHONPATH=build/python).
"""
import argparse
import os
import subprocess
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser()
    for name in ("mpirun", "heat2d", "python", "reader", "mode"):
        parser.add_argument(name)
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--nx", type=int, default=16)
    parser.add_argument("--ny", type=int, default=12)
    parser.add_argument("--iters", type=int, default=8)
    parser.add_argument("--expect", action="append", default=[],
                        help="text the job's output must contain")
    parser.add_argument("--server", help="sluice-steering-server: put one in the job, and give "
                        "the reader the file holding its port")
    parser.add_argument("--expect-failure", action="store_true",
                        help="the job must fail (and not hang)")
    parser.add_argument("--needs", help="a Python module the test needs: skipped without it")
    a = parser.parse_args()
    if a.needs and subprocess.run([a.python, "-c", f"import {a.needs}"],
                                  capture_output=True).returncode != 0:
        print(f"{a.python} has no {a.needs}: skipped")
        sys.exit(77)
    sim = [a.heat2d, "--nx", str(a.nx), "--ny", str(a.ny), "--iters", str(a.iters)]
    with tempfile.TemporaryDirectory() as scratch:
        server, port_file = [], []
        if a.server:
            port_file = [os.path.join(scratch, "port")]
            server = [":", "-np", "1", a.server, "--port-file", port_file[0]]
        job = subprocess.run([a.mpirun, "-np", str(a.ranks), *sim, *server, ":", "-np", "1",
                              a.python, a.reader, a.mode, str(a.nx), str(a.ny), str(a.iters),
                              *port_file],
                             capture_output=True, text=True, timeout=240)
    output = job.stdout + job.stderr
    missing = [t for t in a.expect if t not in output]
    if (job.returncode == 0) != (not a.expect_failure) or missing:
        print(output)
        print(f"exit {job.returncode}; missing from the output: {missing}")
        sys.exit(1)
    print(output)


if __name__ == "__main__":
    main()
