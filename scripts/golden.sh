#!/usr/bin/env bash
# golden.sh OUTDIR: baltui's user-visible output on the simulator, made
# deterministic, for comparing a change against a baseline byte for byte:
#
#   scripts/golden.sh /work/golden-before          # on the old code
#   scripts/golden.sh /tmp/after && diff -r /work/golden-before /tmp/after
#
# Writes into OUTDIR (emptied first):
#   snapshot.{table,json,csv,prometheus}  `baltui snapshot --format F`
#   snapshot.exit                          their exit codes
#   screen-all.txt                         the TUI's All tab, every account loaded
#   screen-okx-margin.txt                  account tab 2 (a margin account)
#   screen-wb-hk.txt                       account tab 6 (a Webull sub-account)
#   screen-help.txt                        the help overlay over the All tab
#
# Determinism: the simulator's numbers depend only on its seed and on how many
# replies it has served (its drift advances per reply), so every output gets a
# FRESH `baltui sim --seed 7` and a fresh state directory (the rate ledger);
# the TUI's config sets poll_interval = "1h" on every account so each account
# is polled exactly once before the captures. What is left that depends on
# the wall clock is normalized with sed, each rule documented at `normalize`.
#
# Needs cargo and tmux. The simulators and the private tmux server are killed
# on exit, also on failure (trap).
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
OUTDIR=$1

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/debug/baltui
COLS=160
ROWS=48

WORK=$(mktemp -d "${TMPDIR:-/tmp}/baltui-golden.XXXXXX")
TMUX_SOCK=$WORK/tmux.sock
SIM_PIDS=()
cleanup() {
    tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
    for pid in "${SIM_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
# Turn INT/TERM into a normal exit so the EXIT trap runs once.
trap 'exit 130' INT TERM

echo "== building" >&2
cargo build --quiet --bin baltui

# Normalize what depends on the wall clock or the machine, nothing else:
# - RFC 3339 times (JSON generated_at/fetched_at/venue_time, CSV fetched_at/
#   venue_time) -> <time>;
# - Prometheus baltui_venue_timestamp_seconds and baltui_data_age_seconds
#   values (Unix time; seconds between fetch and report) -> <t>;
# - clock times HH:MM:SS (status bar clock, event times) -> hh:mm:ss;
# - ages "3s ago", "1h 5m ago" and "next in 59m" -> digits become '#' (the
#   width is kept, so columns after them stay where they were);
# - the simulator's port (127.0.0.1:PORT), in case any output names it.
normalize() {
    sed -E \
        -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/<time>/g' \
        -e 's/^(baltui_(venue_timestamp|data_age)_seconds\{[^}]*\}) .*/\1 <t>/' \
        -e 's/[0-9]{2}:[0-9]{2}:[0-9]{2}/hh:mm:ss/g' \
        -e ':a; s/[0-9]([0-9#]*[dhms]( [0-9#]+[dhms])* ago)/#\1/; ta' \
        -e ':b; s/(next in ([0-9#]+[dhms] )*[0-9#]*)[0-9]/\1#/; tb' \
        -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g'
}

# Starts a fresh simulator; sets SIM_CFG to a config for it (mode 600, so no
# permission warning) with `extra` inserted after every [[account]] line.
start_sim() {
    local tag=$1 extra=${2:-}
    local dir=$WORK/$tag
    mkdir -p "$dir/logs" "$dir/state"
    BALTUI_LOG_DIR=$dir/logs "$BIN" sim --port 0 --seed 7 >"$dir/sim.toml" 2>"$dir/sim.err" &
    SIM_PIDS+=($!)
    # The config is complete once its end marker is printed.
    for _ in $(seq 100); do
        grep -q '^# end of baltui sim config' "$dir/sim.toml" 2>/dev/null && break
        sleep 0.1
    done
    grep -q '^# end of baltui sim config' "$dir/sim.toml" ||
        { echo "simulator did not start:" >&2; cat "$dir/sim.err" >&2; exit 1; }
    SIM_CFG=$dir/config.toml
    if [[ -n $extra ]]; then
        awk -v extra="$extra" '{ print } /^\[\[account\]\]$/ { print extra }' "$dir/sim.toml" >"$SIM_CFG"
    else
        cp "$dir/sim.toml" "$SIM_CFG"
    fi
    chmod 600 "$SIM_CFG"
    export BALTUI_LOG_DIR=$dir/logs BALTUI_STATE_DIR=$dir/state
}

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"

for f in table json csv prometheus; do
    echo "== snapshot --format $f" >&2
    start_sim "snap-$f"
    set +e
    "$BIN" --config "$SIM_CFG" snapshot --format "$f" >"$WORK/snapshot.$f" 2>"$WORK/snapshot-$f.err"
    echo "$f $?" >>"$OUTDIR/snapshot.exit"
    set -e
    normalize <"$WORK/snapshot.$f" >"$OUTDIR/snapshot.$f"
done

echo "== TUI ${COLS}x${ROWS}" >&2
start_sim tui 'poll_interval = "1h"'
tmx() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
env -u TMUX SHELL=/bin/sh TERM=xterm-256color \
    tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s golden -x "$COLS" -y "$ROWS" \
    "exec env BALTUI_LOG_DIR='$BALTUI_LOG_DIR' BALTUI_STATE_DIR='$BALTUI_STATE_DIR' '$BIN' --config '$SIM_CFG'"

capture() { tmx capture-pane -p -t golden | normalize; }

# Waits until the screen satisfies `grep -E pattern` (and, with "!", shows
# none of the second pattern), then until two captures 0.5 s apart agree.
wait_screen() {
    local what=$1 want=$2 unwanted=${3:-}
    local prev='' cur
    for _ in $(seq 200); do
        cur=$(capture)
        if grep -Eq -- "$want" <<<"$cur" && { [[ -z $unwanted ]] || ! grep -Eq -- "$unwanted" <<<"$cur"; }; then
            [[ $cur == "$prev" ]] && { printf '%s\n' "$cur"; return; }
            prev=$cur
        else
            prev=''
        fi
        sleep 0.5
    done
    echo "timed out waiting for: $what; last screen:" >&2
    printf '%s\n' "$cur" >&2
    exit 1
}

# Every account loaded: the Webull app key's accounts are discovered (their
# tabs exist) and no row is still loading or waiting.
wait_screen "every account loaded" 'wb-hk/5MV01002' 'loading|waiting' >"$OUTDIR/screen-all.txt"
tmx send-keys -t golden 2
wait_screen "okx-margin tab" '^okx-margin · ' >"$OUTDIR/screen-okx-margin.txt"
tmx send-keys -t golden 6
wait_screen "wb-hk/5MV01001 tab" '^wb-hk/5MV01001 · ' >"$OUTDIR/screen-wb-hk.txt"
tmx send-keys -t golden 0
wait_screen "All tab again" 'account +status' >/dev/null
tmx send-keys -t golden '?'
wait_screen "help overlay" 'help — keys' >"$OUTDIR/screen-help.txt"
tmx send-keys -t golden q

echo "== wrote $OUTDIR" >&2
