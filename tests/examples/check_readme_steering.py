#!/usr/bin/python3
"""Every steering example of the README, in order, against the demo's job.

The job is scripts/demo's: heat2d (2 ranks, 512 x 512) + sluice-scheduler +
sluice-steering-server + heat2d-analytics, running until told to stop, as
`scripts/demo --live` runs it. The README's steering session is read from README.md
itself and run as written, in a scratch directory standing for the clone (the job
writes its port file to build-demo/steering.port there): its environment is what
`source scripts/env BUILD` gives, `S="sluice-steer ..."` is resolved through that PATH,
`$S ...` lines run in order (`a | b` lines run each alternative in turn) and so do the
other commands of the session (the one that makes patch.npy). The README's `sluice-tap`
lines run first, the same way (with `--job` added: other jobs may run on this node).
Each must answer promptly, the job must end cleanly after `stop`, and the analytics CSV
must hold exactly the iterations the exposure allowed: every iteration before
`every 10` took hold, every 10th after it, none while the stream was off, the last one
before the stop; and no row cut short.

usage: check_readme_steering.py README MPIRUN HEAT2D SCHEDULER SERVER ANALYTICS STEER
                                ENV_SCRIPT BUILD
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def readme_block(text, marker):
    """The lines of the README's first fenced block holding a line that starts with
    `marker`."""
    for block in re.finditer(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        if re.search("^" + re.escape(marker), block.group(1), re.M):
            return block.group(1).splitlines()
    raise SystemExit(f"README.md has no block with a line starting {marker!r}")


def code(line):
    """A line of a block without its comment (a # inside quotes is kept)."""
    for comment in re.finditer(r"\s#", line):
        try:
            shlex.split(line[:comment.start()])
        except ValueError:
            continue  # inside quotes
        return line[:comment.start()].strip()
    return line.strip()


def steering_session(text):
    """The README's steering session: (the lines before S=, S's words, steps), each step
    ("steer", words) for a `$S ...` line (alternatives expanded) or ("shell", line)."""
    lines = [code(line) for line in readme_block(text, 'S="sluice-steer')]
    lines = [line for line in lines if line]
    s_at = next(i for i, line in enumerate(lines) if line.startswith('S="sluice-steer'))
    s_words = shlex.split(shlex.split(lines[s_at])[0].split("=", 1)[1])
    steps = []
    for line in lines[s_at + 1:]:
        if not line.startswith("$S "):
            steps.append(("shell", line))
            continue
        words = line[3:].split()
        if "|" in words:
            first = words.index("|") - 1
            prefix = words[:first]
            alternatives = [w for w in words[first:] if w != "|"]
            steps += [("steer", prefix + [alternative]) for alternative in alternatives]
        else:
            steps.append(("steer", words))
    return lines[:s_at], s_words, steps


def sourced_environment(env_script, build):
    """The environment after `source scripts/env BUILD` in bash."""
    done = subprocess.run(["bash", "-c", 'source "$1" "$2" >/dev/null && env -0', "bash",
                           env_script, build], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"source {env_script} {build}: exit {done.returncode}: {done.stderr}")
    return dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)


def same_file(a, b):
    return a is not None and b is not None and os.path.samefile(a, b)


def main():
    (readme, mpirun, heat2d, scheduler, server, analytics, steer, env_script,
     build) = sys.argv[1:10]
    text = open(readme, encoding="utf-8").read()
    before, s_words, steps = steering_session(text)
    if not (any(line.startswith("scripts/demo --live") for line in before)
            and any(line == "source scripts/env" for line in before)):
        raise SystemExit("the README's steering session no longer starts the job with "
                         f"`scripts/demo --live` and `source scripts/env`: {before}")
    commands = [words for kind, words in steps if kind == "steer"]
    expected_kinds = ["status", "set", "--json", "stream", "inject", "pause", "resume", "stop"]
    missing = [k for k in expected_kinds if not any(c[0] == k for c in commands)]
    if missing:
        raise SystemExit(f"the README's examples lost {missing}: {commands}")
    taps = [code(line) for line in readme_block(text, "sluice-tap list")]
    taps = [line for line in taps if line.startswith("sluice-tap ")]

    # What `source scripts/env` gives: the build's sluice-steer and sluice-tap by name.
    env = sourced_environment(env_script, build)
    program = shutil.which(s_words[0], path=env["PATH"])
    if not same_file(program, steer):
        raise SystemExit(f"after `source scripts/env {build}`, {s_words[0]} is {program}, "
                         f"not {steer}")
    if not same_file(shutil.which("sluice-tap", path=env["PATH"]),
                     os.path.join(build, "services", "sluice-tap")):
        raise SystemExit(f"after `source scripts/env {build}`, sluice-tap is not the build's")
    if s_words[1:2] != ["--port-file"] or len(s_words) != 3:
        raise SystemExit(f"S is not `sluice-steer --port-file FILE`: {s_words}")

    with tempfile.TemporaryDirectory() as tmp:
        # tmp stands for the clone: the job writes its port where the README's S reads it.
        port_file = os.path.join(tmp, s_words[2])
        os.makedirs(os.path.dirname(port_file), exist_ok=True)
        csv = os.path.join(tmp, "heat2d.csv")
        job = subprocess.Popen(
            [mpirun, "-np", "2", heat2d, "--nx", "512", "--ny", "512", "--iters", "100000000",
             ":", "-np", "1", scheduler,
             ":", "-np", "1", server, "--port-file", port_file,
             ":", "-np", "1", analytics, "--out", csv],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
        base = [program] + s_words[1:]

        def fail(what):
            job.kill()
            raise SystemExit(f"{what}\n{job.communicate()[0]}")

        def run(words):
            started = time.monotonic()
            done = subprocess.run(base + ["--json"] + [w for w in words if w != "--json"],
                                  capture_output=True, text=True, cwd=tmp, env=env, timeout=60)
            took = time.monotonic() - started
            if done.returncode != 0:
                fail(f"sluice-steer {' '.join(words)}: exit {done.returncode} after "
                     f"{took:.1f} s: {done.stderr.strip()}")
            return json.loads(done.stdout)

        def shell(line):
            done = subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                                  cwd=tmp, env=env, timeout=60)
            if done.returncode != 0:
                fail(f"{line}: exit {done.returncode}: {done.stdout}{done.stderr}")
            return done.stdout

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
            fail(f"status does not show heat2d's graph on the ring: {graphs}")
        print("sluice-steer status -> graphs:", json.dumps(graphs)[:200])

        # The README's sluice-tap lines, naming this job (the one whose process is a child
        # of our mpirun): other jobs may run on this node.
        ours = None
        for found in re.finditer(r"^job (\S+)\s+pid (\d+)", shell("sluice-tap list"), re.M):
            try:
                stat = open(f"/proc/{found.group(2)}/stat", encoding="utf-8").read()
            except OSError:
                continue  # a job that just ended
            if int(stat.rsplit(")", 1)[1].split()[1]) == job.pid:
                ours = found.group(1)
        if ours is None:
            fail("sluice-tap list does not show the job")
        for line in taps:
            answer = shell(f"{line} --job {ours}")
            print(line, "->", answer.strip().splitlines()[-1][:100])
        dumped = np.load(os.path.join(tmp, "t.npy"))
        if dumped.shape != (64, 128):
            fail(f"sluice-tap dump wrote a {dumped.shape} array, not 64 x 128")

        held = {}
        for kind, words in steps:
            if kind == "shell":
                shell(words)
                print(words[:60], "-> done")
                continue
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
