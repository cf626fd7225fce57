#!/usr/bin/python3
"""scripts/soak's stoppable reader: one more analytics process of the demo's job that
reads heat2d's temperature field (a band of rows, policy block) and that scripts/soak
stops (SIGSTOP) and continues (SIGCONT) while the job runs. Stopped longer than the
stream's reader lease (SLUICE_READER_LEASE), it is evicted by the producers; its next
step is then an error, and it subscribes again and goes on.

    scripts/sluice-mpirun -np 2 heat2d ... : -np 1 /usr/bin/python3 scripts/soak_reader.py \\
        --pid-file reader.pid

One line on standard output per eviction (`soak_reader: evicted at ...`) and a last
line with its counts: `soak_reader: N steps, E evictions, S subscriptions, B bad steps`
(iterations that did not increase within a subscription, or a step that was neither
ok, an eviction, a timeout nor the end). Exit status 1 if there were bad steps.
"""
import argparse
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid-file", help="write this process's id here once subscribed")
    parser.add_argument("--rows", type=int, default=8, help="rows of the field to read")
    parser.add_argument("--hold", type=float, default=0.002,
                        help="seconds each step is held before it is released")
    a = parser.parse_args()

    import sluice  # after --help: nothing of MPI before it is needed

    consumer = sluice.Consumer()
    shape = None
    for info in consumer.streams():
        if info["name"] == "temperature":
            shape = info["shape"]
    if shape is None:
        raise sluice.NotFound("soak_reader: the job has no stream 'temperature'")
    region = f"0:{min(a.rows, shape[0])},0:{shape[1]}"

    def subscribe():
        return consumer.subscribe("temperature", region=region)

    subscription = subscribe()
    subscriptions = 1
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(a.pid_file + ".tmp", a.pid_file)
    steps = evictions = bad = 0
    last = -1
    while True:
        step = subscription.next(timeout=5)
        if step.status == sluice.Status.end_of_stream:
            break
        if step.status == sluice.Status.not_ready:
            continue  # paused, switched off or held up: wait again
        if step.status == sluice.Status.error:
            if "evicted" in step.error and subscription.is_closed:
                evictions += 1
                print(f"soak_reader: evicted at iteration {last}: {step.error}", flush=True)
                subscription = subscribe()
                subscriptions += 1
                last = -1
                continue
            bad += 1
            print(f"soak_reader: unexpected error after iteration {last}: {step.error}",
                  file=sys.stderr, flush=True)
            break
        with step:
            if step.iteration <= last:
                bad += 1
                print(f"soak_reader: iteration {step.iteration} after {last}", file=sys.stderr,
                      flush=True)
            last = step.iteration
            # Something to do with the data, while the step is held.
            if not step.array().shape[0] <= a.rows:
                bad += 1
            steps += 1
            if a.hold > 0:
                time.sleep(a.hold)
    print(f"soak_reader: {steps} steps, {evictions} evictions, {subscriptions} subscriptions, "
          f"{bad} bad steps", flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
