#!/usr/bin/python3
"""heat2d-analytics in Python with plain steps (no callbacks): for every published
iteration of heat2d's temperature field, mean / min / max, the mean time derivative
since the previous published iteration and a 16-bin histogram over [0, 100], as CSV
(the same output as heat2d-analytics and heat2d_analytics.py), reading the field
and the simulation time together through a StepGroup.

    scripts/sluice-mpirun -np 2 build/examples/heat2d/heat2d : \\
        -np 1 /usr/bin/python3 examples/heat2d/heat2d_steps.py --out heat2d.csv

(PYTHONPATH=build/python when sluice is not installed.) One analytics process: it
reads the whole field. sluice.step_statistics computes everything in one pass over
the step where it lies (read in place: the producers' slots, nothing copied),
comparing with and then overwriting this process's copy of the previous iteration.
"""
import argparse
import math
import sys
import time as clock

import numpy as np

BINS = 16
RANGE = (0.0, 100.0)


def main():
    parser = argparse.ArgumentParser(
        description="Statistics of heat2d's temperature field per published iteration, as "
        "CSV: iteration,mean,min,max,dTdt_mean,hist0..hist15 (bins of width 6.25 over "
        "[0, 100], the last closed on both sides), read with plain steps. Run in one MPMD "
        "job with heat2d.")
    parser.add_argument("--out", default="-", help="the CSV file ('-': standard output)")
    args = parser.parse_args()
    out = sys.stdout if args.out == "-" else open(args.out, "w")

    import sluice  # after --help: nothing of MPI before it is needed

    consumer = sluice.Consumer()
    temperature = consumer.subscribe("temperature")
    time = consumer.subscribe_value("time")
    group = sluice.StepGroup([time, temperature])  # iterations both streams have

    out.write("iteration,mean,min,max,dTdt_mean," + ",".join(f"hist{b}" for b in range(BINS)) +
              "\n")
    previous = None  # (time, shape, selection start) of the previous iteration
    before = None    # its values, row-major over the selection
    rows = 0
    in_place = 0
    started = clock.perf_counter()
    while True:
        steps = group.next(timeout=600)
        if steps.status == sluice.Status.end_of_stream:
            break
        if not steps.ok:
            raise sluice.Error("reading time and temperature: " + (
                steps.error if steps.status == sluice.Status.error
                else "no iteration within 10 minutes"))
        with steps:  # the slots are returned to the producers at the end of the block
            t_now = steps[0].value()
            field = steps[1]
            where = (tuple(field.shape), field.selection_start)
            in_place += field.in_place
            # dT/dt compares the same cells only (steering may narrow the exposed region).
            comparable = previous is not None and previous[1:] == where
            if not comparable:
                before = np.empty(where[0], dtype=np.float64)
            s = sluice.step_statistics(field, previous=before, compare=comparable, range=RANGE,
                                       bins=BINS)
        rows += 1
        if not s["count"]:
            previous = None
            continue
        dtdt = math.nan
        if comparable and s["change_count"]:
            dtdt = s["change_sum"] / s["change_count"] / (t_now - previous[0])
        previous = (t_now,) + where
        out.write(",".join([str(steps.iteration)] +
                           [format(x, ".17g") for x in (s["mean"], s["min"], s["max"], dtdt)] +
                           [str(int(c)) for c in s["histogram"]]) + "\n")
    seconds = clock.perf_counter() - started
    out.flush()
    if out is not sys.stdout:
        out.close()
    print(f"heat2d_steps.py: {rows} iterations analysed in {seconds:.3f} s, "
          f"{in_place} steps read in place", file=sys.stderr)


if __name__ == "__main__":
    main()
