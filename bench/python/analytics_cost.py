#!/usr/bin/python3
"""Per-iteration cost of the Python heat2d analytics (examples/heat2d/heat2d_analytics.py,
callbacks; examples/heat2d/heat2d_steps.py, plain steps) against the C++
heat2d-analytics, side by side in one run: the cases alternate, --repeat rounds, and
each reports the median of its analytics' own wall time (the line each prints on
standard error) divided by the iterations it analysed.

    PYTHONPATH=build/python bench/python/analytics_cost.py scripts/sluice-mpirun \\
        build/examples/heat2d/heat2d build/examples/heat2d/heat2d-analytics \\
        [--python /usr/bin/python3] [--ranks 2] [--nx 2048] [--ny 2048] [--iters 60] \\
        [--repeat 3]

The streams use the block policy: an analytics process faster than the simulation
waits for it, so a cost close to the simulation's own per-iteration time (printed
too) says the analytics kept up, not what they cost.
"""
import argparse
import os
import re
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "heat2d")


def run(command):
    job = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if job.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({job.returncode}):\n{job.stderr}")
    analysed = re.search(r"(\d+) iterations analysed.* in ([0-9.]+) s", job.stderr)
    simulated = re.search(r"(\d+) iterations in ([0-9.]+) s", job.stderr)
    if not analysed:
        raise SystemExit(f"no timing in the analytics' output:\n{job.stderr}")
    per_iteration = float(analysed.group(2)) / int(analysed.group(1))
    sim = float(simulated.group(2)) / int(simulated.group(1)) if simulated else float("nan")
    return per_iteration, sim


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mpirun")
    parser.add_argument("heat2d")
    parser.add_argument("cpp_analytics", help="heat2d-analytics")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--nx", type=int, default=2048)
    parser.add_argument("--ny", type=int, default=2048)
    parser.add_argument("--iters", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    a = parser.parse_args()

    sim = [a.mpirun, "-np", str(a.ranks), a.heat2d, "--nx", str(a.nx), "--ny", str(a.ny),
           "--iters", str(a.iters), ":", "-np", "1"]
    cases = {
        "C++ heat2d-analytics": [a.cpp_analytics],
        "Python callbacks": [a.python, os.path.join(EXAMPLES, "heat2d_analytics.py")],
        "Python steps": [a.python, os.path.join(EXAMPLES, "heat2d_steps.py")],
    }
    costs = {name: [] for name in cases}
    sims = {name: [] for name in cases}
    for _ in range(a.repeat):
        for name, analytics in cases.items():
            cost, s = run(sim + analytics + ["--out", "/dev/null"])
            costs[name].append(cost)
            sims[name].append(s)
    print(f"heat2d {a.nx} x {a.ny}, {a.iters} iterations, {a.ranks} simulation ranks, "
          f"1 analytics process; median of {a.repeat} alternating runs")
    base = statistics.median(costs["C++ heat2d-analytics"])
    for name in cases:
        c = statistics.median(costs[name])
        runs = ", ".join(f"{x * 1e3:.1f}" for x in costs[name])
        print(f"  {name:<22} {c * 1e3:8.2f} ms/iteration ({runs}), ratio {c / base:.2f}; "
              f"simulation {statistics.median(sims[name]) * 1e3:.2f} ms/iteration")


if __name__ == "__main__":
    main()
