#!/usr/bin/python3
"""Every steering example of the README, in order, against the demo's job.

The job is scripts/demo's: heat2d (2 ranks, 512 x 512) + sluice-scheduler +
sluice-steering-server + heat2d-analytics, running until told to stop. The README's
`$S ...` lines are read from README.md itself and run as written (`a | b` lines run
each alternative in turn; patch.npy is made here). Each must answer promptly, the
job must end cleanly after `stop`, and the analytics CSV must hold exactly the
iterations the exposure allowed: every iteration before `every 10` took hold, every
10th after it, none while the stream was off, the last one before the stop; and no
row cut short.

usage: check_readme_steering.py README MPIRUN HEAT2D SCHEDULER SERVER ANALYTICS STEER
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def readme_commands(readme):
    """The README's `$S ...` example lines, alternatives expanded."""
    text = open(readme, encoding="utf-8").read()
    block = re.search(r'^S="sluice-steer[^\n]*\n(.*?)^```', text, re.S | re.M)
    if block is None:
        raise SystemExit("README.md has no steering example block (S=\"sluice-steer ...\")")
    commands = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("$S "):
            continue
        words = line[3:].split()
        if "|" in words:
            first = words.index("|") - 1
            prefix = words[:first]
            alternatives = [w for w in words[first:] if w != "|"]
            commands += [prefix + [alternative] for alternative in alternatives]
        else:
            commands.append(words)
    return commands


def main():
    readme, mpirun, heat2d, scheduler, server, analytics, steer = sys.argv[1:8]
    commands = readme_commands(readme)
    expected_kinds = ["status", "set", "--json", "stream", "inject", "pause", "resume", "stop"]
    missing = [k for k in expected_kinds if not any(c[0] == k for c in commands)]
    if missing:
        raise SystemExit(f"the README's examples lost {missing}: {commands}")

    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "steering.port")
        csv = os.path.join(tmp, "heat2d.csv")
        np.save(os.path.join(tmp, "patch.npy"), np.full((4, 8), 75.0))
        job = subprocess.Popen(
            [mpirun, "-np", "2", heat2d, "--nx", "512", "--ny", "512", "--iters", "100000000",
             ":", "-np", "1", scheduler,
             ":", "-np", "1", server, "--port-file", port_file,
             ":", "-np", "1", analytics, "--out", csv],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
        base = [steer, "--port-file", port_file]

        def run(words):
            started = time.monotonic()
            done = subprocess.run(base + ["--json"] + [w for w in words if w != "--json"],
                                  capture_output=True, text=True, cwd=tmp, timeout=60)
            took = time.monotonic() - started
            if done.returncode != 0:
                job.kill()
                raise SystemExit(f"sluice-steer {' '.join(words)}: exit {done.returncode} after "
                                 f"{took:.1f} s: {done.stderr.strip()}\n{job.communicate()[0]}")
            return json.loads(done.stdout)

        def iteration_now():
            return run(["status"])["iteration"]

        def let_run(iterations):
            target = iteration_now() + iterations
            while iteration_now() < target:
                time.sleep(0.01)

        for _ in range(1200):
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                break
            time.sleep(0.05)
        let_run(20)
        # heat2d-analytics' graph runs on the scheduler (world rank 2): status shows it.
        graphs = run(["status"])["graphs"]
        if ([g["name"] for g in graphs] != ["heat2d"] or graphs[0]["root"] != 2
                or graphs[0]["partitions"] != [2] or graphs[0]["iterations"] < 1
                or graphs[0]["compilations"] != 1 or graphs[0]["failed_iterations"] != 0
                or not 0 < graphs[0]["latency_median_us"] < 60e6):
            job.kill()
            raise SystemExit(f"status does not show heat2d's graph on the ring: {graphs}")
        print("sluice-steer status -> graphs:", json.dumps(graphs)[:200])
        held = {}
        for words in commands:
            answer = run(words)
            print("sluice-steer", " ".join(words), "->", json.dumps(answer)[:120])
            if words[0] == "stream":
                held[words[-1] if words[-1] in ("on", "off") else words[2]] = \
                    answer["from_iteration"]
            elif words[0] == "stop":
                held["stop"] = answer["stops_before_iteration"]
            if words[0] not in ("pause", "stop"):
                let_run(35)  # several published iterations under each change
        try:
            output, _ = job.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            job.kill()
            raise SystemExit("the job did not end after stop:\n" + job.communicate()[0])
        if job.returncode != 0:
            raise SystemExit(f"the job ended with {job.returncode}:\n{output}")

        every, off, on, stop = held["every"], held["off"], held["on"], held["stop"]

        def exposed(k):
            if k < every:
                return True
            return (k - every) % 10 == 0 and not off <= k < on

        expected = [k for k in range(stop) if exposed(k)]
        lines = open(csv, encoding="utf-8").read().splitlines()
        header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
        got = [int(row[0]) for row in rows]
        short = [row[0] for row in rows if len(row) != len(header)]
        if short:
            raise SystemExit(f"rows cut short: {short}")
        if got != expected:
            extra = sorted(set(got) - set(expected))[:10]
            lost = sorted(set(expected) - set(got))[:10]
            raise SystemExit(f"the CSV has {len(got)} iterations, the exposure allowed "
                             f"{len(expected)} (every 10 from {every}, off {off}..{on}, stop "
                             f"before {stop}); extra {extra}, missing {lost}")
        print(f"README steering examples: {len(commands)} commands answered, the job ended "
              f"cleanly, the CSV holds exactly the {len(expected)} exposed iterations "
              f"(every 10 from {every}, off from {off} to {on}, stop before {stop})")


if __name__ == "__main__":
    main()
