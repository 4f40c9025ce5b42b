#!/usr/bin/env bash
# Benchmarks the items service (apiarist + sea-orm) against bench/bare (plain
# actix-web + sqlx) with wrk, both on a local PostgreSQL, and writes bench/RESULTS.md.
# See bench/README.md. Knobs (env): BENCH_DURATION (10s), BENCH_WARMUP (3s),
# BENCH_ROUNDS (5), BENCH_THREADS (2), BENCH_CONNECTIONS (64), BENCH_POOL_SIZE (10),
# BENCH_PGHOST (127.0.0.1), BENCH_PGPORT (5432), BENCH_PGUSER (postgres),
# BENCH_KEEP_DB (0), BARE_PORT (18081), APIARIST_PORT (18082), CARGO_TARGET_DIR.
# Then bench/middleware.sh measures the default middleware stack against none
# (STACK_NONE_PORT, STACK_PORT) and its table is added to RESULTS.md.
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
POOL_SIZE="${BENCH_POOL_SIZE:-10}"
PGHOST_="${BENCH_PGHOST:-127.0.0.1}"
PGPORT_="${BENCH_PGPORT:-5432}"
PGUSER_="${BENCH_PGUSER:-postgres}"
KEEP_DB="${BENCH_KEEP_DB:-0}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apiarist-bench-target}"
HOST=127.0.0.1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apiarist-bench.XXXXXX")"

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

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
command -v psql >/dev/null && command -v pg_isready >/dev/null ||
    die "need a local PostgreSQL and its client tools (psql, pg_isready): apt-get install postgresql"
[[ $POOL_SIZE =~ ^[1-9][0-9]*$ ]] || die "BENCH_POOL_SIZE must be a positive integer, not '$POOL_SIZE'"

# --- PostgreSQL ---------------------------------------------------------------
# Both servers get a fresh database of their own on the same PostgreSQL server, and a
# pool of the same size (DATABASE_POOL_SIZE; 10 is the items service's default).
declare -A DB=([bare]=apiarist_bench_bare [apiarist]=apiarist_bench_items)
pg_up() { pg_isready -q -h "$PGHOST_" -p "$PGPORT_"; }
if ! pg_up; then
    clusters=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
    [[ $(id -u) -eq 0 && -n $clusters ]] && command -v pg_ctlcluster >/dev/null ||
        die "PostgreSQL is not answering on $PGHOST_:$PGPORT_; start it (pg_ctlcluster <version> main start)"
    log "starting PostgreSQL $clusters"
    pg_ctlcluster --skip-systemctl-redirect "$clusters" main start ||
        die "could not start PostgreSQL $clusters"
    for _ in $(seq 50); do pg_up && break; sleep 0.2; done
    pg_up || die "PostgreSQL did not come up on $PGHOST_:$PGPORT_"
fi
pg() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d postgres "$@"; }
PG_VERSION=$(pg -tAc 'SHOW server_version' | cut -d' ' -f1) ||
    die "cannot connect to PostgreSQL as $PGUSER_ on $PGHOST_:$PGPORT_ (the script expects trust auth)"
for name in bare apiarist; do
    log "recreating database ${DB[$name]}"
    pg -c "DROP DATABASE IF EXISTS ${DB[$name]} WITH (FORCE)" -c "CREATE DATABASE ${DB[$name]}"
