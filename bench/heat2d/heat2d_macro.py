#!/usr/bin/python3
"""Macro benchmark: heat2d's simulation time alone, and with heat2d-analytics reading
the whole field, side by side in one run (median of --repeat runs each).

Compared against: the same simulation with no reader. With the default block policy
nothing is lost, so when the analytics are slower than the simulation, the
simulation runs at the analytics' pace; publishing every N-th iteration shows the
cost of exposing alone.

usage: heat2d_macro.py MPIRUN HEAT2D ANALYTICS [--ranks 2] [--nx 1024] [--ny 1024]
                       [--iters 100] [--repeat 3] [--analytics-ranks 1]
"""
import argparse
import re
import statistics
import subprocess


def simulation_seconds(command):
    job = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    found = re.search(r"iterations in ([0-9.]+) s", job.stderr)
    if not found:
        raise SystemExit(f"no timing in heat2d's output:\n{job.stderr}")
    return float(found.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mpirun")
    parser.add_argument("heat2d")
    parser.add_argument("analytics")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--nx", type=int, default=1024)
    parser.add_argument("--ny", type=int, default=1024)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--analytics-ranks", type=int, default=1)
    a = parser.parse_args()

    def sim(every):
        return [a.heat2d, "--nx", str(a.nx), "--ny", str(a.ny), "--iters", str(a.iters),
                "--every", str(every)]

    cases = {"alone": lambda every: [a.mpirun, "-np", str(a.ranks), *sim(every)],
             "with analytics": lambda every: [a.mpirun, "-np", str(a.ranks), *sim(every), ":",
                                              "-np", str(a.analytics_ranks), a.analytics, "--out",
                                              "/dev/null"]}
    print(f"heat2d {a.nx} x {a.ny}, {a.iters} iterations, {a.ranks} simulation ranks, "
          f"{a.analytics_ranks} analytics rank(s); median of {a.repeat}")
    for every in (1, 10):
        times = {}
        for name, command in cases.items():
            times[name] = statistics.median(simulation_seconds(command(every))
                                            for _ in range(a.repeat))
        ratio = times["with analytics"] / times["alone"]
        print(f"  publish every {every:>2}: alone {times['alone']:.3f} s, "
              f"with analytics {times['with analytics']:.3f} s, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
