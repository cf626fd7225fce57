"""Steering the running simulation from a Python program of the job, through the job's
steering server (sluice-steering-server, a service process) and its Thrift client.

    scripts/sluice-mpirun -np 2 heat2d : -np 1 sluice-steering-server --port-file port \\
        : -np 1 /usr/bin/python3 my_analytics.py

    from sluice.steering import Steering
    with Steering(port_file="port") as steer:
        k = steer.set("hot", 50.0)              # every rank applies it at iteration k
        steer.stream("temperature", region="0:64,0:512")
        steer.inject("temperature", numpy.zeros((4, 4)), at=(10, 10))
        steer.pause(); steer.resume(); steer.stop()

Every change returns the iteration it holds from. Refused requests raise SteeringError
(its `kind`: UnknownName, WrongType, OutOfRange, BadRegion, BadRequest, NotPermitted,
SimulationFinished, Timeout) with the server's message. Only the steering server talks
to the simulation (an analytics process has no in-job steering line of its own), hence
the server in the job. Needs python3-thrift and the generated package `sluice_steering`
(built and installed next to `sluice`; else $SLUICE_STEER_GEN_PY or the build tree's
services/gen-py).
"""

import os
import sys
import time

import numpy as np

from . import _sluice

_CHUNK = 960 * 1024  # injection bytes per call: the server bounds frames to 1 MiB


class SteeringError(_sluice.Error):
    """A request the steering server refused; `kind` names the Thrift exception."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _generated():
    try:
        import sluice_steering  # noqa: F401
    except ImportError:
        here = os.path.dirname(os.path.abspath(__file__))
        for candidate in (os.environ.get("SLUICE_STEER_GEN_PY"),
                          os.path.join(here, "..", "..", "services", "gen-py")):
            if candidate and os.path.isdir(os.path.join(candidate, "sluice_steering")):
                sys.path.insert(0, candidate)
                break
    from sluice_steering import Steering as Service
    from sluice_steering import ttypes
    return Service, ttypes


def _plain(value):
    for field in ("f64", "integer", "flag"):
        if getattr(value, field) is not None:
            return getattr(value, field)
    return None


class Steering:
    """A connection to the job's steering server. Not thread-safe."""

    def __init__(self, port=None, port_file=None, host="127.0.0.1", token=None, timeout=60.0,
                 wait=30.0):
        """port, or port_file (waited for up to `wait` s: the server writes it once it
        listens). `token`: SLUICE_STEER_TOKEN by default. `timeout`: seconds per call (a
        change waits for an iteration boundary)."""
        from thrift.protocol import TBinaryProtocol
        from thrift.transport import TSocket, TTransport

        self._service, self._types = _generated()
        if port is None:
            if port_file is None:
                raise _sluice.InvalidArgument("Steering: give port or port_file")
            deadline = time.monotonic() + wait
            while not (os.path.exists(port_file) and open(port_file).read().strip()):
                if time.monotonic() > deadline:
                    raise _sluice.Error(f"Steering: {port_file} was not written within {wait} s "
                                        "(is sluice-steering-server --port-file in the job?)")
                time.sleep(0.05)
            port = int(open(port_file).read())
        self._token = token if token is not None else os.environ.get("SLUICE_STEER_TOKEN", "")
        socket = TSocket.TSocket(host, port)
        socket.setTimeout(int(timeout * 1000))
        self._transport = TTransport.TFramedTransport(socket)
        self._client = self._service.Client(TBinaryProtocol.TBinaryProtocol(self._transport))
        self._transport.open()
        t = self._types
        self._refusals = (t.UnknownName, t.WrongType, t.OutOfRange, t.BadRegion, t.BadRequest,
                          t.NotPermitted, t.SimulationFinished, t.Timeout)

    def _call(self, name, *args):
        try:
            return getattr(self._client, name)(self._token, *args)
        except self._refusals as e:
            raise SteeringError(type(e).__name__, e.message) from None

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def status(self):
        """{"iteration", "paused", "finished", "waiting", "parameters": {name: value},
        "streams": {name: {dtype, shape, enabled, every, newest_iteration, ...}}}

        "waiting" says what the simulation waits on (a reader holding a slot of a
        `block` stream), or is empty."""
        s = self._call("status")
        streams = {}
        for st in s.streams:
            streams[st.name] = {
                "dtype": st.dtype, "shape": tuple(st.shape), "enabled": st.enabled,
                "every": st.every, "newest_iteration": st.newest_iteration,
                "published": st.published, "skipped": st.skipped, "evicted": st.evicted,
                "region": (tuple(st.region.start or ()), tuple(st.region.count or ())),
            }
        return {"iteration": s.iteration, "paused": s.paused, "finished": s.finished,
                "waiting": s.waiting or "",
                "parameters": {p.name: _plain(p.value) for p in s.parameters},
                "streams": streams}

    def params(self):
        """{name: value} of every steerable parameter."""
        return {p.name: _plain(p.value) for p in self._call("list_parameters")}

    def get(self, name):
        return _plain(self._call("get_parameter", name))

    def set(self, name, value):
        """Sets a parameter (float, int or bool); returns the iteration it holds from."""
        Value = self._types.Value
        if isinstance(value, bool):
            v = Value(flag=value)
        elif isinstance(value, (int, np.integer)):
            v = Value(integer=int(value))
        else:
            v = Value(f64=float(value))
        return self._call("set_parameter", name, v)

    def stream(self, name, enabled=None, every=None, region=None):
        """Switches a stream on/off, publishes every n-th iteration, or narrows the region
        readers see ("0:64,0:512" or pairs; "all" for the whole array). Returns the
        iteration it holds from."""
        from . import parse_region

        control = self._types.StreamControl(enabled=enabled, every=every)
        if region is not None:
            if region == "all":
                control.region = self._types.Region(start=[], count=[])
            else:
                pairs = parse_region(region)
                control.region = self._types.Region(start=[a for a, _ in pairs],
                                                    count=[b - a for a, b in pairs])
        return self._call("control_stream", name, control)

    def inject(self, stream, array, at, allow_nonfinite=False):
        """Writes `array` into the simulation's array of `stream` with its first element
        at `at` (global indices); returns the iteration holding it. NaN or infinite
        values are refused (OutOfRange) unless `allow_nonfinite`."""
        dtypes = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
                  np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
                  np.dtype(np.uint8): "u8"}
        values = np.asarray(array)
        if values.dtype not in dtypes:
            raise _sluice.InvalidArgument(f"injecting {values.dtype} data: sluice streams carry "
                                          "float32, float64, int32, int64 or uint8")
        data = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()
        region = self._types.Region(start=[int(a) for a in at], count=list(values.shape))
        injection = self._call("open_injection", stream, region, dtypes[values.dtype],
                               bool(allow_nonfinite))
        for offset in range(0, len(data), _CHUNK):
            self._call("add_injection_data", injection, data[offset:offset + _CHUNK])
        return self._call("commit_injection", injection)

    def pause(self):
        return self._call("pause")

    def resume(self):
        return self._call("resume")

    def stop(self):
        """Stops the simulation; returns the iteration it stops before."""
        return self._call("stop")
