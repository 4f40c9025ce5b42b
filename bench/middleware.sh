#!/usr/bin/env bash
# What apiarist's default middleware stack costs: the same app (framework/examples/
# middleware_stack.rs) served with MIDDLEWARE=none (the core layer only: request id,
# tracing span, error rendering) and MIDDLEWARE=default (CORS, compression and metrics
# on top), driven alike with wrk. bench/run.sh runs it and puts its table in
# RESULTS.md; on its own (`bash bench/middleware.sh [OUT.md]`) it needs no database
# and prints the table (and writes it to OUT.md if given).
# Knobs (env): BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_ROUNDS (5),
# BENCH_THREADS (2), BENCH_CONNECTIONS (64), STACK_NONE_PORT (18083),
# STACK_PORT (18084), CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-3s}"
ROUNDS="${BENCH_ROUNDS:-5}"
THREADS="${BENCH_THREADS:-2}"
CONNS="${BENCH_CONNECTIONS:-64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apiarist-bench-target}"
HOST=127.0.0.1
ORIGIN=http://localhost:3000
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apiarist-bench-mw.XXXXXX")"
OUT="${1:-}"

BENCH_NAME=bench:middleware
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

command -v wrk >/dev/null && command -v curl >/dev/null ||
    die "need wrk and curl (apt-get install wrk curl; bench/run.sh installs them)"

log "building the example server into $CARGO_TARGET_DIR"
(cd "$ROOT" && cargo build --release -p apiarist --example middleware_stack)
BIN="$CARGO_TARGET_DIR/release/examples/middleware_stack"

declare -A PID=() PORT=([none]="${STACK_NONE_PORT:-18083}" [default]="${STACK_PORT:-18084}")
cleanup() {
    for name in none default; do
        if [[ -n ${PID[$name]:-} ]]; then
            kill "${PID[$name]}" 2>/dev/null || true
            wait "${PID[$name]}" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

url() { printf 'http://%s:%s%s' "$HOST" "${PORT[$1]}" "$2"; }
for name in none default; do
    port=${PORT[$name]}
    curl -s -o /dev/null "http://$HOST:$port/" && die "port $port is already in use"
    (cd "$WORK" && HOST=$HOST PORT=$port RUST_LOG=warn MIDDLEWARE=$name exec "$BIN") \
        >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 100); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$(url "$name" /hello)") == 200 ]] && break
        kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited; see $WORK/$name.log"
        sleep 0.1
    done
done

# Every request carries what a browser's would: an Origin, and compression accepted.
HEADERS=(-H "Origin: $ORIGIN" -H 'Accept-Encoding: gzip, br')
fetch() { curl -s "${HEADERS[@]}" -D "$WORK/$1.$2.headers" -o "$WORK/$1.$2.body" "$(url "$1" "$3")"; }
SCENARIOS=(hello list)
declare -A PATHS=([hello]='/hello?name=Ada' [list]='/list')
declare -A LABEL=([hello]='hello `GET /hello?name=Ada` (25 B, not compressed)'
    [list]='list `GET /list` (2 KB of JSON, compressed by the stack)')
# Minimum default/none requests/s, in percent. The list's row shows what compressing
# 2 KB costs in CPU (brotli sends 7% of the bytes): no target.
declare -A TARGET=([hello]=90 [list]=0)

# The stack must do its work (or the comparison means nothing): CORS headers on both
# answers, a compressed list; none of that without it; the same JSON either way.
for s in "${SCENARIOS[@]}"; do
    for name in none default; do fetch "$name" "$s" "${PATHS[$s]}"; done
    grep -qi '^access-control-allow-origin: http://localhost:3000' "$WORK/default.$s.headers" ||
        die "$s: the default stack answered without CORS headers"
    grep -qi '^access-control-allow-origin' "$WORK/none.$s.headers" && die "$s: CORS headers without the stack"
done
grep -qi '^content-encoding: br' "$WORK/default.list.headers" || die "the default stack did not compress /list"
grep -qi '^content-encoding' "$WORK/none.list.headers" && die "/list compressed without the stack"
grep -qi '^content-encoding' "$WORK/default.hello.headers" && die "/hello compressed (below the minimum size)"
cmp -s "$WORK/none.hello.body" "$WORK/default.hello.body" || die "/hello answers differ"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$(url default /metrics)") == 200 ]] || die "no /metrics with the stack"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$(url none /metrics)") == 404 ]] || die "/metrics without the stack"

# Prints "req/s p99_ms non2xx" for one wrk run.
run_wrk() {
    local name=$1 scenario=$2 duration=$3 out=$4
    wrk -t"$THREADS" -c"$CONNS" -d"$duration" --latency "${HEADERS[@]}" "$(url "$name" "${PATHS[$scenario]}")" >"$out"
    wrk_stats "$out"
}

declare -A RPS=() P99=() RAW=()
BAD=""
for s in "${SCENARIOS[@]}"; do measure_rounds "$s" none default; done
[[ -z $BAD ]] || die "$BAD"

report="$WORK/middleware.md"
{
    echo "## The default middleware stack"
    echo
    echo "\`bash bench/middleware.sh\`: the app of \`framework/examples/middleware_stack.rs\` with"
    echo "\`MIDDLEWARE=none\` (apiarist's core layer only: request id, tracing span, error"
    echo "rendering) and \`MIDDLEWARE=default\` (CORS, compression and Prometheus metrics on top),"
    echo "each request with \`Origin\` and \`Accept-Encoding: gzip, br\`, $ROUNDS round$( ((ROUNDS == 1)) || echo s) of"
    echo "\`wrk -t$THREADS -c$CONNS -d$DURATION\` alternating the two. The ratio is default / none requests/s."
    echo
    echo "| scenario | none req/s | default req/s | ratio | target | none p99 | default p99 |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    below=()
    for s in "${SCENARIOS[@]}"; do
        n=$(med "${RPS[$s.none]}") d=$(med "${RPS[$s.default]}")
        np=$(med "${P99[$s.none]}") dp=$(med "${P99[$s.default]}")
        ratio=$(pct "$d" "$n")
        target="—"
        if ((TARGET[$s] > 0)); then
            target="≥ ${TARGET[$s]}%"
            awk -v a="$d" -v b="$n" -v t="${TARGET[$s]}" 'BEGIN { exit !(100 * a < t * b) }' &&
                below+=("$s ($ratio < ${TARGET[$s]}%)")
        fi
        printf '| %s | %.0f | %.0f | %s | %s | %.2f ms | %.2f ms |\n' "${LABEL[$s]}" "$n" "$d" "$ratio" "$target" "$np" "$dp"
    done
    echo
    if ((${#below[@]})); then echo "Below target: ${below[*]}."; else echo "The stack meets its target."; fi
    echo
    echo "Requests/s of each round (none / default):"
    echo
    for s in "${SCENARIOS[@]}"; do echo "- $s: ${RAW[$s.none]% } / ${RAW[$s.default]% }"; done
} >"$report"
[[ -z $OUT ]] || cp "$report" "$OUT"
cat "$report"
