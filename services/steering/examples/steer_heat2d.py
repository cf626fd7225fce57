#!/usr/bin/python3
"""Steer a running heat2d from Python, through sluice's steering service.

Start the demo's job, which runs until stopped, in one terminal:

    scripts/demo --live

then, in another, from the clone:

    services/steering/examples/steer_heat2d.py --port-file build-demo/steering.port --hot 50 --stop

It prints the status, sets `hot`, makes the temperature (and time) streams publish
every 2nd iteration, injects a 4x4 patch at the grid's centre and, with --stop, stops the
simulation. The token is read from SLUICE_STEER_TOKEN (any string will do when the
server has none). Needs Debian's python3-thrift and python3-numpy, and the Python
client the build generates (the package sluice_steering, in BUILD/services/gen-py). The
build is --build DIR, else $SLUICE_BUILD_DIR (`source scripts/env` sets it), else the
clone's build-demo (what scripts/demo builds) or, failing that, its build; --gen-py DIR
names the package's directory itself.
"""
import argparse
import os
import sys

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int)
p.add_argument("--port-file", help="the file sluice-steering-server --port-file wrote")
p.add_argument("--build", metavar="DIR",
               help="the sluice build whose generated client to use (default: $SLUICE_BUILD_DIR, "
               "else the clone's build-demo, else its build)")
p.add_argument("--gen-py", metavar="DIR",
               help="directory holding the generated sluice_steering package (overrides --build)")
p.add_argument("--hot", type=float, default=50.0, help="new boundary temperature (default 50)")
p.add_argument("--patch-value", type=float, default=0.0, help="value of the injected 4x4 patch")
p.add_argument("--stop", action="store_true", help="stop the simulation at the end")
args = p.parse_args()
if args.port is None and args.port_file is None:
    p.error("give --port or --port-file")



def generated_client():
    """The directory holding the generated package sluice_steering, or exit saying how to
    get one."""
    if args.gen_py:
        candidates = [args.gen_py]
    elif args.build or os.environ.get("SLUICE_BUILD_DIR"):
        candidates = [os.path.join(args.build or os.environ["SLUICE_BUILD_DIR"], "services",
                                   "gen-py")]
    else:
        repo = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "..", "..", ".."))
        candidates = [os.path.join(repo, build, "services", "gen-py")
                      for build in ("build-demo", "build")]
    for directory in candidates:
        if os.path.isfile(os.path.join(directory, "sluice_steering", "Steering.py")):
            return directory
    shown = [c if os.path.relpath(c).startswith("..") else os.path.relpath(c) for c in candidates]
    where = " or ".join(shown)
    sys.exit(f"steer_heat2d: no generated steering client (sluice_steering) in {where}.\n"
             "Build one first: scripts/demo builds build-demo (or ninja -C BUILD for your own "
             "build), then name it with --build BUILD, or SLUICE_BUILD_DIR=BUILD, or "
             "--gen-py BUILD/services/gen-py.")


sys.path.insert(0, generated_client())

import numpy  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.Thrift import TException  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from sluice_steering import Steering  # noqa: E402
from sluice_steering.ttypes import Region, StreamControl, Value  # noqa: E402
from sluice_steering import ttypes  # noqa: E402

CHUNK = 960 * 1024  # injection bytes per call: frames are bounded to 1 MiB


def show(value):
    """A Value union as plain Python."""
    for field in ("f64", "integer", "flag"):
        if getattr(value, field) is not None:
            return getattr(value, field)
    return None


def print_status(client, token):
    status = client.status(token)
    print(f"iteration {status.iteration}, paused={status.paused}, finished={status.finished}")
    for param in status.parameters:
        print(f"  parameter {param.name} = {show(param.value)}"
              f" (since iteration {param.since_iteration}) {param.doc}")
    for s in status.streams:
        region = "whole" if not s.region.start else f"start={s.region.start} count={s.region.count}"
        print(f"  stream {s.name} {s.dtype}{s.shape}: enabled={s.enabled} every={s.every}"
              f" region={region}, newest iteration {s.newest_iteration}")
    return status


def inject(client, token, stream, start, values):
    """Injects a numpy array at `start`, in chunks; returns the iteration holding it."""
    data = numpy.ascontiguousarray(values, dtype="<f8").tobytes()
    region = Region(start=list(start), count=list(values.shape))
    injection = client.open_injection(token, stream, region, "f64", allow_nonfinite=False)
    for offset in range(0, len(data), CHUNK):
        client.add_injection_data(token, injection, data[offset:offset + CHUNK])
    return client.commit_injection(token, injection)


def main():
    port = args.port if args.port is not None else int(open(args.port_file).read())
    token = os.environ.get("SLUICE_STEER_TOKEN", "")
    socket = TSocket.TSocket(args.host, port)
    socket.setTimeout(60_000)  # ms: a change waits for an iteration boundary
    transport = TTransport.TFramedTransport(socket)
    client = Steering.Client(TBinaryProtocol.TBinaryProtocol(transport))
    try:
        transport.open()
        status = print_status(client, token)

        it = client.set_parameter(token, "hot", Value(f64=args.hot))
        print(f"hot = {args.hot:g} from iteration {it}")

        # Publish every 2nd iteration. heat2d-analytics reads temperature and time in
        # pairs, so change both from the same iteration: while the simulation is paused,
        # every change holds from the iteration it resumes at.
        client.pause(token)
        try:
            for stream in ("temperature", "time"):
                it = client.control_stream(token, stream, StreamControl(every=2))
                print(f"{stream} published every 2nd iteration from iteration {it}")
        finally:
            client.resume(token)

        nx, ny = next(s.shape for s in status.streams if s.name == "temperature")
        patch = numpy.full((4, 4), args.patch_value)
        it = inject(client, token, "temperature", (nx // 2 - 2, ny // 2 - 2), patch)
        print(f"4x4 patch of {args.patch_value:g} at the centre from iteration {it}")

        print_status(client, token)
        if args.stop:
            it = client.stop(token)
            print(f"stops before iteration {it}")
    except (ttypes.UnknownName, ttypes.WrongType, ttypes.OutOfRange, ttypes.BadRegion,
            ttypes.BadRequest, ttypes.NotPermitted, ttypes.SimulationFinished,
            ttypes.Timeout) as e:
        print(f"steer_heat2d: {type(e).__name__}: {e.message}", file=sys.stderr)
        return 1
    except TException as e:  # transport or protocol errors: server gone, bad port
        print(f"steer_heat2d: {e}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
