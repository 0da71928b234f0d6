#!/usr/bin/env bash
# Prints the README's performance figures with mqbench against a single local broker
# (ASYNC_FLUSH, filelog, 1 KiB messages). Each throughput run gets a fresh nameserver, broker
# and store in a temp dir, a 2 s warm-up (which also creates the topic), then 10 s measured.
#
#   sdk/cpp/tools/benchmark/run_figures.sh [build-dir=build]   (a Release build)
#
# Runs: 1 producer x 256 in flight (JSON headers, then ROCKETMQ binary headers),
# 4 producers x 256, end-to-end latency at 5,000 msgs/s with a push consumer, broker
# start-to-ready time and idle RssAnon.
set -euo pipefail
BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
for p in mqnamesrv mqbroker mqbench; do
  [[ -x "$BIN/$p" ]] || { echo "missing $BIN/$p (build it: cmake --build $BUILD --target $p)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/sprocket-figures.XXXXXX)
# shellcheck source=bench_cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_cluster.sh"
trap 'stop_cluster; rm -rf "$WORK"' EXIT
start_cluster() { start_cluster_with -D flushDiskType=ASYNC_FLUSH; }

producer_run() {  # label, then mqbench producer options
  local label=$1; shift
  start_cluster
  "$BIN/mqbench" producer -n "$NS" -t BenchTopic -d 2 -i 16 > /dev/null
  echo "== $label"
  /usr/bin/time -f "client CPU: %U s user + %S s sys" "$BIN/mqbench" producer -n "$NS" -t BenchTopic -d 10 \
    --broker-pid "$BR_PID" "$@" 2>&1 | grep -E "^total|^sent|^broker|^client"
}

producer_run "1 producer x 256 in flight, JSON headers" -i 256
producer_run "1 producer x 256 in flight, ROCKETMQ binary headers" -i 256 --serialize ROCKETMQ
producer_run "4 producers x 256 in flight, JSON headers" -w 4 -i 256

echo "== end to end at 5,000 msgs/s (push consumer, 1 producer)"
start_cluster
"$BIN/mqbench" producer -n "$NS" -t E2ETopic -d 1 -r 100 > /dev/null  # creates the topic
"$BIN/mqbench" consumer -n "$NS" -t E2ETopic -g e2e_group -d 15 > "$WORK/consumer.out" 2>&1 &
CONSUMER=$!
sleep 3
"$BIN/mqbench" producer -n "$NS" -t E2ETopic -d 10 -r 5000 --broker-pid "$BR_PID" 2>&1 | grep -E "^total|^broker"
wait "$CONSUMER"
grep -E "^total|^summary" "$WORK/consumer.out"

echo "== broker start to ready (exec to its endpoints line), idle RssAnon"
start_cluster
kill -TERM "$BR_PID"; wait "$BR_PID" 2>/dev/null || true
BR_PID=""
for i in 1 2 3; do
  rm -rf "$WORK/store" "$WORK/ready.fifo" && mkdir -p "$WORK/store" && mkfifo "$WORK/ready.fifo"
  t0=$(date +%s%N)
  "$BIN/mqbroker" -n "$NS" -D listenPort=0 -D brokerIP1=127.0.0.1 -D storePathRootDir="$WORK/store" \
    > "$WORK/ready.fifo" 2>/dev/null &
  BR_PID=$!
  exec 3< "$WORK/ready.fifo"
  while IFS= read -r line <&3; do [[ "$line" == "Sprocket endpoints"* ]] && break; done
  t1=$(date +%s%N)
  cat <&3 > /dev/null &  # keep draining its output
  sleep 1
  echo "start to ready $(( (t1 - t0) / 1000 )) us, idle $(grep RssAnon /proc/$BR_PID/status | tr -s ' \t' ' ')"
  kill -TERM "$BR_PID"; wait "$BR_PID" 2>/dev/null || true
  BR_PID=""
  exec 3<&-
done
