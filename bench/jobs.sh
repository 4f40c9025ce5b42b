#!/usr/bin/env bash
# Jobs throughput on RabbitMQ: apiarist's JobQueue + Worker against a hand-written
# lapin loop (the baseline) and against Celery, enqueue -> done; writes
# bench/JOBS-RESULTS.md. See bench/README.md ("Jobs throughput").
# Knobs (env): JOBS_N (20000), JOBS_CELERY_N (JOBS_N), JOBS_ROUNDS (3),
# JOBS_PREFETCH (64), JOBS_CONCURRENCY (64), JOBS_IN_FLIGHT (64),
# JOBS_AMQP_URL (amqp://guest:guest@127.0.0.1:5672/%2f), CELERY_VERSION (5.7.0),
# CELERY_POOL (threads), CELERY_CONCURRENCY (JOBS_CONCURRENCY; 1 for solo),
# JOBS_NOTE (a line added to the report), CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
N="${JOBS_N:-20000}"
CELERY_N="${JOBS_CELERY_N:-$N}"
ROUNDS="${JOBS_ROUNDS:-3}"
PREFETCH="${JOBS_PREFETCH:-64}"
CONCURRENCY="${JOBS_CONCURRENCY:-64}"
IN_FLIGHT="${JOBS_IN_FLIGHT:-64}"
AMQP_URL="${JOBS_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
CELERY_VERSION="${CELERY_VERSION:-5.7.0}"
CELERY_POOL="${CELERY_POOL:-threads}"
CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-$CONCURRENCY}"
NOTE="${JOBS_NOTE:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apiarist-bench-target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apiarist-jobs-bench.XXXXXX")"

BENCH_NAME=jobs-bench
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

for knob in N CELERY_N ROUNDS PREFETCH CONCURRENCY IN_FLIGHT CELERY_CONCURRENCY; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, not '${!knob}'"
done
((PREFETCH <= 65535)) || die "JOBS_PREFETCH must fit AMQP's basic.qos (at most 65535)"
case $CELERY_POOL in threads | prefork | solo) ;; *) die "CELERY_POOL must be threads, prefork or solo" ;; esac
command -v cargo >/dev/null || die "cargo not found"
command -v python3 >/dev/null || die "python3 not found (Celery runs in a venv made with it)"

# --- RabbitMQ -----------------------------------------------------------------
# host:port from the URL, for a TCP check; started here if it is local and down.
hostport=${AMQP_URL#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
AMQP_HOST=${hostport%%:*}
AMQP_PORT=${hostport##*:}
[[ $AMQP_PORT == "$hostport" || -z $AMQP_PORT ]] && AMQP_PORT=5672
amqp_up() { (exec 3<>"/dev/tcp/$AMQP_HOST/$AMQP_PORT") 2>/dev/null; }
if ! amqp_up; then
    [[ $AMQP_HOST == 127.0.0.1 || $AMQP_HOST == localhost ]] && command -v rabbitmq-server >/dev/null ||
        die "RabbitMQ is not answering on $AMQP_HOST:$AMQP_PORT"
    log "starting RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached || die "could not start RabbitMQ"
    for _ in $(seq 120); do amqp_up && break; sleep 0.5; done
    amqp_up || die "RabbitMQ did not come up on $AMQP_HOST:$AMQP_PORT within 60 s"
fi
RABBITMQ_VERSION=$(rabbitmqctl version 2>/dev/null || echo unknown)

# --- Celery in a venv (never installed globally) -----------------------------
VENV="$CARGO_TARGET_DIR/celery-venv"
if [[ ! -e $VENV/installed-celery-$CELERY_VERSION ]]; then
    log "installing celery==$CELERY_VERSION into $VENV"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        [[ $(id -u) -eq 0 ]] || die "python3's venv module is missing: apt-get install python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "celery==$CELERY_VERSION"
    touch "$VENV/installed-celery-$CELERY_VERSION"
fi
PYTHON_VERSION=$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')

# --- build --------------------------------------------------------------------
log "building release binaries into $CARGO_TARGET_DIR"
(cd "$ROOT" && cargo build --release -p bench-jobs)
BIN="$CARGO_TARGET_DIR/release"

# --- rounds -------------------------------------------------------------------
CONTENDERS=(lapin apiarist celery)
declare -A LABEL=([lapin]='hand-written lapin (baseline)' [apiarist]='apiarist `JobQueue` + `Worker`'
    [celery]="Celery $CELERY_VERSION ($CELERY_POOL pool)")

# Runs one contender; prints its jobs/s.
run_one() {
    local name=$1 out="$WORK/$1.$2"
    local common=(--prefetch "$PREFETCH" --in-flight "$IN_FLIGHT" --timeout 300)
    case $name in
        lapin | apiarist)
            "$BIN/jobs-$name" --n "$N" --concurrency "$CONCURRENCY" --url "$AMQP_URL" "${common[@]}" \
                >"$out" 2>"$out.log" || die "$name failed; see $out.log"
            ;;
        celery)
            BENCH_AMQP_URL="$AMQP_URL" "$VENV/bin/python" "$BENCH/jobs/celery_bench.py" --n "$CELERY_N" \
                --pool "$CELERY_POOL" --concurrency "$CELERY_CONCURRENCY" "${common[@]}" \
                >"$out" 2>"$out.log" || die "celery failed; see $out.log"
            ;;
    esac
    sed -n 's/^RESULT .*jobs_per_s=\([0-9.]*\).*/\1/p' "$out"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)
