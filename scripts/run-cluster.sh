#!/usr/bin/env bash
# Builds Sprocket (Release) and runs a single-node cluster in the foreground:
# mqnamesrv on 9876 and mqbroker on 10911 (conf/namesrv.conf, conf/broker.conf).
# Ctrl-C stops both cleanly (the broker unregisters from the nameserver first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target mqnamesrv mqbroker SyncProducer PushConsumer mqadmin mqbench \
  sprocket_transport_tcp sprocket_transport_websocket sprocket_auth_none sprocket_storage_filelog \
  sprocket_storage_leveldb sprocket_storage_memory
mkdir -p data

build/bin/mqnamesrv -c conf/namesrv.conf &
namesrv=$!
broker=""
stopped=0
# The broker goes first so that it unregisters while the nameserver is still there.
stop() {
  ((stopped)) && return
  stopped=1
  [[ -n "$broker" ]] && kill -TERM "$broker" 2>/dev/null && wait "$broker" 2>/dev/null || true
  kill -TERM "$namesrv" 2>/dev/null && wait "$namesrv" 2>/dev/null || true
  echo "sprocket: stopped"
}
trap 'stop; exit 0' INT TERM
sleep 0.3
build/bin/mqbroker -c conf/broker.conf &
broker=$!
echo "sprocket: nameserver pid $namesrv on 127.0.0.1:9876, broker pid $broker on 127.0.0.1:10911 (Ctrl-C stops both)"
wait -n "$namesrv" "$broker" || true
stop
