#!/usr/bin/python3
"""The Python steering example against a running heat2d job.

Runs services/steering/examples/steer_heat2d.py --stop against heat2d +
sluice-steering-server + heat2d-analytics: it must exit 0 and print integer
iterations, and the job must stop by steering. Typed errors are checked by calling
the generated client directly: set_parameter on an unknown name raises UnknownName;
an injection sent more bytes than it announced, or committed with bytes missing,
raises BadRequest; one holding NaN or inf raises OutOfRange, unless allow_nonfinite; a chunk above the 1 MiB frame bound costs that client its
connection, and the server goes on answering others.

usage: check_python_client.py MPIRUN HEAT2D SERVER ANALYTICS GEN_PY EXAMPLE
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import time


def main():
    mpirun, heat2d, server, analytics, gen_py, example = sys.argv[1:7]
    sys.path.insert(0, gen_py)
    from sluice_steering import Steering
    from sluice_steering.ttypes import BadRequest, OutOfRange, Region, UnknownName, Value
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport

    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)
            print("FAIL:", what)

    with tempfile.TemporaryDirectory() as tmp:
        # A build without the generated client: the example says what to do, at once.
        done = subprocess.run([example, "--port-file", "port", "--build", tmp],
                              capture_output=True, text=True, timeout=60)
        expect(done.returncode == 1 and "no generated steering client" in done.stderr
               and "scripts/demo" in done.stderr and "--build" in done.stderr,
               f"the example without a generated client: exit {done.returncode}, "
               f"{done.stderr!r}")

        port_file = os.path.join(tmp, "port")
        job = subprocess.Popen(
            [mpirun, "-np", "2", heat2d, "--nx", "64", "--ny", "64", "--iters", "100000",
             ":", "-np", "1", server, "--port-file", port_file,
             ":", "-np", "1", analytics, "--out", os.path.join(tmp, "heat2d.csv")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 30
            while not os.path.exists(port_file) and time.time() < deadline:
                time.sleep(0.05)
            port = int(open(port_file).read())

            # A typed error, through the generated client directly.
            transport = TTransport.TFramedTransport(TSocket.TSocket("127.0.0.1", port))
            client = Steering.Client(TBinaryProtocol.TBinaryProtocol(transport))
            transport.open()
            try:
                client.set_parameter("any", "nope", Value(f64=1.0))
                expect(False, "set_parameter('nope') raised nothing")
            except UnknownName as e:
                expect("nope" in e.message, f"UnknownName message {e.message!r}")

            # Oversized and short injections: refused, nothing reaches the simulation.
            patch = Region(start=[0, 0], count=[2, 2])  # 32 bytes of f64
            injection = client.open_injection("any", "temperature", patch, "f64", False)
            try:
                client.add_injection_data("any", injection, b"\0" * 40)
                expect(False, "40 bytes into a 32-byte injection raised nothing")
            except BadRequest as e:
                expect("takes 32 bytes" in e.message, f"oversized chunk: {e.message!r}")
            try:
                client.commit_injection("any", injection)
                expect(False, "committing an empty injection raised nothing")
            except BadRequest as e:
                expect("has 0 of its 32 bytes" in e.message, f"short commit: {e.message!r}")
            try:
                client.open_injection("any", "temperature", Region(start=[], count=[]), "f32",
                                      False)
                expect(False, "an f32 injection into f64 raised nothing")
            except Exception as e:  # WrongType
                expect("not f32" in getattr(e, "message", ""), f"wrong dtype: {e!r}")
            # Data that is not finite: refused by the server at the commit unless the
            # caller allows it, and then written as sent.
            nonfinite = struct.pack("<4d", 1.0, float("nan"), 2.0, float("inf"))
            injection = client.open_injection("any", "temperature", patch, "f64", False)
            client.add_injection_data("any", injection, nonfinite)
            try:
                client.commit_injection("any", injection)
                expect(False, "an injection holding NaN raised nothing")
            except OutOfRange as e:
                expect("must hold finite numbers; element 1 (row-major) is nan" in e.message
                       and "allow_nonfinite" in e.message, f"NaN injection: {e.message!r}")
            injection = client.open_injection("any", "temperature", patch, "f64", True)
            client.add_injection_data("any", injection, nonfinite)
            expect(client.commit_injection("any", injection) > 0,
                   "an injection holding NaN with allow_nonfinite")
            transport.close()

            # A frame above the bound: that connection is dropped...
            transport = TTransport.TFramedTransport(TSocket.TSocket("127.0.0.1", port))
            client = Steering.Client(TBinaryProtocol.TBinaryProtocol(transport))
            transport.open()
            big = client.open_injection("any", "temperature", Region(start=[0, 0],
                                        count=[64, 64]), "f64", False)
            try:
                client.add_injection_data("any", big, b"\0" * (2 << 20))
                expect(False, "a 2 MiB frame was accepted")
            except Exception:
                pass
            finally:
                transport.close()
            # ...and the server still answers.
            transport = TTransport.TFramedTransport(TSocket.TSocket("127.0.0.1", port))
            client = Steering.Client(TBinaryProtocol.TBinaryProtocol(transport))
            transport.open()
            try:
                expect(client.status("any").iteration >= 0, "status after the oversized frame")
            finally:
                transport.close()

            # The example, end to end, finding the generated client of the build it is
            # pointed at (gen_py is BUILD/services/gen-py).
            build = os.path.dirname(os.path.dirname(os.path.abspath(gen_py)))
            done = subprocess.run([example, "--port-file", port_file, "--build", build,
                                   "--hot", "50", "--stop"], capture_output=True, text=True,
                                  timeout=60, env={**os.environ, "SLUICE_STEER_TOKEN": "any"})
            print(done.stdout, done.stderr, sep="")
            expect(done.returncode == 0, f"example exit {done.returncode}")
            for pattern in (r"^hot = 50 from iteration (\S+)$",
                            r"^temperature published every 2nd iteration from iteration (\S+)$",
                            r"^time published every 2nd iteration from iteration (\S+)$",
                            r"at the centre from iteration (\S+)$",
                            r"^stops before iteration (\S+)$"):
                found = re.search(pattern, done.stdout, re.M)
                expect(found and re.fullmatch(r"\d+", found.group(1)),
                       f"no integer iteration for {pattern!r}")
            stop = re.search(r"^stops before iteration (\d+)$", done.stdout, re.M)

            output, _ = job.communicate(timeout=60)
            expect(job.returncode == 0, f"job exit {job.returncode}:\n{output}")
            expect(stop and f"stopped by steering after iteration {int(stop.group(1)) - 1}"
                   in output, f"heat2d's stop message:\n{output}")
        finally:
            if job.poll() is None:
                job.kill()
                job.communicate()

    print(f"python steering client: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
