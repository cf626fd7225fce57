"""sluice for Python analysts: read a running simulation's streams as numpy arrays.

A Python program is one process of the MPMD job::

    scripts/sluice-mpirun -np 2 heat2d : -np 1 /usr/bin/python3 my_analytics.py

    import sluice
    consumer = sluice.Consumer()            # first use: MPI (if nobody started it) + role
    temperature = consumer.subscribe("temperature", region="0:64,0:512")
    while True:
        step = temperature.next(timeout=10)
        if step.status == sluice.Status.end_of_stream:
            break
        if step.ok:
            with step:                      # released at the end of the block
                print(step.iteration, step.array().mean())

The process declares the *analytics* role the first time it needs sluice (a Consumer,
sluice.runtime(), sluice.run()), or explicitly with ``sluice.Runtime(role=...)``
before that. MPI is initialised then, unless someone (mpi4py) already did; sluice
finalises only what it initialised. The run ends at interpreter exit (or
``sluice.shutdown()``): held steps are released, consumers closed, the runtime freed
(a collective with the rest of the job). An exception that reaches the top level
once the runtime exists makes the process leave the job as the C++ analytics do: its
subscriptions end, so that the simulation goes on without it, and the process ends
with status 1, at once under ``mpirun --enable-recovery``, at the job's end otherwise
(a plain mpirun ends the whole job when one process ends early).

Arrays. ``step.array()`` is a read-only view into the producer's slot when the step
was read in place and one producer block holds the whole selection (it may be strided:
the producer's halos), a fresh copy otherwise (several blocks, or pulled with
MPI_Get), or always with ``step.array(copy=True)``. A view is valid while the step
is held: until ``step.release()``, the end of ``with step:``, or the subscription's
next ``next()``. Afterwards ``step.array()`` raises StateError, but an array obtained
before stays a window on memory the producer reuses: keep it past the release and
you read another iteration's data (copy what you keep).

Callbacks over windows of iterations (see register, Window, run)::

    @sluice.register(sluice.Window("temperature", size=2), sluice.Window("time", size=2))
    def analyse(temperature, time, iteration):   # lists, oldest first
        ...
    sluice.run()
"""

import atexit
import math
import sys

import numpy as np

from . import _sluice
from ._sluice import (
    Error,
    GroupStep,
    InvalidArgument,
    NotFound,
    RoleError,
    StateError,
    Status,
    Step,
    StepGroup,
    Subscription,
    step_statistics,
)

__all__ = [
    "Consumer", "Error", "GroupStep", "InvalidArgument", "NotFound", "RoleError", "Runtime",
    "StateError", "Status", "Step", "StepGroup", "Subscription", "Window", "consumer",
    "register", "run", "runtime", "shutdown", "parse_region", "step_statistics",
]

_runtime = None
_consumer = None
_previous_excepthook = None

_DTYPES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "u8",
}


def _leave_on_uncaught(kind, value, traceback):
    _previous_excepthook(kind, value, traceback)
    if _runtime is not None and not _sluice.is_shut_down():
        sys.stderr.write("sluice: uncaught exception: this process leaves the job; "
                         "the simulation goes on without it\n")
        sys.stderr.flush()
        _sluice.leave_on_error()


def Runtime(role="analytics", required_roles=("simulation",), join_timeout=60.0):  # noqa: N802
    """Declares this process's role in the job (collective over MPI_COMM_WORLD: every
    process of the job declares one). Initialises MPI if nobody has. Once per process;
    sluice.runtime() returns it afterwards. Roles: analytics, service, scheduler,
    simulation."""
    global _runtime, _previous_excepthook
    if _runtime is not None:
        raise StateError("starting sluice's runtime: this process already has one; "
                         "use sluice.runtime()")
    _runtime = _sluice.Runtime(role, list(required_roles), float(join_timeout))
    atexit.register(shutdown)
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _leave_on_uncaught
    return _runtime


def runtime():
    """The process's runtime, declaring the analytics role on first use."""
    return _runtime if _runtime is not None else Runtime()


_default_runtime = runtime


def shutdown():
    """Ends sluice in this process: releases held steps, closes consumers, frees the
    runtime (collective over the job) and finalises MPI if sluice initialised it.
    Called at interpreter exit; idempotent."""
    if _runtime is not None:
        _sluice.shutdown()


