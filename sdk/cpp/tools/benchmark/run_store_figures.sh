#!/usr/bin/env bash
# Prints the README's storage figures: each as a ratio to a probe of the disk taken in the
# same run, right before it (this machine's fsync latency drifts 20-30x within minutes).
#
#   sdk/cpp/tools/benchmark/run_store_figures.sh [build-dir=build] [data-dir=/var/tmp]
#
# 1. mqbench_store (Google Benchmark): each store alone — ASYNC_FLUSH 1 KiB appends vs
#    sequential writes, SYNC_FLUSH group commit (messages per sync, p50 vs fsync p50) with
#    256 and 32 appends in flight, a cold 5 GiB backlog read vs cold sequential reads.
# 2. Through the broker, per store: 64 KiB messages (ASYNC_FLUSH) vs sequential writes;
#    SYNC_FLUSH 1 KiB with 256 and 32 sends in flight (send p50 vs fsync p50; records per
#    sync from the broker's "store stats" line), each after the same load with ASYNC_FLUSH;
#    RssAnon of the broker before and after.
# 3. The SYNC_FLUSH rows of 1 and 2 on a disk whose fsync is SLOW_FSYNC_US (default 1000)
#    microseconds slower (slow_fsync.so preloaded; SLOW_FSYNC_US=0 skips them).
set -euo pipefail
BUILD=${1:-build}
DATA=${2:-/var/tmp}
BIN=$(cd "$BUILD/bin" && pwd)
for p in mqnamesrv mqbroker mqbench mqbench_store; do
  [[ -x "$BIN/$p" ]] || { echo "missing $BIN/$p (build it: cmake --build $BUILD --target $p)" >&2; exit 1; }
done
STORES=${STORES:-filelog leveldb}
WORK=$(mktemp -d "$DATA/sprocket-store-figures.XXXXXX")
# shellcheck source=bench_cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_cluster.sh"
trap 'stop_cluster; rm -rf "$WORK"' EXIT
start_store_cluster() { start_cluster_with -D storePlugin="$1" -D flushDiskType="$2"; }  # store, flush type

rss_anon() { grep RssAnon "/proc/$1/status" | awk '{print $2 " KiB"}'; }

probe() {
  "$BIN/mqbench_store" --dir "$WORK" --probe-bytes 1G --benchmark_filter='^probe' 2>/dev/null | grep '^probe' |
    sed 's/.*manual_time *[0-9.]* s *[0-9.]* s *1 /probe: /'
}

# SYNC_FLUSH through the broker, 1 KiB, 256 and 32 sends in flight, each after the same
# load with ASYNC_FLUSH (the round trip without any fsync: what a send costs the two cores).
# $1 store, $2 a label suffix.
sync_rows() {
  local store=$1 label=$2
  for inflight in 256 32; do
    echo "== broker, $store, 1 KiB, $inflight in flight$label"
    for mode in ASYNC_FLUSH SYNC_FLUSH; do
      start_store_cluster "$store" "$mode"
      "$BIN/mqbench" producer -n "$NS" -t Sync -d 2 -i 4 > /dev/null
      if [[ $mode == SYNC_FLUSH ]]; then probe; fi
      "$BIN/mqbench" producer -n "$NS" -t Sync -d 10 -i "$inflight" --broker-pid "$BR_PID" 2>&1 |
        grep -E "^total|^sent" | sed "s/^total/$mode/" || true
      stop_cluster
      if [[ $mode == SYNC_FLUSH ]]; then grep -o 'store stats: .*' "$WORK/br.out" || true; fi
    done
  done
}

echo "== stores alone (mqbench_store)"
"$BIN/mqbench_store" --dir "$WORK" --plugins "$(echo $STORES | tr ' ' ,)" 2>/dev/null | grep -E '^(probe|filelog|leveldb|memory)'

for store in $STORES; do
  echo "== broker, $store, ASYNC_FLUSH, 64 KiB messages, 4 producers x 16 in flight"
  start_store_cluster "$store" ASYNC_FLUSH
  "$BIN/mqbench" producer -n "$NS" -t Big -s 65536 -d 2 -i 4 > /dev/null
  echo "broker RssAnon before: $(rss_anon "$BR_PID")"
  # Probed before and after the run; the ratio is taken to the faster probe (the VM's write
  # speed depends on how much fresh memory its page cache is getting, see README).
  before=$(probe)
  echo "$before"
  "$BIN/mqbench" producer -n "$NS" -t Big -s 65536 -w 4 -i 16 -d 20 --broker-pid "$BR_PID" 2>&1 |
    grep -E "^total|^sent|^broker" | tee "$WORK/big.out" || true
  after=$(probe)
  echo "$after (after the run)"
  best=$(printf '%s\n%s\n' "$before" "$after" | sed -n 's/.*write_MBps=\([0-9.k]*\).*/\1/p' |
    sed 's/k$/e3/' | awk '{v = $1 + 0; if (v > m) m = v} END {print m}')
  awk -v best="$best" '/^total/ {for (i = 1; i < NF; i++) if ($(i + 1) == "MB/s")
    printf "64 KiB through the broker: %s MB/s = %.2fx the faster probe (%.0f MB/s)\n", $i, $i / best, best}' \
    "$WORK/big.out"
  echo "broker RssAnon after: $(rss_anon "$BR_PID")"
  du -sh "$WORK/store" | awk '{print "stored: " $1}'
  sync_rows "$store" ""
done

# The SYNC_FLUSH rows again on a slower disk: every fsync/fdatasync of the stores, the
# broker and the probe returns SLOW_FSYNC_US (default 1000) microseconds late (slow_fsync.so,
# LD_PRELOAD). Here an fsync (0.1-0.2 ms) is shorter than the CPU time of one window of
# sends, so the rows above measure mostly that; these show group commit where the disk's
# flush dominates. SLOW_FSYNC_US=0 skips them.
SLOW_FSYNC_US=${SLOW_FSYNC_US:-1000}
if [[ "$SLOW_FSYNC_US" != 0 && -f "$BIN/slow_fsync.so" ]]; then
  echo "== stores alone, every fsync ${SLOW_FSYNC_US} us slower"
  LD_PRELOAD="$BIN/slow_fsync.so" SPROCKET_SLOW_FSYNC_US=$SLOW_FSYNC_US "$BIN/mqbench_store" --dir "$WORK" \
    --plugins "$(echo $STORES | tr ' ' ,)" --benchmark_filter=sync_flush 2>/dev/null | grep -E '^(filelog|leveldb|memory)'
  (
    # The broker and the probe inherit these (the nameserver and mqbench never fsync).
    export LD_PRELOAD="$BIN/slow_fsync.so" SPROCKET_SLOW_FSYNC_US="$SLOW_FSYNC_US"
    trap stop_cluster EXIT
    for store in $STORES; do sync_rows "$store" ", every fsync ${SLOW_FSYNC_US} us slower"; done
  )
elif [[ "$SLOW_FSYNC_US" != 0 ]]; then
  echo "== skipped the rows on a slower disk: no $BIN/slow_fsync.so (build sprocket_slow_fsync)"
fi
