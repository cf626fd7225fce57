#!/usr/bin/python3
"""scripts/demo's command line, without running anything.

`--help` prints the help and nothing else (exit 0); a bad option or value fails at
once (well under a second of work: nothing is installed or built) with exit 2 and one
line on standard error naming the option and pointing at --help.

usage: check_demo_options.py DEMO
"""
import subprocess
import sys
import time

BAD = {
    ("--ranks", "0"): "--ranks wants a whole number of at least 1, not '0'",
    ("--analytics", "x"): "--analytics wants a whole number",
    ("--nx", "-4"): "--nx wants a whole number",
    ("--iters",): "--iters needs a value",
    ("--every", "0"): "--every wants a whole number of at least 1",
    ("--dt", "fast"): "--dt wants a positive number, not 'fast'",
    ("--out", ""): "--out wants a file name",
    ("--with", " "): "--with wants a command",
    ("--bogus",): "unknown option '--bogus'",
    ("--live", "--iters", "5"): "--live runs until stopped: leave out --iters",
    ("--python", "--analytics", "2"): "--python runs one analytics process",
}


def main():
    demo = sys.argv[1]
    failures = []

    def run(args):
        started = time.monotonic()
        done = subprocess.run([demo, *args], capture_output=True, text=True, timeout=30)
        return done, time.monotonic() - started

    done, _ = run(["--help"])
    if (done.returncode != 0 or done.stderr or not done.stdout.startswith("Sets everything up")
            or "--live" not in done.stdout or "setup:" in done.stdout
            or "#!" in done.stdout or "set -euo" in done.stdout):
        failures.append(f"--help: exit {done.returncode}, stdout {done.stdout[-300:]!r}, "
                        f"stderr {done.stderr!r}")

    for args, message in BAD.items():
        done, took = run(list(args))
        lines = done.stderr.splitlines()
        if (done.returncode != 2 or done.stdout or len(lines) != 1
                or not lines[0].startswith("demo: " + message)
                or "scripts/demo --help" not in lines[0] or took > 10):
            failures.append(f"{' '.join(args)}: exit {done.returncode} after {took:.1f} s, "
                            f"stdout {done.stdout!r}, stderr {done.stderr!r}")

    for failure in failures:
        print("FAIL:", failure)
    print(f"scripts/demo options: {len(BAD) + 1} command lines, {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