def _dtype_name(dtype):
    if dtype is None:
        return None
    try:
        kind = np.dtype(dtype)
    except TypeError as e:
        raise InvalidArgument(f"subscribing with dtype {dtype!r}: {e}") from None
    if kind not in _DTYPES:
        raise InvalidArgument(f"subscribing with dtype {kind}: sluice streams carry float32, "
                              "float64, int32, int64 or uint8")
    return _DTYPES[kind]


def parse_region(region):
    """[(start, stop), ...] from "0:64,0:512" (half-open ranges, as sluice-steer takes
    them), a sequence of (start, stop) pairs or slices, or None (the whole array)."""
    if region is None:
        return None
    if isinstance(region, str):
        pairs = []
        for part in region.split(","):
            bounds = part.strip().split(":")
            if len(bounds) != 2:
                raise InvalidArgument(f"region {region!r}: expected start:stop per dimension, "
                                      "comma-separated (e.g. 0:64,0:512)")
            try:
                pairs.append((int(bounds[0]), int(bounds[1])))
            except ValueError:
                raise InvalidArgument(f"region {region!r}: {part!r} is not start:stop") from None
        return pairs
    pairs = []
    for item in region:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise InvalidArgument(f"region {region!r}: use every= for strides")
            pairs.append((item.start or 0, item.stop))
        else:
            start, stop = item
            pairs.append((int(start), int(stop)))
    return pairs


class Consumer:
    """Subscribes to streams. Creating one is collective over the job (it ends the
    first half of the set-up: every stream exposed in set-up is known), so every
    process of the job must reach that point; the first next() (or start()) ends the
    set-up, and subscriptions made before it get every iteration from the first."""

    def __init__(self, runtime=None, read_in_place=True):  # noqa: F811: the module's runtime()
        self._runtime = runtime if runtime is not None else _default_runtime()
        self._c = _sluice.Consumer(self._runtime, read_in_place)

    def streams(self):
        """Every stream known (a dict each: name, dtype, shape, is_value, policy, depth)."""
        return self._c.streams()

    def _shape(self, name):
        for s in self._c.streams():
            if s["name"] == name:
                return s["shape"]
        return None

    def subscribe(self, name, region=None, every=None, dtype=None):
        """A Subscription to stream `name`: the whole array, or `region` ("0:64,0:512" or
        ((0, 64), (0, 512)): half-open ranges), every `every`-th element per dimension
        (an int for all dimensions, or one per dimension). `dtype` defaults to the
        stream's; another one raises InvalidArgument. NotFound (naming the job's
        streams) for an unknown name."""
        pairs = parse_region(region)
        dtype_name = _dtype_name(dtype)
        if pairs is None and every is None:
            return self._c.subscribe(name, dtype_name)
        if pairs is None:
            shape = self._shape(name)
            if shape is None:
                return self._c.subscribe(name, dtype_name)  # raises NotFound, naming streams
            pairs = [(0, n) for n in shape]
        if every is None:
            steps = [1] * len(pairs)
        elif isinstance(every, int):
            steps = [every] * len(pairs)
        else:
            steps = [int(e) for e in every]
        if len(steps) != len(pairs) or any(e < 1 for e in steps):
            raise InvalidArgument(f"subscribing to {name!r}: every={every!r} must be >= 1, "
                                  f"one per dimension of the region ({len(pairs)})")
        for start, stop in pairs:
            if stop < start:
                raise InvalidArgument(f"subscribing to {name!r}: region {region!r} ends before "
                                      "it starts")
        start = [a for a, _ in pairs]
        count = [math.ceil((b - a) / e) for (a, b), e in zip(pairs, steps)]
        return self._c.subscribe(name, dtype_name, start, count, steps)

    def subscribe_value(self, name, dtype=None):
        """A Subscription to a single-value stream (the simulation time): step.value()."""
        return self._c.subscribe(name, _dtype_name(dtype), value=True)

    def start(self):
        """Ends the job's set-up (collective); the first next() does it by itself."""
        self._c.start()

    def close(self):
        """Ends every subscription of this consumer. Local."""
        self._c.close()


def consumer():
    """The process's default Consumer (created on first use)."""
    global _consumer
    if _consumer is None:
        _consumer = Consumer()
    return _consumer


from ._callbacks import Window, register, run  # noqa: E402
