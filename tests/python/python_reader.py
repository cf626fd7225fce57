#!/usr/bin/python3
"""The Python process of the jobs check_python.py runs (with heat2d): each mode exercises
part of the `sluice` module and prints one "PASS <mode>" line per check, or raises.

usage: python_reader.py MODE NX NY ITERS
  views      zero-copy views into the producer's slot, copies, release, StepGroup, values
  bad-use    unknown stream, wrong dtype, bad regions, a callback that raises
  callbacks  an explicit runtime, several callbacks, OR and AND windows
  mpi4py     mpi4py imported first (it initialises MPI, sluice borrows it)
  uncaught   an exception reaches the top level: the process leaves the job, whose
             simulation runs to its end (the job's exit status says the failure)
  steer      (with a steering server and its port file as 5th argument) every request
"""
import math
import sys
import threading
import time

import numpy as np

import sluice


def expect_raises(kind, text, call):
    try:
        call()
    except kind as e:
        for t in text:
            assert t in str(e), f"{kind.__name__} without {t!r}: {e}"
        return str(e)
    raise AssertionError(f"expected {kind.__name__}")


def views(nx, ny, iters):
    assert sluice.runtime().role == "analytics"
    consumer = sluice.consumer()
    names = {s["name"]: s for s in consumer.streams()}
    assert names["temperature"]["shape"] == (nx, ny), names
    assert names["temperature"]["dtype"] == np.float64
    assert names["time"]["is_value"]
    whole = consumer.subscribe("temperature")
    rows = consumer.subscribe("temperature", region="1:5,2:10")
    strided = consumer.subscribe("temperature", region=((0, nx), (0, ny)), every=(2, 3))
    remote = consumer.subscribe("temperature", region="0:4,0:4")
    remote.force_remote()
    sim_time = consumer.subscribe_value("time")
    plain = consumer.subscribe("temperature", region="0:2,0:2")
    group = sluice.StepGroup([sim_time, whole, rows, strided, remote])
    # (Subscribed before the first next(): every subscription gets every iteration.)
    # A step is refused once the next next() released it; a closed subscription ends.
    first = plain.next(timeout=30)
    assert first.ok and first.array().shape == (2, 2)
    second = plain.next(timeout=30)
    assert second.ok and second.iteration == first.iteration + 1
    expect_raises(sluice.StateError, ["released"], first.array)
    plain.close()
    assert plain.is_closed and plain.next(timeout=0).status == sluice.Status.error
    print("PASS a step released by the next next(); closing a subscription")

    seen = []
    while True:
        steps = group.next(timeout=60)
        if steps.status == sluice.Status.end_of_stream:
            break
        assert steps.ok, steps.status
        k = steps.iteration
        with steps:
            t, w, r, s, m = (steps[i] for i in range(5))
            assert isinstance(t.value(), float)
            field = w.array()
            assert field.shape == (nx, ny)
            assert w.in_place, "one node: the step must be read in place"
            blocks = w.blocks()
            if len(blocks) == 1:
                # One producer rank: a view of its slot, not a copy.
                assert field.ctypes.data == blocks[0]["address"], "not a view of the slot"
                assert not field.flags.writeable and not field.flags.owndata
                assert field.base is not None
                part = r.array()
                assert part.ctypes.data == r.blocks()[0]["address"]
            else:
                assert field.flags.owndata, "several blocks: a copy"
                for b in blocks:  # each block's own view holds its part
                    a0, a1 = b["result_start"]
                    n0, n1 = b["count"]
                    assert np.array_equal(b["array"], field[a0:a0 + n0, a1:a1 + n1])
            copy = w.array(copy=True)
            assert copy.flags.owndata and copy.flags.writeable
            assert np.array_equal(copy, field)
            assert np.array_equal(r.array(), field[1:5, 2:10])
            assert np.array_equal(s.array(), field[::2, ::3])
            assert not m.in_place and m.array().flags.owndata
            assert np.array_equal(m.array(), field[0:4, 0:4])
            if k == 0:
                assert np.all(field == 0.0)
            else:
                assert field[0].max() > 0.0  # the hot boundary warms the first row
            # The fused kernel over the step where it lies, against numpy; the strided
            # and the pulled steps too.
            before = np.full((nx, ny), 1.0)
            st = sluice.step_statistics(w, previous=before, range=(0.0, 100.0), bins=16)
            assert st["count"] == nx * ny and math.isclose(st["sum"], float(field.sum()))
            assert st["min"] == field.min() and st["max"] == field.max()
            assert np.array_equal(st["histogram"], np.histogram(field, 16, (0.0, 100.0))[0])
            assert math.isclose(st["change_sum"], float((field - 1.0).sum()))
            assert st["change_count"] == nx * ny and np.array_equal(before, field)
            for step, expected in ((s, field[::2, ::3]), (m, field[0:4, 0:4])):
                st = sluice.step_statistics(step)
                assert st["count"] == expected.size and st["max"] == expected.max()
                assert "change_sum" in st and st["change_count"] == 0
            expect_raises(sluice.InvalidArgument, ["shape"],
                          lambda: sluice.step_statistics(w, previous=np.zeros((nx, ny + 1))))
            expect_raises(sluice.InvalidArgument, ["writable C-contiguous"],
                          lambda: sluice.step_statistics(w, previous=np.zeros((ny, nx)).T))
        # Released by `with`: refused now.
        expect_raises(sluice.StateError, ["released"], w.array)
        expect_raises(sluice.StateError, ["released"], w.blocks)
        seen.append(k)
    assert seen == list(range(iters + 1)), seen
    print("PASS views: zero-copy views into the slot, copies, regions, strides, remote, "
          "refused after release")

    # A plain subscription, its own next() and status enum; after the end: end_of_stream.
    step = whole.next(timeout=1)
    assert step.status == sluice.Status.error or step.status == sluice.Status.end_of_stream


