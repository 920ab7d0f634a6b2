#!/usr/bin/env bash
# Where the echo server's CPU goes per message: user and system time from /proc, and with
# PROFILE=1 a perf sample split by library (kernel, the Swift concurrency runtime, the
# server's own code, the Swift core library's retain/release, libc). Server pinned to CPU 0,
# the kit's load generator to CPU 1, servers interleaved round by round. Loopback only.
#
#   Benchmarks/Scripts/echo-cpu-split.sh [ROUNDS] [SECONDS]
#
# SERVERS: any of async, handler (this checkout's release build) and async-base, handler-base
# (BASELINE_BIN=PATH, another build of EchoExample); default "async handler".
# WORKLOAD: the load generator's flags (default "-c 1000 -s 512 -p 1").
# Prints one line per run:
#   server=NAME round=N msgs_per_s=N user_us_per_msg=N sys_us_per_msg=N
#     [kernel_us_per_msg=N runtime_us_per_msg=N code_us_per_msg=N swiftcore_us_per_msg=N libc_us_per_msg=N]
# then one "median" line per server. The /proc figures cover the whole run (the connects
# included, the same for every server); perf's own cost makes the profiled runs slower, so
# compare their split, not their rate. Needs the benchmark kit (../shared/bench or BENCH_KIT)
# and, for PROFILE=1, perf.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
rounds="${1:-6}"
seconds="${2:-3}"
read -r -a servers <<< "${SERVERS:-async handler}"
workload="${WORKLOAD:--c 1000 -s 512 -p 1}"
profile="${PROFILE:-0}"
frequency=4000
port=19500
tmpdir="$(mktemp -d /tmp/echo-cpu-split.XXXXXX)"
trap 'rm -rf "$tmpdir"' EXIT

built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
loadgen="${built%%$'\n'*}"
(cd "$here" && swift build -c release --product EchoExample >/dev/null)
echo_bin="$here/.build/release/EchoExample"
hz=$(getconf CLK_TCK)

# shellcheck source=bench-common.sh
source "$here/Benchmarks/Scripts/bench-common.sh"

run_once() { # server round
  local bin="$echo_bin" level="$1"
  case "$1" in
    *-base) bin="${BASELINE_BIN:?BASELINE_BIN names the baseline EchoExample}"; level="${1%-base}" ;;
  esac
  port=$((port + 1))
  taskset -c 0 "$bin" --listen "127.0.0.1:$port" --threads 1 --api "$level" >/dev/null 2>&1 &
  local pid=$!
  wait_port "$port"
  local user0 sys0 user1 sys1 line
  read -r user0 sys0 < <(times_of "$pid")
  # shellcheck disable=SC2086
  if [ "$profile" = 1 ]; then
    line=$(perf record -q -e cpu-clock -F "$frequency" -p "$pid" -o "$tmpdir/perf.data" -- \
      taskset -c 1 "$loadgen" --port "$port" $workload -d "$seconds" --warmup 0 2>/dev/null | tail -1)
  else
    line=$(taskset -c 1 "$loadgen" --port "$port" $workload -d "$seconds" --warmup 0 2>/dev/null | tail -1)
  fi
  read -r user1 sys1 < <(times_of "$pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local msgs rate split=""
  msgs=$(tr ' ' '\n' <<< "$line" | awk -F= '$1 == "msgs" { print $2 }')
  rate=$(tr ' ' '\n' <<< "$line" | awk -F= '$1 == "msgs_per_s" { print $2 }')
  if [ -z "$msgs" ] || [ "$msgs" = 0 ]; then
    echo "echo-cpu-split: no messages from server=$1 in round $2 (load generator: ${line:-no output})" >&2
    return
  fi
  if [ "$profile" = 1 ]; then
    split=$(perf report -i "$tmpdir/perf.data" --no-children --sort dso -F sample,dso --stdio 2>/dev/null |
      awk -v n="$msgs" -v f="$frequency" '
        /^#/ || NF < 2 { next }
        { group = "code" }
        $2 ~ /kernel/ { group = "kernel" }
        $2 ~ /libswift_Concurrency/ { group = "runtime" }
        $2 ~ /libswiftCore/ { group = "swiftcore" }
        $2 ~ /^(libc|ld-linux|libm|\[vdso\])/ { group = "libc" }
        { us[group] += $1 * 1e6 / f / n }
        END { printf " kernel_us_per_msg=%.2f runtime_us_per_msg=%.2f code_us_per_msg=%.2f swiftcore_us_per_msg=%.2f libc_us_per_msg=%.2f",
                     us["kernel"], us["runtime"], us["code"], us["swiftcore"], us["libc"] }')
  fi
  awk -v s="$1" -v r="$2" -v rate="$rate" -v n="$msgs" -v u=$((user1 - user0)) -v sy=$((sys1 - sys0)) -v hz="$hz" -v extra="$split" \
    'BEGIN { printf "server=%s round=%d msgs_per_s=%s user_us_per_msg=%.2f sys_us_per_msg=%.2f%s\n", s, r, rate, u / hz / n * 1e6, sy / hz / n * 1e6, extra }'
}

for ((round = 1; round <= rounds; round++)); do
  # Alternate the order each round: the first server of a round tends to see a different machine.
  if ((round % 2)); then order=("${servers[@]}"); else order=(); for ((i = ${#servers[@]} - 1; i >= 0; i--)); do order+=("${servers[i]}"); done; fi
  for server in "${order[@]}"; do run_once "$server" "$round"; done
done | tee "$tmpdir/lines"
python3 - "$tmpdir/lines" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    fields = dict(item.split("=", 1) for item in line.split())
    runs.setdefault(fields.pop("server"), []).append(fields)
for server, rows in runs.items():
    keys = [k for k in rows[0] if k != "round"]
    medians = " ".join(f"{k}={statistics.median(float(r[k]) for r in rows):g}" for k in keys)
    print(f"median server={server} rounds={len(rows)} {medians}")
EOF
