#!/usr/bin/python3
"""step.array() on a step read in place must cost the same whatever the field's size
(a view into the producer's slot, no copy): median time of many step.array() calls
on one held step of heat2d's temperature (one simulation rank, so that one block
holds the field) from 64 KiB to 64 MiB, and step.array(copy=True) for comparison.

    PYTHONPATH=build/python bench/python/array_view.py scripts/sluice-mpirun \\
        build/examples/heat2d/heat2d [--python /usr/bin/python3] [--calls 2000]

Each size is one MPMD job: heat2d (1 rank, a few iterations) and this script as its
analytics process (--reader).
"""
import argparse
import statistics
import subprocess
import sys
import time

SIZES = {"64 KiB": (64, 128), "1 MiB": (256, 512), "16 MiB": (1024, 2048),
         "64 MiB": (2048, 4096)}


def reader(calls):
    import sluice
    temperature = sluice.Consumer().subscribe("temperature")
    measured = False
    while True:
        step = temperature.next(timeout=600)
        if step.status == sluice.Status.end_of_stream:
            break
        if not step.ok or measured:
            continue
        with step:
            assert step.in_place, "the step was not read in place"
            view = step.array()
            assert not view.flags.owndata
            samples = []
            for _ in range(calls):
                t0 = time.perf_counter_ns()
                step.array()
                samples.append(time.perf_counter_ns() - t0)
            copies = []
            for _ in range(max(3, min(calls, 20))):
                t0 = time.perf_counter_ns()
                step.array(copy=True)
                copies.append(time.perf_counter_ns() - t0)
            print(f"RESULT {view.nbytes} {statistics.median(samples)} {statistics.median(copies)}",
                  flush=True)
        measured = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mpirun", nargs="?")
    parser.add_argument("heat2d", nargs="?")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--reader", action="store_true", help="(the job's analytics process)")
    a = parser.parse_args()
    if a.reader:
        reader(a.calls)
        return
    print(f"step.array() on an in-place step, median of {a.calls} calls")
    results = []
    for name, (nx, ny) in SIZES.items():
        job = subprocess.run([a.mpirun, "-np", "1", a.heat2d, "--nx", str(nx), "--ny", str(ny),
                              "--iters", "3", ":", "-np", "1", a.python, __file__, "--reader",
                              "--calls", str(a.calls)],
                             capture_output=True, text=True, timeout=600)
        line = [x for x in job.stdout.splitlines() if x.startswith("RESULT")]
        if job.returncode != 0 or not line:
            raise SystemExit(f"{name}: job failed ({job.returncode}):\n{job.stdout}{job.stderr}")
        nbytes, view_ns, copy_ns = (float(x) for x in line[0].split()[1:])
        results.append(view_ns)
        print(f"  {name:>7} ({nx} x {ny}, {int(nbytes)} bytes): array() {view_ns / 1e3:7.2f} us, "
              f"array(copy=True) {copy_ns / 1e3:9.1f} us")
    print(f"largest / smallest array(): {max(results) / min(results):.2f}")


if __name__ == "__main__":
    main()
