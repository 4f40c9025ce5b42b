# What the benchmark scripts share; sourced by run.sh, middleware.sh and jobs.sh.
# The sourcing script sets BENCH_NAME (the log prefix) first.

log() { printf '[%s] %s\n' "${BENCH_NAME:-bench}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# The median of a space-separated list.
med() { tr ' ' '\n' <<<"$1" | grep . | median; }

# "a / b" as a percentage with one decimal.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }

# Prints "req/s p99_ms non2xx" from the output of `wrk --latency` in FILE.
wrk_stats() {
    awk '
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
        /Non-2xx or 3xx responses:/ { bad += $NF }
        END { printf "%s %.3f %d\n", rps, p99, bad }' "$1"
}

# measure_rounds SCENARIO A B: a warm-up of each server ($WARMUP), then $ROUNDS rounds
# of $DURATION alternating which goes first, so drift (heat, neighbours) hits both.
# Calls the script's `run_wrk NAME SCENARIO DURATION OUTFILE` (which prints
# wrk_stats) and adds to the arrays RPS, P99 and RAW (keyed "SCENARIO.NAME") and to
# BAD (non-2xx answers, to report) that the script declared.
measure_rounds() {
    local s=$1 first=$2 second=$3 r name rps p99 bad order
    log "scenario $s: warm-up ($WARMUP each)"
    run_wrk "$first" "$s" "$WARMUP" "$WORK/$s.$first.warmup" >/dev/null
    run_wrk "$second" "$s" "$WARMUP" "$WORK/$s.$second.warmup" >/dev/null
    for r in $(seq "$ROUNDS"); do
        if ((r % 2)); then order=("$first" "$second"); else order=("$second" "$first"); fi
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
}
