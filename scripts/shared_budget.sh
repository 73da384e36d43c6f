#!/usr/bin/env bash
# shared_budget.sh: the monitor and a cron-like loop of `baltui snapshot` on
# the same keys, as the README's cron recipe runs them, for MINUTES (5). The
# simulator counts every request over a venue's limit; the result must be 0.
#
#   scripts/shared_budget.sh              # 5 minutes
#   MINUTES=1 EVERY=2 scripts/shared_budget.sh
#
# Config: six accounts on ONE OKX key at poll_interval 1s (okx-main and five
# copies), lp-hk (LongPort, one access token) at 1s, and the demo's other
# accounts. Every EVERY seconds (3) a snapshot of okx-main and lp-hk writes
# Prometheus text to a file (as node_exporter's textfile collector reads it).
# Both processes share one ledger directory (BALTUI_STATE_DIR), as on a real
# machine. Needs cargo and tmux (the monitor runs in a detached tmux pane).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$CARGO_TARGET_DIR/shared-budget}
MINUTES=${MINUTES:-5}
EVERY=${EVERY:-3}
BIN=$CARGO_TARGET_DIR/release/baltui
rm -rf "$OUT"
mkdir -p "$OUT"
export BALTUI_LOG_DIR=$OUT/logs BALTUI_STATE_DIR=$OUT/state

echo "== building release"
cargo build --release --quiet --bin baltui

SIM_PID=
TMUX_SOCK=$OUT/tmux.sock
cleanup() {
    tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
    if [[ -n $SIM_PID ]]; then kill "$SIM_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

"$BIN" sim --port 0 --seed 7 >"$OUT/sim.toml" 2>"$OUT/sim.err" &
SIM_PID=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$OUT/sim.err" 2>/dev/null && break
    sleep 0.1
done
BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$OUT/sim.err" | head -1)
[[ -n $BASE ]] || { echo "simulator did not start"; cat "$OUT/sim.err"; exit 1; }
echo "== simulator at $BASE"

{
    # Every account at 1 s (the budget raises what it cannot carry).
    sed 's/^\[\[account\]\]$/[[account]]\npoll_interval = "1s"/' "$OUT/sim.toml"
    for i in 2 3 4 5 6; do
        printf '\n[[account]]\nname = "okx-main-%s"\nvenue = "okx"\nbase_url = "%s"\npoll_interval = "1s"\napi_key = "sim-okx-main-key"\nsecret_key = "sim-okx-main-secret"\npassphrase = "sim-okx-main-pass"\n' "$i" "$BASE"
    done
} >"$OUT/config.toml"
chmod 600 "$OUT/config.toml"

tmux -S "$TMUX_SOCK" new-session -d -s budget -x 200 -y 50 \
    "exec env BALTUI_LOG_DIR='$BALTUI_LOG_DIR' BALTUI_STATE_DIR='$BALTUI_STATE_DIR' '$BIN' --config '$OUT/config.toml'"
echo "== monitor running in tmux; snapshots every ${EVERY}s for ${MINUTES} min"

declare -A CODES=()
RUNS=0
END=$((SECONDS + MINUTES * 60))
while ((SECONDS < END)); do
    set +e
    "$BIN" --config "$OUT/config.toml" snapshot -f prometheus -a okx-main -a lp-hk \
        --output "$OUT/baltui.prom" 2>>"$OUT/snapshot.err"
    code=$?
    set -e
    CODES[$code]=$(( ${CODES[$code]:-0} + 1 ))
    RUNS=$((RUNS + 1))
    sleep "$EVERY"
done

tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
kill -INT "$SIM_PID"
wait "$SIM_PID" 2>/dev/null || true
SIM_PID=
echo "== result"
tail -1 "$OUT/sim.err"
printf 'snapshot runs: %d; exit codes:' "$RUNS"
for c in "${!CODES[@]}"; do printf ' %s x%d' "$c" "${CODES[$c]}"; done
echo
grep -h "rate limited\|403202\|50011" "$OUT/snapshot.err" "$OUT"/logs/* 2>/dev/null | head -5 || true
grep -q 'rate-limit violations: 0$' "$OUT/sim.err"
