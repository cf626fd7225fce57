#!/usr/bin/python3
"""A full /dev/shm at start is a clear error naming it, never a hang.

In a private mount namespace (root only: `unshare --mount`; skipped otherwise, exit 77)
over a small tmpfs mounted on /dev/shm:
  1. 1 MiB free: sluice-mpirun refuses to start the job (Open MPI's shared-memory
     transport would fail inside MPI_Init and the job hang), saying how much /dev/shm
     has and needs;
  2. 48 MiB free, a 2048 x 2048 field: the job starts, and exposing the stream fails on
     the simulation with the pool's message, which says how much /dev/shm has free.

usage: check_full_dev_shm.py MPIRUN HEAT2D ANALYTICS
"""
import os
import subprocess
import sys
import time

INSIDE = "SLUICE_TEST_PRIVATE_DEV_SHM"


def run_case(title, mpirun, heat2d, analytics, size_mib, filler_mib, nx, expect):
    subprocess.run(["umount", "/dev/shm"], capture_output=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}M", "tmpfs", "/dev/shm"],
                   check=True)
    with open("/dev/shm/filler", "wb") as filler:
        filler.write(b"\0" * (filler_mib << 20))
    started = time.monotonic()
    try:
        job = subprocess.run(
            [mpirun, "-np", "2", heat2d, "--nx", str(nx), "--ny", str(nx), "--iters", "5", ":",
             "-np", "1", analytics, "--out", "-"],
            capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        sys.exit(f"FAIL [{title}]: the job hung (60 s)")
    took = time.monotonic() - started
    output = job.stdout + job.stderr
    if job.returncode == 0:
        sys.exit(f"FAIL [{title}]: the job succeeded\n{output}")
    missing = [text for text in expect if text not in output]
    if missing:
        sys.exit(f"FAIL [{title}]: the message lacks {missing}\n{output}")
    print(f"[{title}] exit status {job.returncode} after {took:.1f} s: "
          f"{next(line for line in output.splitlines() if expect[0] in line)[:160]}...")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    if os.environ.get(INSIDE) != "1":
        if os.geteuid() != 0:
            print("skipped: needs root for a private /dev/shm (unshare --mount)")
            sys.exit(77)
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True)
        if probe.returncode != 0:
            print("skipped: unshare --mount is not allowed here")
            sys.exit(77)
        env = dict(os.environ, **{INSIDE: "1"})
        sys.exit(subprocess.run(["unshare", "--mount", "--propagation", "private",
                                 sys.executable, *sys.argv], env=env).returncode)
    mpirun, heat2d, analytics = sys.argv[1:]
    run_case("1 MiB free", mpirun, heat2d, analytics, size_mib=6, filler_mib=5, nx=64,
             expect=["sluice-mpirun: /dev/shm has 1024 KiB free", "needs at least"])
    run_case("48 MiB free, a 32 MiB field", mpirun, heat2d, analytics, size_mib=64,
             filler_mib=16, nx=2048,
             expect=["bytes of window memory for stream 'temperature': this process's pool has",
                     "/dev/shm, which backs the pools, has"])
    print("2 cases passed")


if __name__ == "__main__":
    main()
