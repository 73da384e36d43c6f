#!/usr/bin/env bash
# Measure `baltui serve` against `baltui sim` (all on 127.0.0.1):
#   - RSS after a warm-up, with ACCOUNTS accounts (default 200: the
#     simulator's demo accounts repeated under new names, same keys, so they
#     share the venues' budgets and the scheduler raises their intervals);
#   - /metrics answer time (curl, mean of 20);
#   - CPU of the service over SECONDS (default 60) with CLIENTS (default 10)
#     attached event-stream readers, nothing else asking.
# Usage: scripts/measure-serve.sh [path/to/baltui]   (default target/release/baltui)
# Env: ACCOUNTS, CLIENTS, SECONDS_CPU, WARMUP (seconds, default 30); QUIET=1 polls each
# account once an hour, so after the first polls the service is at rest.
set -euo pipefail
BIN=${1:-target/release/baltui}
ACCOUNTS=${ACCOUNTS:-200}
CLIENTS=${CLIENTS:-10}
SECONDS_CPU=${SECONDS_CPU:-60}
WARMUP=${WARMUP:-30}
[ -x "$BIN" ] || { echo "no baltui binary at $BIN (cargo build --release)" >&2; exit 2; }
DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
export BALTUI_STATE_DIR=$DIR/state BALTUI_LOG_DIR=$DIR/log BALTUI_DATA_DIR=$DIR/data

"$BIN" sim --port 0 >"$DIR/sim.toml" 2>"$DIR/sim.err" &
PIDS+=($!)
for _ in $(seq 50); do grep -q "end of baltui sim config" "$DIR/sim.toml" 2>/dev/null && break; sleep 0.1; done

# Repeat the simulator's accounts (Webull's discovering app keys left out:
# each would add its sub-accounts) under new names up to ACCOUNTS.
python3 - "$DIR/sim.toml" "$ACCOUNTS" "${QUIET:-0}" >"$DIR/config.toml" <<'PY'
import sys
text = open(sys.argv[1]).read()
blocks = [b for b in text.split("[[account]]")[1:] if 'venue = "webull"' not in b]
blocks = [b.split("# end of baltui sim config")[0].strip() for b in blocks]
n = int(sys.argv[2])
for i in range(n):
    b = blocks[i % len(blocks)]
    name = b.split('name = "', 1)[1].split('"', 1)[0]
    print("[[account]]")
    if sys.argv[3] == "1":
        print('poll_interval = "3600s"')
    print(b.replace(f'name = "{name}"', f'name = "{name}-{i:03d}"', 1))
    print()
PY
chmod 600 "$DIR/config.toml"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$BIN" --config "$DIR/config.toml" serve --listen "127.0.0.1:$PORT" 2>"$DIR/serve.err" &
SERVE=$!
PIDS+=($SERVE)
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
echo "accounts: $ACCOUNTS (the simulator's $(grep -c '^\[\[account\]\]' "$DIR/sim.toml") demo accounts repeated; Webull left out)"
sleep "$WARMUP"
UP=$(curl -s "$URL/metrics" | grep -c '^baltui_up{.*} 1$' || true)
LINES=$(curl -s "$URL/metrics" | wc -l)
echo "after ${WARMUP}s: $UP accounts up; /metrics $LINES lines"
grep -E 'VmRSS|VmHWM' "/proc/$SERVE/status" | tr -s ' \t' ' '
python3 - "$URL" <<'PY'
import sys, time, urllib.request
url = sys.argv[1] + "/metrics"
ts = []
for _ in range(20):
    t = time.perf_counter(); urllib.request.urlopen(url).read(); ts.append(time.perf_counter() - t)
ts.sort()
print(f"/metrics: mean {sum(ts)/len(ts)*1000:.2f} ms, median {ts[len(ts)//2]*1000:.2f} ms, max {ts[-1]*1000:.2f} ms (20 requests, curl-less urllib)")
PY
for _ in $(seq "$CLIENTS"); do
  curl -sN "$URL/api/v1/events" >/dev/null &
  PIDS+=($!)
done
sleep 2
TCK=$(getconf CLK_TCK)
read -r U0 S0 < <(awk '{print $14, $15}' "/proc/$SERVE/stat")
sleep "$SECONDS_CPU"
read -r U1 S1 < <(awk '{print $14, $15}' "/proc/$SERVE/stat")
python3 -c "t=($U1-$U0+$S1-$S0)/$TCK; print(f'CPU over ${SECONDS_CPU}s with ${CLIENTS} event-stream clients: {t:.2f} s = {100*t/$SECONDS_CPU:.2f}% of a core')"
grep -E 'VmRSS|VmHWM' "/proc/$SERVE/status" | tr -s ' \t' ' '
