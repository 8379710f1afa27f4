#!/bin/sh
# Profiling harness: builds bench/perf/load, starts a coordinator and one daemon on 127.0.0.1
# (ephemeral ports, temp dirs), makes the space "bench" (key k, a 100-byte string v), loads the
# keys, then runs get and put at 1x1, 1x64 and 4x64. Every process it starts it stops by PID.
#
#   sh bench/perf/run.sh [SECONDS] [KEYS]          figures, one line per shape
#   PROFILE=1 sh bench/perf/run.sh                  the daemon runs under node --cpu-prof; the
#                                                   .cpuprofile lands in $OUT (printed at the end)
#   SHAPES="put:1:64" sh bench/perf/run.sh          only the shapes listed (op:conns:window)
#   NODEFLAGS="--max-semi-space-size=32" sh bench/perf/run.sh   flags for the daemon's node
#   DESC="space bench key k attributes v subspace v"  another space description
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-5}
KEYS=${2:-100000}
SHAPES=${SHAPES:-"get:1:1 get:1:64 get:4:64 put:1:1 put:1:64 put:4:64"}
DESC=${DESC:-"space bench key k attributes v create 8 partitions tolerate 0 failures"}
OUT=${OUT:-$(mktemp -d /tmp/hyperdex-perf-XXXXXX)}
LIB=${HYPERDEX_C_BUILD:-$ROOT/build/native}

cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -I"$ROOT/native/include" "$ROOT/bench/perf/load.c" \
  "$LIB/libhyperclient.a" "$LIB/libhyperdex_common.a" -lm -o "$OUT/load"

mkdir -p "$OUT/coord" "$OUT/daemon"
COORD_PID=
DAEMON_PID=
cleanup() {
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null || true
  [ -n "$COORD_PID" ] && kill "$COORD_PID" 2>/dev/null || true
  # SIGTERM lets node write the CPU profile; wait (bounded) for both to exit.
  for _ in $(seq 1 100); do
    alive=0
    [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null && alive=1
    [ -n "$COORD_PID" ] && kill -0 "$COORD_PID" 2>/dev/null && alive=1
    [ $alive = 0 ] && break
    sleep 0.1
  done
  [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null || true
  [ -n "$COORD_PID" ] && kill -9 "$COORD_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Waits (bounded) until a log file holds a line matching a pattern; prints the match.
await_line() {
  for _ in $(seq 1 200); do
    m=$(grep -oE "$2" "$1" 2>/dev/null | head -1 || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

node "$ROOT/bin/hyperdex.js" coordinator -f -l 127.0.0.1 -p 0 -D "$OUT/coord" --logging warn >"$OUT/coord.log" 2>&1 &
COORD_PID=$!
CPORT=$(await_line "$OUT/coord.log" 'serving on 127\.0\.0\.1:[0-9]+' | sed 's/.*://')

NODEFLAGS=${NODEFLAGS:-}
[ "${PROFILE:-0}" = 1 ] && NODEFLAGS="$NODEFLAGS --cpu-prof --cpu-prof-dir=$OUT"
# shellcheck disable=SC2086
node $NODEFLAGS "$ROOT/bin/hyperdex.js" daemon -f --listen=127.0.0.1 --listen-port=0 --coordinator=127.0.0.1 \
  --coordinator-port="$CPORT" --data="$OUT/daemon" --logging=warn >"$OUT/daemon.log" 2>&1 &
DAEMON_PID=$!
await_line "$OUT/daemon.log" 'serving on 127\.0\.0\.1:[0-9]+' >/dev/null

"$OUT/load" 127.0.0.1 "$CPORT" -a "$DESC" -l -k "$KEYS" -t 0
# The daemon's CPU time (user + system, in clock ticks) from /proc: on a shared machine its
# ops per CPU-second are steadier than its ops per second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
HZ=$(getconf CLK_TCK)
for shape in $SHAPES; do
  o=${shape%%:*}; rest=${shape#*:}; c=${rest%%:*}; w=${rest#*:}
  t0=$(cpu_ticks)
  line=$("$OUT/load" 127.0.0.1 "$CPORT" -o "$o" -c "$c" -w "$w" -k "$KEYS" -t "$SECS")
  t1=$(cpu_ticks)
  echo "$line" | awk -v ticks=$((t1 - t0)) -v hz="$HZ" '{
    for (i = 1; i <= NF; i++) if ($i ~ /^ops=/) { split($i, a, "="); ops = a[2] }
    cpu = ticks / hz
    printf "%s daemon_cpu_s=%.2f ops_per_daemon_cpu_s=%.0f\n", $0, cpu, (cpu > 0 ? ops / cpu : 0)
  }'
done
echo "daemon resident memory: $(awk '/VmRSS/ {print $2, $3}' "/proc/$DAEMON_PID/status")"
cleanup
DAEMON_PID=
COORD_PID=
echo "output in $OUT" >&2
