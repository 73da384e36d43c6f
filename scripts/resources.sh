#!/usr/bin/env bash
# resources.sh: what baltui costs while it runs. Rerunnable by anyone; needs
# cargo, tmux, and hyperfine if you have it (else a plain timing loop).
#
#   scripts/resources.sh                       # everything, long run 20 minutes
#   LONGRUN_MINUTES=5 scripts/resources.sh     # a shorter long run (0 skips it)
#   PARTS="tmux snapshot" scripts/resources.sh # only some parts: tmux snapshot longrun
#
# 1. tmux: builds release, starts `baltui sim --port 0` (the 6 demo accounts:
#    okx-main, okx-margin, lp-hk, lp-legacy and Webull app key wb-hk, which
#    discovers 2 accounts) and writes a config of 10 accounts: the demo set plus
#    4 copies of the OKX accounts (other names, same credentials, so they share
#    the OKX budget). Runs `baltui --config` in a detached 200x50 tmux session on
#    a private socket, waits WARMUP s (60), then samples SAMPLE s (60): CPU
#    seconds (utime+stime from /proc/PID/stat), RSS (VmRSS) and the bytes the
#    program wrote to the pane (`tmux pipe-pane`), and the frames in them (each
#    flushed frame ends by hiding the cursor). Twice: "default" (default
#    poll intervals, 5 s; what a user runs) and "quiet" (poll_interval = 1h, so
#    after the first polls nothing changes but the clock: the bytes per second
#    are what the 1 s clock tick redraws).
# 2. snapshot: `baltui snapshot` of 3 accounts (okx-main, lp-hk, and wb-hk with
#    account_id, so no discovery) against that simulator, whole process time,
#    with hyperfine (1.1 s pause between runs, untimed: the simulator enforces
#    the venues' rate limits, LongPort at most one request per second).
# 3. longrun: `examples/longrun.rs` (poller + App + screen against the
#    in-process simulator at the fastest safe rate) for LONGRUN_MINUTES (20);
#    RSS, fds, threads and tokio tasks at start (after 30 s), middle and end.
#
# Output goes to the terminal and to $OUT (default target/resources/).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$CARGO_TARGET_DIR/resources}
WARMUP=${WARMUP:-60}
SAMPLE=${SAMPLE:-60}
LONGRUN_MINUTES=${LONGRUN_MINUTES:-20}
PARTS=${PARTS:-tmux snapshot longrun}
BIN=$CARGO_TARGET_DIR/release/baltui
mkdir -p "$OUT"
export BALTUI_LOG_DIR=$OUT/logs

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "== building release"
cargo build --release --quiet --bin baltui --example longrun

