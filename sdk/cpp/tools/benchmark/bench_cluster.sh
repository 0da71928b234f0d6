# Sourced by run_figures.sh and run_store_figures.sh: a nameserver and a broker on ephemeral
# ports under $WORK, started from $BIN. Sets NS (nameserver address), NS_PID and BR_PID;
# the caller's EXIT trap calls stop_cluster.
NS_PID="" BR_PID=""

stop_cluster() {
  [[ -n "$BR_PID" ]] && kill -TERM "$BR_PID" 2>/dev/null && wait "$BR_PID" 2>/dev/null || true
  [[ -n "$NS_PID" ]] && kill -TERM "$NS_PID" 2>/dev/null && wait "$NS_PID" 2>/dev/null || true
  BR_PID="" NS_PID=""
}

# Waits (10 s at most) for "Sprocket endpoints:" in $1 and prints the main port.
main_port() {
  for _ in $(seq 1 1000); do
    if grep -q "Sprocket endpoints" "$1" 2>/dev/null; then
      grep "Sprocket endpoints" "$1" | sed 's/.*main=[^ ]*:\([0-9]*\).*/\1/'
      return 0
    fi
    sleep 0.01
  done
  echo "no endpoints line in $1" >&2
  return 1
}

# A fresh store and cluster; the arguments are extra broker options (-D key=value ...).
start_cluster_with() {
  stop_cluster
  rm -rf "$WORK/store" && mkdir -p "$WORK/store"
  "$BIN/mqnamesrv" -D listenPort=0 > "$WORK/ns.out" 2>&1 &
  NS_PID=$!
  NS="127.0.0.1:$(main_port "$WORK/ns.out")"
  "$BIN/mqbroker" -n "$NS" -D listenPort=0 -D brokerIP1=127.0.0.1 -D storePathRootDir="$WORK/store" \
    -D autoCreateTopicEnable=true "$@" > "$WORK/br.out" 2>&1 &
  BR_PID=$!
  main_port "$WORK/br.out" > /dev/null
  sleep 0.5  # registration with the nameserver
}