def bad_use(nx, ny, iters):
    consumer = sluice.consumer()
    message = expect_raises(sluice.NotFound, ["presure", "temperature", "time"],
                            lambda: consumer.subscribe("presure"))
    assert isinstance(sluice.NotFound("x"), sluice.Error)
    print("PASS unknown stream:", message.replace("\n", " "))
    expect_raises(sluice.InvalidArgument, ["f32", "f64"],
                  lambda: consumer.subscribe("temperature", dtype=np.float32))
    expect_raises(sluice.InvalidArgument, ["complex"],
                  lambda: consumer.subscribe("temperature", dtype=np.complex128))
    print("PASS wrong dtype")
    expect_raises(sluice.InvalidArgument, ["0:64:2"],
                  lambda: consumer.subscribe("temperature", region="0:64:2,0:3"))
    expect_raises(sluice.InvalidArgument, [],
                  lambda: consumer.subscribe("temperature", region=f"0:{nx + 1},0:{ny}"))
    expect_raises(sluice.InvalidArgument, ["every"],
                  lambda: consumer.subscribe("temperature", every=0))
    expect_raises(sluice.InvalidArgument, ["array"],
                  lambda: consumer.subscribe_value("temperature"))
    print("PASS bad regions")

    calls = []

    @sluice.register(sluice.Window("temperature", size=2, region="0:2,0:3"),
                     sluice.Window("time", size=3), when="AND")
    def fragile(temperature, time, iteration):
        calls.append(iteration)
        assert len(temperature) == min(iteration + 1, 2) and len(time) == min(iteration + 1, 3)
        assert temperature[-1].shape == (2, 3)
        assert time == sorted(time)
        if iteration == 3:
            raise ValueError("deliberate failure at 3")

    summary = sluice.run(timeout=60)
    assert calls == list(range(iters + 1)), calls
    assert summary == {"bad_use.<locals>.fragile": {"calls": iters + 1, "failures": 1}}, summary
    print("PASS a callback that raises: reported, the loop went on")


