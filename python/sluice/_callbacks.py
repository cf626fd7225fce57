"""Callbacks over windows of iterations, the deisa-ray way::

    @sluice.register(sluice.Window("temperature", size=2), sluice.Window("time", size=2),
                     when="AND")
    def analyse(temperature, time, iteration):
        # temperature: [array of the previous iteration, array of this one] (oldest first)
        # time: [float, float]; both lists are shorter for the first iterations
        ...

    sluice.run()

when="AND": the function is called for every iteration all its windows' streams have
(a StepGroup: iterations that one stream will never have are skipped by all).
when="OR": it is called whenever any of its streams delivers an iteration, with the
windows as they are then (the other streams' newest entries may be older).

Windows hold copies (arrays) or values (single-value streams), never views into the
producers' slots, so a callback may keep them. A callback that raises is reported on
standard error with its name, the iteration and the traceback; the loop goes on
(run() returns how many calls failed). Waiting releases the GIL.
"""

import collections
import sys
import time
import traceback

from . import _sluice

_registered = []


class Window:
    """The `size` newest iterations of a stream, oldest first (region, every and dtype
    as Consumer.subscribe)."""

    def __init__(self, stream, size=1, region=None, every=None, dtype=None):
        if size < 1:
            raise _sluice.InvalidArgument(f"Window({stream!r}): size must be >= 1, not {size}")
        self.stream = stream
        self.size = size
        self.region = region
        self.every = every
        self.dtype = dtype

    def __repr__(self):
        return f"Window({self.stream!r}, size={self.size})"


class _Callback:
    def __init__(self, function, windows, when):
        self.function = function
        self.name = getattr(function, "__qualname__", repr(function))
        self.windows = windows
        self.when = when
        self.history = [collections.deque(maxlen=w.size) for w in windows]
        self.subscriptions = []
        self.group = None
        self.ended = [False] * len(windows)
        self.calls = 0
        self.failures = 0

    def subscribe(self, consumer):
        for w in self.windows:
            infos = {s["name"]: s for s in consumer.streams()}
            if w.stream in infos and infos[w.stream]["is_value"]:
                self.subscriptions.append(consumer.subscribe_value(w.stream, dtype=w.dtype))
            else:
                self.subscriptions.append(
                    consumer.subscribe(w.stream, region=w.region, every=w.every, dtype=w.dtype))
        if self.when == "AND":
            self.group = _sluice.StepGroup(self.subscriptions)

    @property
    def done(self):
        return all(self.ended)

    def _call(self, iteration):
        self.calls += 1
        try:
            self.function(*[list(h) for h in self.history], iteration)
        except Exception:  # a user's error: report it, go on with the next iteration
            self.failures += 1
            sys.stderr.write(f"sluice: callback {self.name} failed at iteration {iteration}:\n")
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()

    def poll(self, timeout):
        """Waits up to `timeout` s for the next iteration; returns whether one came."""
        if self.group is not None:
            steps = self.group.next(timeout)
            if steps.status == _sluice.Status.end_of_stream:
                self.ended = [True] * len(self.windows)
                return False
            if steps.status == _sluice.Status.error:
                raise _sluice.Error(f"callback {self.name}: {steps.error}")
            if not steps.ok:
                return False
            with steps:
                for i, (h, sub) in enumerate(zip(self.history, self.subscriptions)):
                    h.append(_value_or_copy(steps[i], sub))
            self._call(steps.iteration)
            return True
        progressed = False
        for i, sub in enumerate(self.subscriptions):
            if self.ended[i]:
                continue
            step = sub.next(timeout / max(1, len(self.subscriptions)))
            if step.status == _sluice.Status.end_of_stream:
                self.ended[i] = True
                continue
            if step.status == _sluice.Status.error:
                raise _sluice.Error(f"callback {self.name}, stream {sub.name}: {step.error}")
            if not step.ok:
                continue
            with step:
                self.history[i].append(_value_or_copy(step, sub))
            self._call(step.iteration)
            progressed = True
        return progressed


def _value_or_copy(step, subscription):
    return step.value() if subscription.is_value else step.array(copy=True)


def register(*windows, when="AND"):
    """Registers the decorated function, called by run() as f(list per window, ...,
    iteration). `when`: "AND" (every stream has the iteration) or "OR" (any has one)."""
    if not windows:
        raise _sluice.InvalidArgument("sluice.register: give at least one Window")
    for w in windows:
        if not isinstance(w, Window):
            raise _sluice.InvalidArgument(f"sluice.register: {w!r} is not a sluice.Window")
    if when not in ("AND", "OR"):
        raise _sluice.InvalidArgument(f"sluice.register: when={when!r}: use 'AND' or 'OR'")

    def decorate(function):
        _registered.append(_Callback(function, list(windows), when))
        return function

    return decorate


def run(timeout=None, consumer=None):
    """Subscribes every registered callback (before the job's set-up ends, so that
    they see every iteration from the first) and calls them until their streams end.
    `timeout`: seconds without any iteration after which TimeoutError is raised (None:
    wait for ever). Returns {callback name: {"calls": n, "failures": n}}."""
    import sluice

    callbacks = list(_registered)
    _registered.clear()
    if not callbacks:
        raise _sluice.StateError("sluice.run: no callback registered (use @sluice.register)")
    reader = consumer if consumer is not None else sluice.consumer()
    for cb in callbacks:
        cb.subscribe(reader)
    reader.start()
    # One callback waits as long as it needs; several take turns in short slices.
    slice_s = 1.0 if len(callbacks) == 1 else 0.05
    last = time.monotonic()
    while not all(cb.done for cb in callbacks):
        progressed = False
        for cb in callbacks:
            if not cb.done and cb.poll(slice_s):
                progressed = True
        now = time.monotonic()
        if progressed:
            last = now
        elif timeout is not None and now - last > timeout:
            raise TimeoutError(f"sluice.run: no iteration within {timeout} s")
    return {cb.name: {"calls": cb.calls, "failures": cb.failures} for cb in callbacks}