SIM_PID=
TMUX_SOCK=$OUT/tmux.sock
cleanup() {
    tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
    if [[ -n $SIM_PID ]]; then kill "$SIM_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

start_sim() {
    "$BIN" sim --port 0 --seed 7 >"$OUT/sim.toml" 2>"$OUT/sim.err" &
    SIM_PID=$!
    for _ in $(seq 100); do
        grep -q 'listening on' "$OUT/sim.err" 2>/dev/null && break
        sleep 0.1
    done
    BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$OUT/sim.err" | head -1)
    [[ -n $BASE ]] || { echo "simulator did not start"; cat "$OUT/sim.err"; exit 1; }
    echo "== simulator at $BASE (pid $SIM_PID)"
}

okx_copy() { # name, demo account (main|margin)
    printf '\n[[account]]\nname = "%s"\nvenue = "okx"\nbase_url = "%s"\napi_key = "sim-okx-%s-key"\nsecret_key = "sim-okx-%s-secret"\npassphrase = "sim-okx-%s-pass"\n' \
        "$1" "$BASE" "$2" "$2" "$2"
}

write_configs() {
    {
        cat "$OUT/sim.toml"
        okx_copy okx-main-2 main
        okx_copy okx-margin-2 margin
        okx_copy okx-main-3 main
        okx_copy okx-margin-3 margin
    } >"$OUT/ten.toml"
    sed 's/^\[\[account\]\]$/[[account]]\npoll_interval = "1h"/' "$OUT/ten.toml" >"$OUT/ten-quiet.toml"
    cat >"$OUT/three.toml" <<EOF
# 3 accounts, one per venue; Webull with account_id, so no discovery.
[[account]]
name = "okx-main"
venue = "okx"
base_url = "$BASE"
api_key = "sim-okx-main-key"
secret_key = "sim-okx-main-secret"
passphrase = "sim-okx-main-pass"

[[account]]
name = "lp-hk"
venue = "longport"
base_url = "$BASE"
app_key = "sim-lp-hk-app-key"
app_secret = "sim-lp-hk-app-secret"
access_token = "sim-lp-hk-token"

[[account]]
name = "wb-hk"
venue = "webull"
region = "hk"
base_url = "$BASE"
account_id = "SIMWBACC0001"
app_key = "sim-wb-hk-app-key"
app_secret = "sim-wb-hk-app-secret"
access_token = "sim-wb-hk-token"
EOF
    chmod 600 "$OUT"/*.toml
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# run_tmux LABEL CONFIG: one row of the table.
run_tmux() {
    local label=$1 cfg=$2 pane=$OUT/pane-$1.bytes
    rm -f "$pane"
    tmux -S "$TMUX_SOCK" new-session -d -s "$label" -x 200 -y 50 \
        "exec env BALTUI_LOG_DIR='$BALTUI_LOG_DIR' '$BIN' --config '$cfg'"
    local pid
    pid=$(tmux -S "$TMUX_SOCK" list-panes -t "$label" -F '#{pane_pid}')
    sleep "$WARMUP"
    [[ -d /proc/$pid ]] || { echo "baltui ($label) exited early"; exit 1; }
    tmux -S "$TMUX_SOCK" pipe-pane -t "$label" -o "cat >> '$pane'"
    local hz t0 t1 c0 c1 rss max_rss=0
    hz=$(getconf CLK_TCK)
    c0=$(cpu_ticks "$pid")
    t0=$(date +%s%N)
    for _ in $(seq $((SAMPLE / 5))); do
        sleep 5
        rss=$(rss_kib "$pid")
        ((rss > max_rss)) && max_rss=$rss
    done
    c1=$(cpu_ticks "$pid")
    t1=$(date +%s%N)
    tmux -S "$TMUX_SOCK" pipe-pane -t "$label"
    tmux -S "$TMUX_SOCK" capture-pane -p -t "$label" >"$OUT/screen-$label.txt"
    tmux -S "$TMUX_SOCK" kill-session -t "$label"
    local bytes frames
    bytes=$(stat -c %s "$pane" 2>/dev/null || echo 0)
    # Every frame ratatui flushes ends by hiding the cursor: one per draw.
    frames=$(grep -o $'\e\[?25l' "$pane" 2>/dev/null | wc -l)
    awk -v l="$label" -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((t1 - t0)) -v rss="$rss" -v max="$max_rss" -v b="$bytes" -v f="$frames" 'BEGIN {
        s = ns / 1e9
        printf "%-8s %6.1f %8.2f %9.3f %8.1f %8.1f %10d %8.1f %7d %9.1f\n", l, s, c / hz, 100 * c / hz / s, rss / 1024, max / 1024, b, b / s, f, (f ? b / f : 0)
    }' | tee -a "$OUT/table.txt"
}

if has_part tmux || has_part snapshot; then
    start_sim
    write_configs
fi

if has_part tmux; then
    echo "== tmux: 10 accounts, ${WARMUP}s warm-up, ${SAMPLE}s sample (200x50 pane)"
    printf '%-8s %6s %8s %9s %8s %8s %10s %8s %7s %9s\n' run secs cpu_s cpu_pct rss_mb max_mb pane_bytes bytes/s frames B/frame | tee "$OUT/table.txt"
    run_tmux default "$OUT/ten.toml"
    # Each process has its own rate budget: a new one started at once could
    # follow the last one's request closer than a venue allows (LongPort: 1 s).
    sleep 3
    run_tmux quiet "$OUT/ten-quiet.toml"
    echo "(rss_mb at the end of the sample, max_mb the largest of the 5 s samples; screens in $OUT/screen-*.txt)"
fi

if has_part snapshot; then
    echo "== snapshot: 3 accounts against the simulator (whole process)"
    sleep 1.1
    set +e
    "$BIN" --config "$OUT/three.toml" snapshot >"$OUT/snapshot.txt"
    code=$?
    set -e
    cat "$OUT/snapshot.txt"
    echo "exit code $code (0-2: every account fetched; 3: one failed)"
    ((code < 3)) || { echo "an account failed: the timing would not be of the real path"; exit 1; }
    if command -v hyperfine >/dev/null; then
        # -i: exit 1/2 (a warning on the margin demo account) is not a failure here.
        hyperfine -N -i --warmup 2 --runs 30 --prepare 'sleep 1.1' \
            --export-json "$OUT/snapshot-hyperfine.json" \
            "$BIN --config $OUT/three.toml snapshot"
    else
        echo "(hyperfine not found: timing loop with date +%s%N)"
        total=0 best=0
        for i in $(seq 20); do
            sleep 1.1
            t0=$(date +%s%N)
            "$BIN" --config "$OUT/three.toml" snapshot >/dev/null || true
            t1=$(date +%s%N)
            ms=$(((t1 - t0) / 1000000))
            total=$((total + ms))
            ((best == 0 || ms < best)) && best=$ms
        done
        echo "mean $((total / 20)) ms, best $best ms over 20 runs"
    fi
fi

if [[ -n $SIM_PID ]]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=
    grep 'violations' "$OUT/sim.err" || true
fi

if has_part longrun && ((LONGRUN_MINUTES > 0)); then
    echo "== long run: $LONGRUN_MINUTES minutes (+30 s warm-up), output also in $OUT/longrun.txt"
    "$CARGO_TARGET_DIR/release/examples/longrun" --minutes "$LONGRUN_MINUTES" | tee "$OUT/longrun.txt"
fi
