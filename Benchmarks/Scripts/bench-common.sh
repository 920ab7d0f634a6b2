# Helpers shared by the benchmark scripts (sourced, not run).

# wait_port PORT: returns once 127.0.0.1:PORT accepts connections (at most 10 s).
wait_port() {
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $1 never opened" >&2
  return 1
}

# times_of PID: "utime stime" of the process so far, in clock ticks (getconf CLK_TCK).
times_of() {
  awk '{ print $14, $15 }' "/proc/$1/stat"
}
