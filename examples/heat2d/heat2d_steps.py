#!/usr/bin/python3
"""heat2d-analytics in Python with plain steps (no callbacks): for every published
iteration of heat2d's temperature field, mean / min / max, the mean time derivative
since the previous published iteration and a 16-bin histogram over [0, 100], as CSV
(the same output as heat2d-analytics and heat2d_analytics.py), reading the field
and the simulation time together through a StepGroup.

    scripts/sluice-mpirun -np 2 build/examples/heat2d/heat2d : \\
        -np 1 /usr/bin/python3 examples/heat2d/heat2d_steps.py --out heat2d.csv

(PYTHONPATH=build/python when sluice is not installed.) One analytics process: it
reads the whole field. Read in place, nothing is copied: step.array() is a view into
the producer's slot when one block holds the field, and with several simulation
ranks each block's own view (step.blocks()) is used. Only the mean of the previous
iteration is kept: the mean of (T_k - T_p) / (t_k - t_p) over the same cells is
(mean T_k - mean T_p) / (t_k - t_p).
"""
import argparse
import math
import sys
import time as clock

import numpy as np

BINS = 16
RANGE = (0.0, 100.0)
WIDTH = (RANGE[1] - RANGE[0]) / BINS  # 6.25: bins start at RANGE[0] = 0


def arrays_of(step):
    """Views of the step's data: the whole selection when one block holds it (or a
    copy when the step was pulled), else one view per producer block."""
    if step.in_place:
        blocks = step.blocks()
        if len(blocks) > 1:
            return [b["array"] for b in blocks]
    return [step.array()]


CHUNK = 1 << 17  # elements per pass: every statistic of a chunk is computed while it is in cache


def statistics(arrays):
    """(sum, count, min, max, histogram) over the arrays together, a band of rows at a
    time. Bins as numpy.histogram(range=(0, 100), bins=16): floor(v / 100 * 16), 100 in
    the last bin, values outside [0, 100] left out (a band holding some goes through
    numpy.histogram itself)."""
    total = 0.0
    count = 0
    lo = math.inf
    hi = -math.inf
    hist = np.zeros(BINS + 1, dtype=np.int64)
    for a in arrays:
        if not a.size:
            continue
        if a.ndim != 2:
            a = a.reshape(1, -1) if a.ndim < 2 else a.reshape(-1, a.shape[-1])
        rows = max(1, CHUNK // max(1, a.shape[1]))
        index = np.empty((rows, a.shape[1]), dtype=np.intp)
        count += a.size
        for r in range(0, a.shape[0], rows):
            band = a[r:r + rows]
            n = band.shape[0]
            total += float(np.add.reduce(band, axis=None))
            band_lo = float(band.min())
            band_hi = float(band.max())
            lo = min(lo, band_lo)
            hi = max(hi, band_hi)
            if band_lo < RANGE[0] or band_hi > RANGE[1]:
                hist[:BINS] += np.histogram(band, bins=BINS, range=RANGE)[0]
                continue
            # v / 100 * 16 rounds as v / 6.25 does (16 is a power of two): one division,
            # truncated to an integer (floor: every value is >= 0) on the way out.
            i = index[:n]
            np.divide(band, WIDTH, out=i, casting="unsafe")
            hist += np.bincount(i.ravel(), minlength=BINS + 1)
    hist[BINS - 1] += hist[BINS]  # 100 itself: the last bin is closed
    return total, count, lo, hi, hist[:BINS]


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
    previous = None  # (time, mean, shape, selection start) of the previous iteration
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
            where = (field.shape, field.selection_start)
            in_place += field.in_place
            total, count, lo, hi, hist = statistics(arrays_of(field))
        rows += 1
        if not count:
            previous = None
            continue
        mean = total / count
        dtdt = math.nan
        # dT/dt compares the same cells only (steering may narrow the exposed region).
        if previous is not None and previous[2:] == where:
            dtdt = (mean - previous[1]) / (t_now - previous[0])
        previous = (t_now, mean) + where
        out.write(",".join([str(steps.iteration)] +
                           [format(x, ".17g") for x in (mean, lo, hi, dtdt)] +
                           [str(int(c)) for c in hist]) + "\n")
    seconds = clock.perf_counter() - started
    out.flush()
    if out is not sys.stdout:
        out.close()
    print(f"heat2d_steps.py: {rows} iterations analysed in {seconds:.3f} s, "
          f"{in_place} steps read in place", file=sys.stderr)


if __name__ == "__main__":
    main()
