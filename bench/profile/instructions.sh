#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable whatever else
# the machine is doing, unlike requests/s. Runs the server twice under callgrind
# (300 and 1300 sequential keep-alive requests) and divides the difference by 1000,
# so start-up, migrations and warm-up cancel out.
#
#   bash bench/profile/instructions.sh NAME BINARY PORT PATH [GET|POST]
#   e.g. bash bench/profile/instructions.sh apiarist target/release/items 9102 '/hello?name=Ada'
#
# Leaves /tmp/cg.NAME.300.out and /tmp/cg.NAME.1300.out; compare two servers function by
# function with `python3 bench/profile/compare.py` (see its usage line). Needs valgrind
# (Debian package) and a local PostgreSQL (a scratch database cg_NAME is made and dropped).
set -euo pipefail
[[ $# -ge 4 ]] || { sed -n '2,12p' "$0"; exit 2; }
name=$1 bin=$2 port=$3 path=$4 method=${5:-GET}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
pg() { psql -h 127.0.0.1 -U postgres -d postgres -qc "$1" >/dev/null 2>&1 || true; }
run() { # requests -> total instructions
    local n=$1 out=/tmp/cg.$name.$1.out
    rm -f "$out"
    pg "DROP DATABASE IF EXISTS cg_$name WITH (FORCE)"
    pg "CREATE DATABASE cg_$name"
    (cd /tmp && HOST=127.0.0.1 PORT=$port RUST_LOG=warn \
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_$name DATABASE_POOL_SIZE=4 \
        exec valgrind --tool=callgrind --callgrind-out-file="$out" --dump-instr=no "$bin" \
        >"/tmp/cg.$name.log" 2>&1) &
    local pid=$!
    # Wait until it answers from its database: the items service migrates in the
    # background (503 until then), and seeding before that would list nothing.
    for _ in $(seq 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/items/?limit=1") == 200 ]] && break
        sleep 0.2
    done
    for i in $(seq 10); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            -d "{\"name\":\"Item $i\",\"price\":$i.5,\"tax\":0.25,\"tags\":[\"seed\"],\"stock\":1}" \
            "http://127.0.0.1:$port/items/")
        [[ $code == 201 ]] || { echo "seeding $name: HTTP $code (see /tmp/cg.$name.log)" >&2; kill "$pid"; exit 1; }
    done
    python3 "$here/load.py" "$port" "$path" "$n" "$method"
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    pg "DROP DATABASE IF EXISTS cg_$name WITH (FORCE)"
    grep -a "^summary:\|^totals:" "$out" | head -1 | awk '{print $2}'
}
a=$(run 300)
b=$(run 1300)
echo "$name $method $path: $(((b - a) / 1000)) instructions per request"
