#!/usr/bin/python3
"""heat2d-analytics in Python: for every published iteration of heat2d's temperature
field, mean / min / max, the mean time derivative since the previous published
iteration and a 16-bin histogram over [0, 100], as CSV (the C++ heat2d-analytics'
output, DESIGN.md section 7), with sluice's callback API and numpy.

    scripts/sluice-mpirun -np 2 build/examples/heat2d/heat2d : \\
        -np 1 /usr/bin/python3 examples/heat2d/heat2d_analytics.py --out heat2d.csv

(PYTHONPATH=build/python when sluice is not installed.) One analytics process: it
reads the whole field.
"""
import argparse
import math
import sys
import time as clock

import numpy as np


def row(iteration, field, dtdt):
    hist, _ = np.histogram(field, bins=16, range=(0.0, 100.0))  # last bin closed
    numbers = [float(field.mean()), float(field.min()), float(field.max()), dtdt]
    return ",".join([str(iteration)] + [format(x, ".17g") for x in numbers] +
                    [str(int(c)) for c in hist]) + "\n"


def main():
    parser = argparse.ArgumentParser(
        description="Statistics of heat2d's temperature field per published iteration, as "
        "CSV: iteration,mean,min,max,dTdt_mean,hist0..hist15 (bins of width 6.25 over "
        "[0, 100], the last closed on both sides). Run in one MPMD job with heat2d.")
    parser.add_argument("--out", default="-", help="the CSV file ('-': standard output)")
    args = parser.parse_args()
    out = sys.stdout if args.out == "-" else open(args.out, "w")

    import sluice  # after --help: nothing of MPI before it is needed

    out.write("iteration,mean,min,max,dTdt_mean," + ",".join(f"hist{b}" for b in range(16)) +
              "\n")

    @sluice.register(sluice.Window("temperature", size=2), sluice.Window("time", size=2),
                     when="AND")
    def statistics(temperature, time, iteration):
        field = temperature[-1]
        dtdt = math.nan
        # dT/dt compares the same cells only (steering may narrow the exposed region).
        if len(temperature) == 2 and temperature[0].shape == field.shape and field.size:
            dtdt = float(np.mean((field - temperature[0]) / (time[1] - time[0])))
        if field.size:
            out.write(row(iteration, field, dtdt))

    started = clock.perf_counter()
    summary = sluice.run()
    seconds = clock.perf_counter() - started
    out.flush()
    if out is not sys.stdout:
        out.close()
    failed = sum(s["failures"] for s in summary.values())
    calls = sum(s["calls"] for s in summary.values())
    print(f"heat2d_analytics.py: {calls} iterations analysed in {seconds:.3f} s", file=sys.stderr)
    if failed:
        print(f"heat2d_analytics.py: {failed} iteration(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