done
db_url() { printf 'postgres://%s@%s:%s/%s' "$PGUSER_" "$PGHOST_" "$PGPORT_" "${DB[$1]}"; }

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
    if [[ $KEEP_DB != 1 ]]; then
        for name in bare apiarist; do
            pg -c "DROP DATABASE IF EXISTS ${DB[$name]} WITH (FORCE)" 2>/dev/null || true
        done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server in $WORK (so no ./.env of the caller's is read) and waits until it
# answers from its database (the items service connects and migrates in the background).
start_server() {
    local name=$1 port=${PORT[$1]}
    curl -s -o /dev/null "http://$HOST:$port/" && die "port $port is already in use"
    (cd "$WORK" && HOST=$HOST PORT=$port RUST_LOG=warn DATABASE_URL="$(db_url "$name")" \
        DATABASE_POOL_SIZE=$POOL_SIZE exec "${BIN[$name]}") >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$port/items/?limit=1") == 200 ]] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited; see $WORK/$name.log"
        sleep 0.1
    done
    die "$name did not answer from its database on port $port within 30 s; see $WORK/$name.log"
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
# list, read and post hit PostgreSQL; hello and path do not. The list runs before the
# POST, so both list the same 10 seeded items.
SCENARIOS=(hello path list read post)
declare -A LABEL=([hello]='hello `GET /hello?name=Ada`' [path]='path param `GET /models/resnet`'
    [list]='DB list `GET /items/?skip=0&limit=10` (PostgreSQL)'
    [read]='DB read by id `GET /items/1` (PostgreSQL)'
    [post]='DB insert, validated `POST /items/` (PostgreSQL)')
declare -A PATHS=([hello]='/hello?name=Ada' [path]='/models/resnet'
    [list]='/items/?skip=0&limit=10' [read]='/items/1' [post]='/items/')
# Minimum apiarist/bare requests/s, in percent. The read by id is the cheapest database
# request (one indexed row, a small answer), so apiarist's and sea-orm's fixed cost per
# request weighs most there: it gets a lower bar.
declare -A TARGET=([hello]=95 [path]=95 [list]=95 [read]=80 [post]=95)

# Both servers must give the same answers, or the comparison means nothing.
strip_time() { sed -E 's/"created_at":"[^"]*"/"created_at":"T"/g'; }
for s in hello path list read; do
    a=$(curl -s "$(url bare "${PATHS[$s]}")" | strip_time)
    b=$(curl -s "$(url apiarist "${PATHS[$s]}")" | strip_time)
    [[ $a == "$b" ]] || die "$s: bare and apiarist answer differently:"$'\n'"$a"$'\n'"$b"
done
# A missing item: 404, same body, same X-Error header.
for name in bare apiarist; do
    code=$(curl -s -D "$WORK/404.$name.headers" -o "$WORK/404.$name" -w '%{http_code}' "$(url "$name" /items/999999)")
    [[ $code == 404 ]] || die "$name: GET /items/999999 is HTTP $code, not 404"
    grep -qi '^x-error: Item not found' "$WORK/404.$name.headers" || die "$name: 404 without X-Error: Item not found"
    for bad in 0 -1 abc; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$(url "$name" "/items/$bad")")
        [[ $code == 422 ]] || die "$name: GET /items/$bad is HTTP $code, not 422"
    done
done
cmp -s "$WORK/404.bare" "$WORK/404.apiarist" ||
    die "404 bodies differ: $(cat "$WORK/404.bare") / $(cat "$WORK/404.apiarist")"
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
    wrk_stats "$out"
}

declare -A RPS=() P99=() RAW=()
BAD=""
for s in "${SCENARIOS[@]}"; do measure_rounds "$s" bare apiarist; done

# --- the middleware stack -----------------------------------------------------
# The database servers are done: stop them, so the stack's servers have the CPUs.
stop_server bare
stop_server apiarist
bash "$BENCH/middleware.sh" "$WORK/middleware.md"

# --- report -------------------------------------------------------------------
out="$WORK/RESULTS.md"
{
    echo "# Benchmark: apiarist (items service) vs bare actix-web"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- Load average (1/5/15 min) before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine skew results)"
    echo "- Toolchain: $(rustc --version), release profile; $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
    echo "- Database: PostgreSQL $PG_VERSION on $PGHOST_:$PGPORT_ (same machine), a fresh database per server"
    echo "  (\`${DB[bare]}\`, \`${DB[apiarist]}\`), a pool of $POOL_SIZE connections each (\`DATABASE_POOL_SIZE\`)."
    echo "- Method: \`bash bench/run.sh\`. Both servers run at once on loopback with actix's default"
    echo "  worker count and \`RUST_LOG=warn\`, each seeded with the same 10 items. hello and path"
    echo "  param touch no database; list, read by id and POST hit PostgreSQL (apiarist through"
    echo "  sea-orm, bare through hand-written sqlx queries; the POST a single INSERT ... RETURNING in both;"
    echo "  apiarist's pool pings only connections idle 10 s or more, bare's sqlx pool pings on every checkout)."
    echo "  Per scenario: a $WARMUP warm-up of each, then $ROUNDS round$( ((ROUNDS == 1)) || echo s) of"
    echo "  \`wrk -t$THREADS -c$CONNS -d$DURATION --latency\`, alternating bare and apiarist (and which goes"
    echo "  first). Numbers are the median of the rounds; the ratio is apiarist / bare requests/s,"
    echo "  against the row's target (≥ 95%, ≥ 80% for the read by id). The list runs before the"
    echo "  POST, so both list the same 10 items; the POST body is in \`bench/post.lua\`."
    echo "- Noise: wrk, PostgreSQL and the server under test share the machine's $(nproc) CPUs, so"
    echo "  single runs move by several percent; compare medians, and re-run before reading much"
    echo "  into a gap of a few percent."
    echo
    echo "| scenario | bare req/s | apiarist req/s | ratio | target | bare p99 | apiarist p99 |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    below=()
    for s in "${SCENARIOS[@]}"; do
        b=$(med "${RPS[$s.bare]}") a=$(med "${RPS[$s.apiarist]}")
        bp=$(med "${P99[$s.bare]}") ap=$(med "${P99[$s.apiarist]}")
        ratio=$(pct "$a" "$b")
        awk -v a="$a" -v b="$b" -v t="${TARGET[$s]}" 'BEGIN { exit !(100 * a < t * b) }' &&
            below+=("$s ($ratio < ${TARGET[$s]}%)")
        printf '| %s | %.0f | %.0f | %s | ≥ %s%% | %.2f ms | %.2f ms |\n' \
            "${LABEL[$s]}" "$b" "$a" "$ratio" "${TARGET[$s]}" "$bp" "$ap"
    done
    echo
    if ((${#below[@]})); then
        misses=""
        for miss in "${below[@]}"; do misses+="${misses:+, }$miss"; done
        echo "Below target: $misses."
    else
        echo "Every scenario meets its target."
    fi
    [[ -z $BAD ]] || { echo; echo "Warning: $BAD"; }
    echo
    echo "Requests/s of each round (bare / apiarist):"
    echo
    for s in "${SCENARIOS[@]}"; do
        echo "- $s: ${RAW[$s.bare]% } / ${RAW[$s.apiarist]% }"
    done
    echo
    cat "$WORK/middleware.md"
} >"$out"
mv "$out" "$BENCH/RESULTS.md"
log "wrote $BENCH/RESULTS.md (raw wrk output in $WORK)"
cat "$BENCH/RESULTS.md"