def callbacks(nx, ny, iters):
    # Explicit role first; once per process.
    rt = sluice.Runtime(role="analytics")
    assert sluice.runtime() is rt and rt.role == "analytics" and rt.size == 1
    expect_raises(sluice.StateError, ["already"], sluice.Runtime)
    either_seen = []
    alone_seen = []

    @sluice.register(sluice.Window("time"), sluice.Window("temperature", region="0:1,0:4"),
                     when="OR")
    def either(time, temperature, iteration):
        assert len(time) <= 1 and len(temperature) <= 1
        either_seen.append(iteration)

    @sluice.register(sluice.Window("temperature", size=3, every=2))
    def alone(temperature, iteration):
        assert len(temperature) == min(iteration + 1, 3)
        assert all(t.shape == ((nx + 1) // 2, (ny + 1) // 2) for t in temperature)
        alone_seen.append(iteration)

    summary = sluice.run(timeout=60)
    assert sorted(either_seen) == sorted(list(range(iters + 1)) * 2), either_seen
    assert alone_seen == list(range(iters + 1)), alone_seen
    assert all(s["failures"] == 0 for s in summary.values()), summary
    expect_raises(sluice.StateError, ["no callback"], sluice.run)
    print("PASS callbacks: explicit runtime, OR and AND windows, strided windows")


def steer(nx, ny, iters, port_file):
    from sluice.steering import Steering, SteeringError

    consumer = sluice.consumer()
    group = sluice.StepGroup([consumer.subscribe_value("time"),
                              consumer.subscribe("temperature")])
    asked = {}
    failures = []

    # Steering waits for iteration boundaries, which a `block` producer reaches only while
    # this process reads: steer from a thread, read in the main one.
    def steering():
        try:
            with Steering(port_file=port_file) as s:
                status = s.status()
                assert status["streams"]["temperature"]["shape"] == (nx, ny), status
                assert "hot" in s.params(), s.params()
                asked["hot"] = s.set("hot", 50.0)
                assert s.get("hot") == 50.0
                expect_raises(SteeringError, ["UnknownName"], lambda: s.set("no_such", 1.0))
                asked["inject"] = s.inject("temperature", np.full((2, 3), 77.0), at=(4, 5))
                asked["pause"] = s.pause()
                time.sleep(0.6)
                asked["resume"] = s.resume()
                asked["region"] = s.stream("temperature", region=f"0:4,0:{ny}")
                asked["stop"] = s.stop()
        except BaseException as e:  # noqa: B902: reported by the main thread
            failures.append(e)
            raise

    records = []
    thread = None
    while True:
        steps = group.next(timeout=60)
        if steps.status == sluice.Status.end_of_stream:
            break
        assert steps.ok, (steps.status, steps.error)
        with steps:
            field = steps[1].array()
            patch = field[4:6, 5:8].copy() if field.shape == (nx, ny) else None
            records.append((steps.iteration, field.shape, patch, time.monotonic()))
        if thread is None and steps.iteration >= 3:
            thread = threading.Thread(target=steering)
            thread.start()
    thread.join()
    assert not failures, failures
    print("steering answered:", asked)
    by_iteration = {k: (shape, patch) for k, shape, patch, _ in records}
    assert np.all(by_iteration[asked["inject"]][1] == 77.0), by_iteration[asked["inject"]]
    assert all(shape == (4, ny) for k, shape, _, _ in records if k >= asked["region"])
    assert all(shape == (nx, ny) for k, shape, _, _ in records if k < asked["region"])
    assert records[-1][0] < asked["stop"], (records[-1][0], asked["stop"])
    gaps = [b[3] - a[3] for a, b in zip(records, records[1:])]
    assert max(gaps) >= 0.4, max(gaps)
    print("PASS steer: status, set/get, unknown name refused, inject, pause/resume, region, "
          "stop")


def uncaught(nx, ny, iters):
    step = sluice.consumer().subscribe("temperature").next(timeout=30)
    assert step.ok
    raise RuntimeError("deliberate uncaught error")


def with_mpi4py(nx, ny, iters):
    from mpi4py import MPI  # initialises MPI (thread level multiple) before sluice

    assert sluice._sluice.mpi_initialized()
    reader = sluice.consumer().subscribe("temperature", region="0:2,0:2")
    seen = []
    while True:
        step = reader.next(timeout=30)
        if step.status == sluice.Status.end_of_stream:
            break
        with step:
            seen.append(step.iteration)
    assert seen == list(range(iters + 1)), seen
    print(f"PASS mpi4py first: MPI initialised by mpi4py ({MPI.COMM_WORLD.Get_size()} "
          "processes), left for it to finalise")


def main():
    mode, nx, ny, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    modes = {"views": views, "bad-use": bad_use, "callbacks": callbacks, "steer": steer,
             "uncaught": uncaught, "mpi4py": with_mpi4py}
    modes[mode](nx, ny, iters, *sys.argv[5:])


if __name__ == "__main__":
    main()
