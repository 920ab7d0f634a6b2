# Helpers shared by the proxy benchmarks (sourced, not run): background processes stopped on
# exit, the helpers of bench-common.sh, and HAProxy's configuration (tcp mode).
#
# After sourcing: set `tmpdir` before starting anything, add each background pid to `pids`.

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmpdir"
}
trap cleanup EXIT

# wait_port and times_of.
# shellcheck source=bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

# haproxy_config THREADS LISTEN_PORT UPSTREAM_PORT [SPLICE]: the configuration both scripts
# compare against (SPLICE non-empty adds `option splice-auto`), printed to stdout.
haproxy_config() {
  local splice=""
  [ -n "${4:-}" ] && splice="    option splice-auto"
  cat <<CONFIG
global
    nbthread $1
    maxconn 4000
defaults
    mode tcp
    timeout connect 3s
    timeout client 300s
    timeout server 300s
frontend front
    bind 127.0.0.1:$2
    default_backend back
$splice
backend back
    server upstream 127.0.0.1:$3
CONFIG
}
