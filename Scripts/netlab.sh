#!/usr/bin/env bash
# Two network namespaces joined by an emulated link, for the tests over real network
# conditions (Tests/NetlabTests) and the benchmarks across shaped links. Needs CAP_NET_ADMIN.
#
#   Scripts/netlab.sh up NAME [--delay-ms 20] [--jitter-ms 5] [--loss-pct 1] [--reorder-pct 5]
#                             [--rate-mbit 50] [--seed N]
#       creates namespaces NAME-a (10.200.0.1/24) and NAME-b (10.200.0.2/24) joined by a link
#       with those conditions each way (the defaults above; 0 turns one off), loopback up in
#       both, and prints what it created and how.
#   Scripts/netlab.sh blackhole NAME on|off   every packet on the link dropped (or not)
#   Scripts/netlab.sh down NAME               removes both namespaces and the link, prints the
#                                             emulator's counters
#   Scripts/netlab.sh cleanup PREFIX          removes what an earlier run left behind: every
#                                             netlab whose NAME starts with PREFIX and whose
#                                             creating process (NAME's first number) is gone
#
# The link: with sch_netem in the kernel, a veth pair with a netem qdisc on each end (delay,
# jitter, loss, reorder, rate); without it (or with NETLAB_LINK=emulator), a TUN device in each
# namespace and Scripts/netlab/link-emulator.c forwarding between them in user space, built with
# cc into .build/netlab/ (or $NETLAB_BUILD) when missing or older than its source.
# NETLAB_LINK=netem insists on netem. TCP in both namespaces uses BBR when the kernel has it.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NETLAB_BUILD:-$ROOT/.build/netlab}"
STATE="${NETLAB_STATE:-/run/netlab}"
EMULATOR="$BUILD/link-emulator"

die() { echo "netlab: $*" >&2; exit 1; }

build_emulator() {
  local source="$ROOT/Scripts/netlab/link-emulator.c"
  if [[ ! -x "$EMULATOR" || "$source" -nt "$EMULATOR" ]]; then
    command -v cc >/dev/null || die "no C compiler (cc) to build the link emulator"
    mkdir -p "$BUILD"
    cc -O2 -Wall -Wextra -Werror -o "$EMULATOR.tmp.$$" "$source"
    mv -f "$EMULATOR.tmp.$$" "$EMULATOR"
  fi
}

congestion_control() {
  local ns=$1
  if ip netns exec "$ns" sysctl -n net.ipv4.tcp_available_congestion_control 2>/dev/null | grep -qw bbr; then
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control=bbr
  fi
  ip netns exec "$ns" sysctl -n net.ipv4.tcp_congestion_control
}

