"""Celery on the same RabbitMQ: the third contender of bench/jobs.sh.

``python celery_bench.py --n 20000 ...`` (broker: ``BENCH_AMQP_URL``, default
``amqp://guest:guest@127.0.0.1:5672//``) starts a Celery worker as a subprocess
(``celery -A celery_bench worker``), sends one warm-up task and waits for it, then
sends ``n`` no-op tasks ``noop(n=i)`` with ``apply_async`` and measures from the first
send until the worker has run the last one. It prints the same ``RESULT ...`` line
as the Rust binaries and deletes its queue afterwards.

Like apiarist's worker: tasks are acknowledged after they ran (``acks_late``), the
broker hands the worker ``--prefetch`` unacknowledged tasks at most
(``worker_prefetch_multiplier`` = prefetch / concurrency), messages are persistent on
a durable queue, and every publish waits for RabbitMQ's confirm
(``broker_transport_options={"confirm_publish": True}``). py-amqp blocks each
publish until its confirm, so ``--in-flight`` publishes awaiting their confirm are
``--in-flight`` sending threads, each with its own connection from Celery's
producer pool. No result backend (``ignore_result``).

Counting completions without distorting them: the worker module creates a
``multiprocessing.Value`` counter before the pool starts, so prefork children
(forked) and threads share it; the task increments it under its lock (about a
microsecond) and, only when the count reaches the warm-up (1) or the last task
(1 + n), writes ``time.monotonic()`` (CLOCK_MONOTONIC, the same clock in every
process) to a file. The sender polls for that file after sending and takes the
time written in it, so polling never adds to the measurement; no Redis, no result
backend, no per-task round trip.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from celery import Celery

BROKER = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "bench.celery")
DONE_DIR = os.environ.get("BENCH_CELERY_DONE_DIR")
TARGET = int(os.environ.get("BENCH_CELERY_TARGET", "0"))

app = Celery("celery_bench", broker=BROKER)
app.conf.update(
    task_acks_late=True,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    task_serializer="json",
    accept_content=["json"],
    broker_transport_options={"confirm_publish": True},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

# The completion counter, created in the worker's main process before the pool
# starts (so forked children share it); absent in the sender.
COUNTER = multiprocessing.Value("Q", 0) if DONE_DIR else None


def _milestone(count: int) -> None:
    path = os.path.join(DONE_DIR, f"done.{count}")
    with open(path + ".tmp", "w") as f:
        f.write(repr(time.monotonic()))
    os.replace(path + ".tmp", path)


@app.task(name="bench.noop", acks_late=True, ignore_result=True)
def noop(n: int) -> None:
    if COUNTER is None:
        return
    with COUNTER.get_lock():
        COUNTER.value += 1
        count = COUNTER.value
    if count == 1 or count == TARGET:
        _milestone(count)


def wait_for(done_dir: str, count: int, timeout: float, worker: subprocess.Popen) -> float:
    """The time written when the count reached ``count``."""
    path = os.path.join(done_dir, f"done.{count}")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if worker.poll() is not None:
            sys.exit(f"celery_bench: the worker exited with {worker.returncode}")
        if time.monotonic() > deadline:
            sys.exit(f"celery_bench: task {count} not done within {timeout:.0f} s")
        time.sleep(0.002)
    with open(path) as f:
        return float(f.read())


def send(producer, first: int, last: int) -> None:
    """Sends tasks first..=last, each publish waiting for its confirm."""
    for n in range(first, last + 1):
        noop.apply_async(kwargs={"n": n}, producer=producer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--prefetch", type=int, default=64)
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    parser.add_argument("--concurrency", type=int, default=64)
    # py-amqp waits for each confirm before it returns from a publish: a window of
    # publishes awaiting their confirm takes a sending thread (and connection) each.
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    concurrency = 1 if args.pool == "solo" else args.concurrency
    multiplier = max(1, args.prefetch // concurrency)

    queue = f"bench.celery.{uuid.uuid4().hex[:12]}"
    app.conf.task_default_queue = queue
    app.conf.broker_pool_limit = max(10, args.in_flight)
    done_dir = tempfile.mkdtemp(prefix="celery-bench.")
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(
        os.environ,
        BENCH_AMQP_URL=BROKER,
        BENCH_CELERY_QUEUE=queue,
        BENCH_CELERY_DONE_DIR=done_dir,
        BENCH_CELERY_TARGET=str(1 + args.n),
        PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    # --without-gossip/mingle/heartbeat: no cluster chatter between workers (there
    # is one), as Celery's docs suggest for throughput.
    command = [
        sys.executable, "-m", "celery", "-A", "celery_bench", "worker",
        "-P", args.pool, "-c", str(concurrency), "-Q", queue,
        "--prefetch-multiplier", str(multiplier),
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-l", "WARNING", "-n", f"bench-{queue}@%h",
    ]
    log_path = os.path.join(done_dir, "worker.log")
    log = open(log_path, "w")
    ok = False
    worker = subprocess.Popen(command, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    producers = []
    try:
        # The sending threads' producers, connected before the clock starts.
        producers.extend(app.producer_pool.acquire(block=True) for _ in range(max(1, args.in_flight)))
        for producer in producers:
            producer.connection.ensure_connection()
            producer.revive(producer.connection.default_channel)
        send(producers[0], 0, 0)  # warm-up: worker up and subscribed, queue declared
        wait_for(done_dir, 1, 60, worker)

        per = -(-args.n // len(producers))
        threads = [
            threading.Thread(target=send, args=(p, 1 + i * per, min(args.n, (i + 1) * per)))
            for i, p in enumerate(producers)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        enqueued = time.monotonic() - started
        finished = wait_for(done_dir, 1 + args.n, args.timeout, worker)
        elapsed = finished - started
        rate = args.n / elapsed
        print(
            f"celery: {args.n} jobs in {elapsed:.3f} s (all sent after {enqueued:.3f} s): "
            f"{rate:.0f} jobs/s (pool {args.pool}, concurrency {concurrency}, "
            f"prefetch {multiplier * concurrency}, in flight {args.in_flight})",
            file=sys.stderr,
        )
        print(
            f"RESULT contender=celery n={args.n} seconds={elapsed:.4f} "
            f"enqueue_seconds={enqueued:.4f} jobs_per_s={rate:.1f}",
            flush=True,
        )
        ok = True
    finally:
        for producer in producers:
            producer.release()
        try:
            os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown: nothing left to run
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        except ProcessLookupError:
            pass
        log.close()
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            try:
                _, left, _ = channel.queue_declare(queue, passive=True)
                if left:
                    print(f"celery_bench: {left} messages were left in {queue}", file=sys.stderr)
                channel.queue_delete(queue)
                channel.exchange_delete(queue)
            except Exception as error:  # noqa: BLE001 - cleanup is best effort
                print(f"celery_bench: could not delete {queue}: {error}", file=sys.stderr)
        if ok:
            shutil.rmtree(done_dir, ignore_errors=True)
        else:
            print(f"celery_bench: the worker's log is {log_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
