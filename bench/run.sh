#!/usr/bin/env bash
# Benchmarks the items service (apiarist) against bench/bare (plain actix-web) with
# wrk and writes bench/RESULTS.md. See bench/README.md. Knobs (env): BENCH_DURATION
# (10s), BENCH_WARMUP (3s), BENCH_ROUNDS (5), BENCH_THREADS (2), BENCH_CONNECTIONS
# (64), BARE_PORT (18081), APIARIST_PORT (18082), CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-3s}"
ROUNDS="${BENCH_ROUNDS:-5}"
THREADS="${BENCH_THREADS:-2}"
CONNS="${BENCH_CONNECTIONS:-64}"
BARE_PORT="${BARE_PORT:-18081}"
APIARIST_PORT="${APIARIST_PORT:-18082}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apiarist-bench-target}"
HOST=127.0.0.1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apiarist-bench.XXXXXX")"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools --------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "need ${missing[*]}: run as root or install them (apt-get install ${missing[*]})"
    log "installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || die "cargo not found"

# --- build --------------------------------------------------------------------
log "building release binaries into $CARGO_TARGET_DIR"
(cd "$ROOT" && cargo build --release -p items -p bench-bare)
BIN_BARE="$CARGO_TARGET_DIR/release/bare-actix"
BIN_APIARIST="$CARGO_TARGET_DIR/release/items"

# --- servers ------------------------------------------------------------------
declare -A PID=() PORT=([bare]=$BARE_PORT [apiarist]=$APIARIST_PORT) BIN=([bare]=$BIN_BARE [apiarist]=$BIN_APIARIST)