declare -A RATE=() RAW=()
for r in $(seq "$ROUNDS"); do
    # Rotate who goes first, so drift (heat, neighbours) spreads over all three.
    order=()
    for i in 0 1 2; do order+=("${CONTENDERS[$(((i + r - 1) % 3))]}"); done
    for name in "${order[@]}"; do
        rate=$(run_one "$name" "$r")
        [[ -n $rate ]] || die "$name printed no result; see $WORK/$name.$r"
        log "round $r/$ROUNDS $name: $rate jobs/s"
        RATE[$name]+="$rate "
        RAW[$name]+="$(printf '%.0f' "$rate") "
    done
done
ELAPSED=$(($(date +%s) - STARTED))

# --- report -------------------------------------------------------------------
declare -A MED=()
for name in "${CONTENDERS[@]}"; do MED[$name]=$(med "${RATE[$name]}"); done
TARGET=80
out="$WORK/JOBS-RESULTS.md"
{
    echo "# Jobs throughput: apiarist vs a hand-written lapin loop vs Celery (RabbitMQ)"
    echo
    [[ -z $NOTE ]] || { echo "**Note:** $NOTE"; echo; }
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- Load average (1/5/15 min) before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine skew results)"
    echo "- Toolchain: $(rustc --version), release profile; Python $PYTHON_VERSION, Celery $CELERY_VERSION"
    echo "- Broker: RabbitMQ $RABBITMQ_VERSION on $AMQP_HOST:$AMQP_PORT (same machine), shared by all three"
    echo "- Method: \`bash bench/jobs.sh\` ($ELAPSED s of rounds). Each contender runs as its own process, starts"
    echo "  its consumer, sends one warm-up job and waits for it, then measures from the first send"
    echo "  until the last job is done: $N jobs \`{\"n\": i}\` ($CELERY_N for Celery), persistent on a durable"
    echo "  queue of their own (deleted afterwards), each publish waiting for RabbitMQ's confirm with"
    echo "  $IN_FLIGHT publishes in flight, a consumer with prefetch $PREFETCH that handles up to $CONCURRENCY"
    echo "  jobs at a time with a no-op and acknowledges each after it ran. jobs/s = jobs / that time."
    echo "  - apiarist: \`JobQueue::enqueue\` on an \`AmqpBroker\` (a fresh namespace per run) and a"
    echo "    \`Worker\` (\`QueueOptions { prefetch: $PREFETCH, concurrency: $CONCURRENCY }\`) handing each job to a"
    echo "    counting no-op actor; done = the worker drained after the last job (every ack sent)."
    echo "  - lapin: one connection, a publisher channel with \`confirm_select\`, a consumer channel"
    echo "    with \`basic_qos($PREFETCH)\`; each delivery's JSON body is decoded in a task of its own"
    echo "    (at most $CONCURRENCY) and acked; done = the last ack sent. Both Rust binaries run on a"
    echo "    single-threaded actix system (\`bench/jobs/src/bin/\`), without logging."
    echo "  - Celery: \`bench/jobs/celery_bench.py\`: \`apply_async\` from $IN_FLIGHT sending threads"
    echo "    (py-amqp blocks each publish until its confirm, so a thread per publish in flight;"
    echo "    \`confirm_publish\`), a worker subprocess \`-P $CELERY_POOL -c $CELERY_CONCURRENCY\` with \`acks_late\`,"
    echo "    the prefetch multiplier giving prefetch $PREFETCH, no result backend; done = the task body"
    echo "    of the last job ran (a counter shared by the worker's processes, see the script)."
    echo "    The threads pool (the default) has the shape of apiarist's worker: one process running"
    echo "    many jobs at a time; see bench/README.md for why not prefork or solo."
    echo "  $ROUNDS round$( ((ROUNDS == 1)) || echo s), rotating which contender goes first; numbers are medians."
    echo "- Noise: the contender, its worker and RabbitMQ share the machine's $(nproc) CPUs, and RabbitMQ"
    echo "  does about as much work per job as the client, so runs move by 10-20%; compare medians"
    echo "  and re-run on a quiet machine before reading much into a gap."
    echo
    echo "| contender | jobs/s (median) | ratio to lapin | target | jobs/s per round |"
    echo "| --- | ---: | ---: | ---: | --- |"
    for name in "${CONTENDERS[@]}"; do
        case $name in lapin) target='baseline' ;; apiarist) target="≥ $TARGET%" ;; *) target='reference' ;; esac
        printf '| %s | %.0f | %s | %s | %s |\n' "${LABEL[$name]}" "${MED[$name]}" \
            "$(pct "${MED[$name]}" "${MED[lapin]}")" "$target" "${RAW[$name]% }"
    done
    echo
    ratio=$(pct "${MED[apiarist]}" "${MED[lapin]}")
    if awk -v a="${MED[apiarist]}" -v b="${MED[lapin]}" -v t="$TARGET" 'BEGIN { exit !(100 * a >= t * b) }'; then
        echo "apiarist meets its target: $ratio of the hand-written lapin loop (≥ $TARGET%)."
    else
        echo "apiarist is below its target: $ratio of the hand-written lapin loop (< $TARGET%)."
    fi
    echo "apiarist vs Celery: $(awk -v a="${MED[apiarist]}" -v c="${MED[celery]}" 'BEGIN { printf "%.1f", a / c }')× the jobs/s."
} >"$out"
mv "$out" "$BENCH/JOBS-RESULTS.md"
log "wrote $BENCH/JOBS-RESULTS.md (raw output in $WORK)"
cat "$BENCH/JOBS-RESULTS.md"