up() {
  local name=$1; shift
  local delay=20 jitter=5 loss=1 reorder=5 rate=50 seed=0
  while (($#)); do
    case $1 in
      --delay-ms) delay=$2 ;; --jitter-ms) jitter=$2 ;; --loss-pct) loss=$2 ;;
      --reorder-pct) reorder=$2 ;; --rate-mbit) rate=$2 ;; --seed) seed=$2 ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  local a="$name-a" b="$name-b" dir="$STATE/$name"
  [[ -e /dev/net/tun ]] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
  mkdir -p "$dir"
  ip netns add "$a"
  ip netns add "$b"
  ip -n "$a" link set lo up
  ip -n "$b" link set lo up

  local how="" mode="${NETLAB_LINK:-auto}"
  if [[ $mode != emulator ]]; then
    ip link add nl0 netns "$a" type veth peer name nl0 netns "$b"
    local netem=(delay "${delay}ms" "${jitter}ms" loss "${loss}%" reorder "${reorder}%")
    [[ $rate != 0 ]] && netem+=(rate "${rate}mbit")
    if ip -n "$a" link set nl0 up && tc -n "$a" qdisc add dev nl0 root netem "${netem[@]}" 2>"$dir/netem.err" \
        && tc -n "$b" qdisc add dev nl0 root netem "${netem[@]}" 2>>"$dir/netem.err"; then
      echo "netem ${netem[*]}" >"$dir/netem"
      how="veth pair nl0 with a netem qdisc on each end: ${netem[*]}"
      # One drop should be one MTU-sized packet, not a 64 KiB segmentation-offload burst.
      if command -v ethtool >/dev/null; then
        ip netns exec "$a" ethtool -K nl0 gso off tso off gro off >/dev/null 2>&1 || true
        ip netns exec "$b" ethtool -K nl0 gso off tso off gro off >/dev/null 2>&1 || true
        how+=" (GSO/TSO/GRO off)"
      else
        how+=" (no ethtool: GSO/TSO left on, a drop may be a burst)"
      fi
    else
      [[ $mode == netem ]] && die "netem unavailable: $(cat "$dir/netem.err")"
      ip -n "$a" link del nl0 2>/dev/null || true
    fi
  fi
  if [[ -z $how ]]; then
    build_emulator
    local args=(--ns-a "/run/netns/$a" --ns-b "/run/netns/$b" --dev nl0 --delay-ms "$delay" --jitter-ms "$jitter"
                --loss-pct "$loss" --reorder-pct "$reorder" --rate-mbit "$rate" --seed "$seed")
    setsid "$EMULATOR" "${args[@]}" </dev/null >"$dir/emulator.log" 2>&1 &
    echo $! >"$dir/emulator.pid"
    for _ in $(seq 100); do grep -q '^ready' "$dir/emulator.log" && break; sleep 0.05; done
    grep -q '^ready' "$dir/emulator.log" || die "link emulator did not start: $(cat "$dir/emulator.log")"
    how="TUN nl0 in each namespace, user-space link emulator (pid $(cat "$dir/emulator.pid"); sch_netem unavailable${NETLAB_LINK:+ or not chosen}): $(head -1 "$dir/emulator.log" | sed 's/^link-emulator: //')"
  fi
  ip -n "$a" addr add 10.200.0.1/24 dev nl0
  ip -n "$b" addr add 10.200.0.2/24 dev nl0
  ip -n "$a" link set nl0 up mtu 1500
  ip -n "$b" link set nl0 up mtu 1500
  local cc_a cc_b
  cc_a=$(congestion_control "$a")
  cc_b=$(congestion_control "$b")
  echo "netlab $name: namespaces $a (10.200.0.1) and $b (10.200.0.2); link: $how; TCP congestion control $cc_a/$cc_b"
}

blackhole() {
  local name=$1 state=$2 dir="$STATE/$1"
  if [[ -f "$dir/netem" ]]; then
    local params
    if [[ $state == on ]]; then params="netem loss 100%"; else params=$(cat "$dir/netem"); fi
    # shellcheck disable=SC2086
    tc -n "$name-a" qdisc change dev nl0 root $params
    # shellcheck disable=SC2086
    tc -n "$name-b" qdisc change dev nl0 root $params
  else
    local pid; pid=$(cat "$dir/emulator.pid")
    local before; before=$(grep -c "blackhole $state" "$dir/emulator.log" || true)
    if [[ $state == on ]]; then kill -USR1 "$pid"; else kill -USR2 "$pid"; fi
    for _ in $(seq 100); do
      (( $(grep -c "blackhole $state" "$dir/emulator.log" || true) > before )) && break
      sleep 0.02
    done
  fi
  echo "netlab $name: blackhole $state"
}

down() {
  local name=$1 dir="$STATE/$1"
  if [[ -f "$dir/emulator.pid" ]]; then
    local pid; pid=$(cat "$dir/emulator.pid")
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    grep -v '^ready' "$dir/emulator.log" | tail -n +2 || true
  fi
  ip netns del "$name-a" 2>/dev/null || true
  ip netns del "$name-b" 2>/dev/null || true
  rm -rf "$dir"
  echo "netlab $name: removed"
}

cleanup() {
  local prefix=$1 name owner
  for ns in $({ ip netns list | awk '{print $1}' | sed 's/-[ab]$//'; ls "$STATE" 2>/dev/null; } | grep "^$prefix" | sort -u); do
    owner=$(sed -E 's/^[^0-9]*([0-9]+).*/\1/' <<<"$ns")
    if [[ -n $owner && $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; then continue; fi
    down "$ns" >/dev/null
    echo "netlab: removed stale $ns"
  done
}

command=${1:-}; shift || true
case $command in
  up) up "$@" ;;
  blackhole) blackhole "$@" ;;
  down) down "$@" ;;
  cleanup) cleanup "$@" ;;
  build) build_emulator; echo "$EMULATOR" ;;
  *) sed -n '2,25p' "${BASH_SOURCE[0]}"; exit 2 ;;
esac