stop_server() {
    local name=$1
    if [[ -n ${PID[$name]:-} ]]; then
        kill "${PID[$name]}" 2>/dev/null || true
        wait "${PID[$name]}" 2>/dev/null || true
        PID[$name]=""
    fi
}
cleanup() {
    stop_server bare
    stop_server apiarist
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {
    local name=$1 port=${PORT[$1]}
    curl -s -o /dev/null "http://$HOST:$port/" && die "port $port is already in use"
    HOST=$HOST PORT=$port RUST_LOG=warn "${BIN[$name]}" >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://$HOST:$port/hello" && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited; see $WORK/$name.log"
        sleep 0.1
    done
    die "$name did not answer on port $port within 10 s"
}

url() { printf 'http://%s:%s%s' "$HOST" "${PORT[$1]}" "$2"; }
post_item() { curl -s -o "${3:-/dev/null}" -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "$(url "$1" /items/)"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
start_server bare
start_server apiarist

# Seed the same 10 items in both.
for name in bare apiarist; do
    for i in $(seq 10); do
        code=$(post_item "$name" "{\"name\":\"Item $i\",\"price\":$i.5,\"tax\":0.25,\"tags\":[\"seed\"],\"stock\":$((i % 3))}")
        [[ $code == 201 ]] || die "seeding $name: HTTP $code"
    done
done

# --- scenarios ----------------------------------------------------------------
SCENARIOS=(hello path list post)
declare -A LABEL=([hello]='hello `GET /hello?name=Ada`' [path]='path param `GET /models/resnet`'
    [list]='list `GET /items/?skip=0&limit=10`' [post]='validated POST `POST /items/`')
declare -A PATHS=([hello]='/hello?name=Ada' [path]='/models/resnet'
    [list]='/items/?skip=0&limit=10' [post]='/items/')

# Both servers must give the same answers, or the comparison means nothing.
strip_time() { sed -E 's/"created_at":"[^"]*"/"created_at":"T"/g'; }
for s in hello path list; do
    a=$(curl -s "$(url bare "${PATHS[$s]}")" | strip_time)
    b=$(curl -s "$(url apiarist "${PATHS[$s]}")" | strip_time)
    [[ $a == "$b" ]] || die "$s: bare and apiarist answer differently:"$'\n'"$a"$'\n'"$b"
done
for name in bare apiarist; do
    [[ $(post_item "$name" '{"name":"","price":1}') == 422 ]] || die "$name: invalid POST is not a 422"
    [[ $(post_item "$name" '{"name":"x","price":0}') == 422 ]] || die "$name: invalid POST is not a 422"
done
a=$(post_item bare "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$BENCH/post.lua")" "$WORK/post.bare")
b=$(post_item apiarist "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$BENCH/post.lua")" "$WORK/post.apiarist")
[[ $a == 201 && $b == 201 ]] || die "POST: bare $a, apiarist $b (want 201)"
[[ $(strip_time <"$WORK/post.bare") == "$(strip_time <"$WORK/post.apiarist")" ]] || die "POST bodies differ"

# Prints "req/s p99_ms non2xx" for one wrk run.
run_wrk() {
    local name=$1 scenario=$2 duration=$3 out=$4 script=()
    [[ $scenario == post ]] && script=(-s "$BENCH/post.lua")
    wrk -t"$THREADS" -c"$CONNS" -d"$duration" --latency "${script[@]}" "$(url "$name" "${PATHS[$scenario]}")" >"$out"
    awk '
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
        /Non-2xx or 3xx responses:/ { bad += $NF }
        END { printf "%s %.3f %d\n", rps, p99, bad }' "$out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A RPS=() P99=() RAW=()
BAD=""
for s in "${SCENARIOS[@]}"; do
    log "scenario $s: warm-up ($WARMUP each)"
    run_wrk bare "$s" "$WARMUP" "$WORK/$s.bare.warmup" >/dev/null
    run_wrk apiarist "$s" "$WARMUP" "$WORK/$s.apiarist.warmup" >/dev/null
    for r in $(seq "$ROUNDS"); do
        # Alternate which server goes first, so drift (heat, neighbours) hits both.
        if ((r % 2)); then order=(bare apiarist); else order=(apiarist bare); fi
        for name in "${order[@]}"; do
            read -r rps p99 bad < <(run_wrk "$name" "$s" "$DURATION" "$WORK/$s.$name.$r")
            [[ -n $rps ]] || die "wrk failed; see $WORK/$s.$name.$r"
            log "  round $r $name: $rps req/s, p99 $p99 ms, non-2xx $bad"
            ((bad == 0)) || BAD+="$s/$name round $r: $bad non-2xx responses. "
            RPS[$s.$name]+="$rps "
            P99[$s.$name]+="$p99 "
            RAW[$s.$name]+="$(printf '%.0f' "$rps") "
        done
    done
done

# --- report -------------------------------------------------------------------
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
out="$WORK/RESULTS.md"
{
    echo "# Benchmark: apiarist (items service) vs bare actix-web"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- Load average (1/5/15 min) before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine skew results)"
    echo "- Toolchain: $(rustc --version), release profile; $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
    echo "- Method: \`bash bench/run.sh\`. Both servers run at once on loopback with actix's default"
    echo "  worker count and \`RUST_LOG=warn\`, each seeded with the same 10 items. Per scenario:"
    echo "  a $WARMUP warm-up of each, then $ROUNDS rounds of \`wrk -t$THREADS -c$CONNS -d$DURATION --latency\`,"
    echo "  alternating bare and apiarist (and which goes first). Numbers are the median of"
    echo "  the rounds; the ratio is apiarist / bare requests/s (target: ≥ 95%). The list runs"
    echo "  before the POST, so both list the same 10 items; the POST body is in \`bench/post.lua\`."
    echo "- Noise: wrk and the server under test share the machine's $(nproc) CPUs, so single runs"
    echo "  move by several percent; compare medians, and re-run before reading much into a"
    echo "  gap of a few percent."
    echo
    echo "| scenario | bare req/s | apiarist req/s | ratio | bare p99 | apiarist p99 |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    below=()
    for s in "${SCENARIOS[@]}"; do
        b=$(med "${RPS[$s.bare]}") a=$(med "${RPS[$s.apiarist]}")
        bp=$(med "${P99[$s.bare]}") ap=$(med "${P99[$s.apiarist]}")
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f%%", 100 * a / b }')
        awk -v a="$a" -v b="$b" 'BEGIN { exit !(a < 0.95 * b) }' && below+=("$s")
        printf '| %s | %.0f | %.0f | %s | %.2f ms | %.2f ms |\n' "${LABEL[$s]}" "$b" "$a" "$ratio" "$bp" "$ap"
    done
    echo
    if ((${#below[@]})); then echo "Below the 95% target: ${below[*]}."; else echo "Every scenario meets the 95% target."; fi
    [[ -z $BAD ]] || { echo; echo "Warning: $BAD"; }
    echo
    echo "Requests/s of each round (bare / apiarist):"
    echo
    for s in "${SCENARIOS[@]}"; do
        echo "- $s: ${RAW[$s.bare]% } / ${RAW[$s.apiarist]% }"
    done
} >"$out"
mv "$out" "$BENCH/RESULTS.md"
log "wrote $BENCH/RESULTS.md (raw wrk output in $WORK)"
cat "$BENCH/RESULTS.md"
