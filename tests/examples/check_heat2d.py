#!/usr/bin/python3
"""Runs heat2d with heat2d-analytics and checks the CSV against an independent serial
computation on the whole array (numpy), to 1e-9 relative; histogram counts exactly.

usage: check_heat2d.py MPIRUN HEAT2D ANALYTICS --ranks P [--analytics A] --nx N --ny N
                      --iters N --every N --dt X [--interpreter PROGRAM]
                      [--simulation PROGRAM]

With --interpreter, ANALYTICS is a script that PROGRAM runs (the Python analytics:
--interpreter /usr/bin/python3 examples/heat2d/heat2d_analytics.py).
--simulation runs another implementation of heat2d (heat2d-c, heat2d-fortran) in place
of HEAT2D: it must produce the same CSV, checked against the same reference.
"""
import argparse
import csv
import math
import subprocess
import sys
import tempfile

import numpy as np


def reference(nx, ny, iters, every, dt, injections=None):
    """Rows of (iteration, mean, min, max, dTdt_mean, hist[16]) for every published iteration.

    injections: {iteration: (row, col, patch)}, written into the field of that iteration
    once it is computed, as heat2d's steering does.
    """
    injections = injections or {}
    t = np.zeros((nx + 2, ny + 2))
    t[0, 1:-1] = 100.0  # ghost row above global row 0; every other ghost cell stays 0
    rows = []
    previous = None
    for k in range(iters + 1):
        if k > 0:
            c = t[1:-1, 1:-1]
            new = c + dt * ((((t[:-2, 1:-1] + t[2:, 1:-1]) + t[1:-1, :-2]) + t[1:-1, 2:]) - 4.0 * c)
            t[1:-1, 1:-1] = new
        if k in injections:
            i, j, patch = injections[k]
            t[1 + i:1 + i + patch.shape[0], 1 + j:1 + j + patch.shape[1]] = patch
        if k % every:
            continue
        field = t[1:-1, 1:-1].copy()
        if previous is None:
            dtdt = math.nan
        else:
            p, old = previous
            dtdt = float(np.mean((field - old) / ((k - p) * dt)))
        inside = field[(field >= 0.0) & (field <= 100.0)]
        bins = np.floor((inside - 0.0) / 100.0 * 16).astype(np.int64)
        bins[bins == 16] = 15  # the last bin is closed on the right
        hist = np.bincount(bins, minlength=16)
        rows.append((k, float(field.mean()), float(field.min()), float(field.max()), dtdt, list(hist)))
        previous = (k, field)
    return rows


def close(a, b, scale=0.0):
    """Equal to 1e-9, relative to the larger of a, b and `scale`: the magnitude of what the
    value was computed from (dT/dt near the steady state is a mean of differences of
    nearly equal temperatures, so its own magnitude says nothing of its rounding)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b), scale)


def dtdt_scale(lo, hi, dt):
    """The magnitude of the terms whose mean dT/dt is: a temperature over a time step."""
    return max(abs(lo), abs(hi)) / dt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mpirun")
    parser.add_argument("heat2d")
    parser.add_argument("analytics_program")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--analytics", type=int, default=1, help="heat2d-analytics ranks")
    parser.add_argument("--nx", type=int, default=64)
    parser.add_argument("--ny", type=int, default=48)
    parser.add_argument("--iters", type=int, default=40)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--dt", type=float, default=0.2)
    parser.add_argument("--expect-error", help="the job must fail with this text in its output")
    parser.add_argument("--schedulers", type=int, default=0,
                        help="sluice-scheduler processes in the job (they must not change the CSV)")
    parser.add_argument("--scheduler-program", help="path of sluice-scheduler")
    parser.add_argument("--interpreter", help="the program that runs ANALYTICS (a script)")
    parser.add_argument("--analytics-arg", action="append", default=[],
                        help="an argument for ANALYTICS (repeatable), e.g. --rebuild")
    parser.add_argument("--simulation",
                        help="the simulation program to run instead of HEAT2D (heat2d-c, "
                             "heat2d-fortran): same command line, same streams, same CSV")
    a = parser.parse_args()
    if a.simulation:
        a.heat2d = a.simulation
    analytics = [a.interpreter, a.analytics_program] if a.interpreter else [a.analytics_program]
    analytics += a.analytics_arg

    if a.expect_error:
        sim = [a.heat2d, "--nx", str(a.nx), "--ny", str(a.ny), "--iters", str(a.iters)]
        job = subprocess.run([a.mpirun, "-np", str(a.ranks), *sim, ":", "-np", "1",
                              *analytics],
                             capture_output=True, text=True, timeout=120)
        output = job.stdout + job.stderr
        if job.returncode == 0 or a.expect_error not in output:
            print(f"expected a failure mentioning {a.expect_error!r}, got exit {job.returncode}:")
            print(output)
            sys.exit(1)
        print(f"heat2d refused the job as expected: {a.expect_error!r}")
        return

    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        sim = [a.heat2d, "--nx", str(a.nx), "--ny", str(a.ny), "--iters", str(a.iters),
               "--every", str(a.every), "--dt", repr(a.dt)]
        ring = [":", "-np", str(a.schedulers), a.scheduler_program] if a.schedulers else []
        subprocess.run([a.mpirun, "-np", str(a.ranks), *sim, *ring, ":", "-np", str(a.analytics),
                        *analytics, "--out", out.name], check=True, timeout=600)
        with open(out.name, newline="") as f:
            table = list(csv.reader(f))

    header = ["iteration", "mean", "min", "max", "dTdt_mean"] + [f"hist{i}" for i in range(16)]
    failures = []
    if table[0] != header:
        failures.append(f"header is {table[0]}")
    expected = reference(a.nx, a.ny, a.iters, a.every, a.dt)
    if len(table) - 1 != len(expected):
        failures.append(f"{len(table) - 1} rows, expected {len(expected)}")
    for row, (k, mean, lo, hi, dtdt, hist) in zip(table[1:], expected):
        got = [float(x) for x in row[1:5]]
        if int(row[0]) != k:
            failures.append(f"row for iteration {row[0]}, expected {k}")
            continue
        scales = (0.0, 0.0, 0.0, dtdt_scale(lo, hi, a.dt))
        for name, g, e, scale in zip(("mean", "min", "max", "dTdt_mean"), got,
                                     (mean, lo, hi, dtdt), scales):
            if not close(g, e, scale):
                failures.append(f"iteration {k}: {name} {g!r} != {e!r}")
        if [int(x) for x in row[5:]] != hist:
            failures.append(f"iteration {k}: histogram {row[5:]} != {hist}")
    if failures:
        print("\n".join(failures[:20]))
        sys.exit(1)
    print(f"{a.heat2d} CSV matches the serial reference: {len(expected)} iterations, "
          f"{a.nx} x {a.ny} on {a.ranks} ranks, every {a.every}, {a.analytics} analytics rank(s)")


if __name__ == "__main__":
    main()
