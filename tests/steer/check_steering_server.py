#!/usr/bin/python3
"""End-to-end steering through Thrift: heat2d + sluice-steering-server + heat2d-analytics.

While the job runs, a table of bad requests (wrong or missing token, unknown name,
wrong type, NaN, out of range, bad regions, wrong dtypes, NaN in an injection, a
directory for a .npy file, random bytes and an
oversized frame on the port, a client that disconnects mid-call) each gets its
documented exit code or is survived; 8 clients call at once; then an injected patch
(from a .npy file), a real change and a stop. The analytics CSV must equal the
independent numpy computation, patch included, for every iteration before the change.

usage: check_steering_server.py MPIRUN HEAT2D SERVER ANALYTICS STEER
"""
import json
import math
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from check_heat2d import close, dtdt_scale, reference  # noqa: E402
import numpy as np  # noqa: E402

NX, NY, DT = 48, 32, 0.2
PATCH_AT = (10, 5)
PATCH = 42.0 + np.arange(12, dtype="<f8").reshape(3, 4)
TOKEN = "s3cret-token"


def main():
    mpirun, heat2d, server, analytics, steer = sys.argv[1:6]
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)
            print("FAIL:", what)

    # A non-loopback address without a token is refused before the job starts.
    refused = subprocess.run([server, "--bind", "0.0.0.0"], capture_output=True, text=True,
                             env={**os.environ, "SLUICE_STEER_TOKEN": ""}, timeout=30)
    expect(refused.returncode == 2 and "needs a token" in refused.stderr,
           f"--bind 0.0.0.0 without a token: exit {refused.returncode} {refused.stderr!r}")
    # So is a port file that cannot be written, which no client would ever find.
    refused = subprocess.run([server, "--port-file", "/no/such/dir/port"], capture_output=True,
                             text=True, timeout=30)
    expect(refused.returncode == 2 and "cannot write the port file /no/such/dir/port: No such "
           "file or directory" in refused.stderr,
           f"--port-file in a missing directory: exit {refused.returncode} {refused.stderr!r}")

    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        token_file = os.path.join(tmp, "token")
        csv_file = os.path.join(tmp, "heat2d.csv")
        patch_file = os.path.join(tmp, "patch.npy")
        np.save(patch_file, PATCH)
        np.save(os.path.join(tmp, "f32.npy"), PATCH.astype("<f4"))
        np.save(os.path.join(tmp, "fortran.npy"), np.asfortranarray(PATCH))
        nan_file = os.path.join(tmp, "nan.npy")
        np.save(nan_file, np.where(PATCH > 50, np.nan, PATCH))
        with open(os.path.join(tmp, "not.npy"), "wb") as f:
            f.write(b"not a numpy file")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        job = subprocess.Popen(
            [mpirun, "-np", "2", heat2d, "--nx", str(NX), "--ny", str(NY), "--iters", "400000",
             ":", "-np", "1", server, "--port-file", port_file, "--token-file", token_file,
             ":", "-np", "2", analytics, "--out", csv_file],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 60
            while not os.path.exists(port_file) and time.time() < deadline:
                time.sleep(0.05)
            port = int(open(port_file).read())

            def cli(*args, token=TOKEN):
                env = {**os.environ, "SLUICE_STEER_TOKEN": token}
                done = subprocess.run([steer, "--port", str(port), *args], capture_output=True,
                                      text=True, env=env, timeout=60)
                return done.returncode, done.stdout, done.stderr

            code, out, _ = cli("--json", "status")
            expect(code == 0, f"status exit {code}")
            status = json.loads(out)
            expect([p["name"] for p in status["parameters"]] == ["dt", "hot"],
                   f"parameters {status['parameters']}")
            expect(status["roles"] == {"simulation": [0, 1], "service": [2], "analytics": [3, 4]},
                   f"roles {status['roles']}")
            expect(status["streams"][0]["name"] == "temperature"
                   and status["streams"][0]["shape"] == [NX, NY], f"streams {status['streams']}")

            table = [  # (arguments, token, expected exit code, text in the message)
                (["status"], "wrong", 7, "wrong or missing token"),
                (["status"], "", 7, "wrong or missing token"),
                (["get", "nope"], TOKEN, 4, "no parameter 'nope'"),
                (["set", "nope", "1"], TOKEN, 4, "parameters: dt, hot"),
                (["set", "dt", "true"], TOKEN, 5, "'dt' holds f64, not bool"),
                (["set", "dt", "nan"], TOKEN, 6, "finite"),
                (["set", "dt", "0.3"], TOKEN, 6, "[1e-06, 0.25]"),
                (["set", "hot", "abc"], TOKEN, 5, "not a number"),
                # Numbers are decimal, whole: no hexadecimal, no trailing junk, not empty.
                (["set", "hot", "0x10"], TOKEN, 5, "'0x10' is not a number"),
                (["set", "hot", "50abc"], TOKEN, 5, "'50abc' is not a number"),
                (["set", "hot", ""], TOKEN, 5, "'' is not a number"),
                (["set", "dt", "0x1p-4"], TOKEN, 5, "'0x1p-4' is not a number"),
                (["stream", "temperature", "every", "0x2"], TOKEN, 2,
                 "every takes a whole number, not '0x2'"),
                # A usage error says what is wrong.
                (["bogus"], TOKEN, 2, "bad command line: unknown command 'bogus'; the commands "
                 "are status params get set stream inject pause resume stop"),
                (["set", "hot"], TOKEN, 2, "bad command line: VALUE is required"),
                (["stream", "temperature", "every"], TOKEN, 2, "'every' needs a value"),
                (["stream", "nope", "off"], TOKEN, 4, "streams: temperature, time"),
                (["stream", "temperature", "every", "0"], TOKEN, 6, "'every' must be in"),
                (["stream", "temperature", "region", "40:50,0:8"], TOKEN, 11, "outside [0, 48)"),
                (["stream", "temperature", "region", "0:8"], TOKEN, 11, "2 dimension(s)"),
                (["stream", "temperature", "sideways"], TOKEN, 2, "say on, off"),
                (["inject", "temperature", patch_file, "at", "46,0"], TOKEN, 11, "outside"),
                (["inject", "nope", patch_file], TOKEN, 4, "no stream 'nope'"),
                (["inject", "time", patch_file], TOKEN, 11, "1 dimension(s)"),
                (["inject", "temperature", os.path.join(tmp, "f32.npy")], TOKEN, 5, "not f32"),
                (["inject", "temperature", os.path.join(tmp, "fortran.npy")], TOKEN, 10,
                 "Fortran order"),
                (["inject", "temperature", os.path.join(tmp, "not.npy")], TOKEN, 10,
                 "not a .npy file"),
                (["inject", "temperature", patch_file, "at", "x"], TOKEN, 2, "not a corner"),
                (["inject", "temperature", tmp], TOKEN, 10, f"{tmp}: cannot read the file: "
                 "Is a directory"),
                (["inject", "temperature", nan_file], TOKEN, 6,
                 "must hold finite numbers; element 9 (row-major) is nan"),
                # Allowed, the NaN goes to the server, which refuses the region.
                (["inject", "temperature", nan_file, "at", "46,0", "--allow-nonfinite"], TOKEN,
                 11, "outside"),
            ]
            for args, token, want, text in table:
                code, out, err = cli(*args, token=token)
                expect(code == want and text in err, f"{args} token={token!r}: exit {code} {err!r}")

            # Hostile bytes on the port: garbage, an oversized frame, a call cut short.
            for payload in (os.urandom(64), struct.pack(">i", 0x7fffffff) + b"x" * 16,
                            struct.pack(">i", 100) + b"\x80\x01\x00\x01"):
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(payload)
                    time.sleep(0.05)
            code, _, _ = cli("status")
            expect(code == 0, f"status after hostile bytes: exit {code}")

            # 8 clients at once.
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda _: cli("get", "dt")[0], range(8)))
            expect(codes == [0] * 8, f"8 concurrent clients: {codes}")

            # A stream change that changes nothing the analytics see, shown in status.
            code, out, _ = cli("--json", "stream", "temperature", "on", "every", "1",
                               "region", "all")
            expect(code == 0 and json.loads(out)["from_iteration"] > 0,
                   f"stream temperature on: exit {code} {out!r}")
            code, out, _ = cli("--json", "status")
            temperature = json.loads(out)["streams"][0]
            expect(temperature["enabled"] and temperature["every"] == 1
                   and temperature["region"] == "all" and temperature["injectable"]
                   and temperature["withheld"] == 0 and temperature["evicted"] == 0,
                   f"temperature in status: {temperature}")

            # A patch injected from a .npy file; then a real change, then stop.
            code, out, err = cli("--json", "inject", "temperature", patch_file, "at",
                                 f"{PATCH_AT[0]},{PATCH_AT[1]}")
            expect(code == 0, f"inject: exit {code} {err!r}")
            injected_at = json.loads(out)["from_iteration"] if code == 0 else -1
            time.sleep(0.05)
            code, out, _ = cli("--json", "set", "hot", "50")
            expect(code == 0, f"set hot 50: exit {code}")
            changed_at = json.loads(out)["from_iteration"]
            code, out, _ = cli("get", "hot")
            expect(out.strip() == "50", f"get hot after set: {out!r}")
            # Narrow what readers see to rows 0:10: analytics rank 1's band (rows 24:48)
            # gets empty steps, and both go on reducing the same iterations.
            code, out, _ = cli("--json", "stream", "temperature", "region", f"0:10,0:{NY}")
            expect(code == 0, f"stream temperature region: exit {code}")
            narrowed_at = json.loads(out)["from_iteration"] if code == 0 else -1
            time.sleep(0.05)
            code, out, _ = cli("--json", "stop")
            expect(code == 0, f"stop: exit {code}")
            stops_before = json.loads(out)["stops_before_iteration"]
            output, _ = job.communicate(timeout=120)
            expect(job.returncode == 0, f"job exit {job.returncode}:\n{output}")
            expect(f"stopped by steering after iteration {stops_before - 1}" in output,
                   f"heat2d's stop message:\n{output}")
            code, _, err = cli("status")
            expect(code == 3, f"status after the job: exit {code} {err!r}")
        finally:
            if job.poll() is None:
                job.kill()

        with open(csv_file) as f:
            rows = [line.strip().split(",") for line in f][1:]
        # Every iteration has a row; from the narrowing on, only the 10 x NY cells of
        # the region are counted, and dT/dt compares the cells both iterations hold (the
        # region's, which the previous iteration held too): a number, not a restart.
        cells = {int(row[0]): sum(int(x) for x in row[5:]) for row in rows}
        expect(sorted(cells) == list(range(stops_before)), "CSV rows are not every iteration")
        expect(all(n == (10 * NY if k >= narrowed_at else NX * NY) for k, n in cells.items()),
               f"cells per row around the narrowing at {narrowed_at}: "
               f"{[(k, cells[k]) for k in range(narrowed_at - 1, narrowed_at + 2) if k in cells]}")
        narrowed_row = next((row for row in rows if int(row[0]) == narrowed_at), None)
        expect(narrowed_row is not None and math.isfinite(float(narrowed_row[4])),
               f"dT/dt at the narrowing: {narrowed_row and narrowed_row[4]}")
        expect(int(rows[-1][0]) == stops_before - 1, f"last CSV row {rows[-1][0]}")
        # Up to the change: identical to a run with the patch written into the field of
        # the iteration the inject call returned, and nothing else changed.
        injections = {injected_at: (PATCH_AT[0], PATCH_AT[1], PATCH)}
        expect(0 < injected_at < changed_at, f"inject at {injected_at}, change at {changed_at}")
        expected = reference(NX, NY, changed_at - 1, 1, DT, injections)
        mismatches = 0
        for row, (k, mean, lo, hi, dtdt, hist) in zip(rows, expected):
            got = [float(x) for x in row[1:5]]
            scales = (0.0, 0.0, 0.0, dtdt_scale(lo, hi, DT))
            bad = int(row[0]) != k or not all(
                close(g, e, scale) for g, e, scale in zip(got, (mean, lo, hi, dtdt), scales))
            bad = bad or [int(x) for x in row[5:]] != hist
            if bad and mismatches < 5:
                print(f"iteration {k}: CSV {row}, reference {(k, mean, lo, hi, dtdt, hist)}")
            mismatches += bad
        expect(mismatches == 0 and len(expected) == changed_at,
               f"{mismatches} CSV rows differ from the reference before iteration {changed_at}")
        # At the change's iteration exactly, only the cells next to the hot boundary
        # differ from an unsteered step, each by dt * (50 - 100): the mean by -dt*50/NX.
        unsteered = reference(NX, NY, changed_at, 1, DT, injections)[-1]
        steered = next((row for row in rows if int(row[0]) == changed_at), None)
        expect(steered is not None and abs(float(steered[1]) - (unsteered[1] - DT * 50.0 / NX))
               <= 1e-9, f"mean at iteration {changed_at}: {steered and steered[1]}, "
               f"unsteered {unsteered[1]}")

    print(f"steering end to end: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
