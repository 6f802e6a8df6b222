#!/usr/bin/env bash
# keepalived-rs demo: two VRRP routers in network namespaces.
#
#   sudo ./conf/demo.sh
#
# Builds keepalived-rs (if cargo is available), creates a hub namespace with a
# bridge and two router namespaces (each with eth0 on the bridge), starts
# keepalived-rs on both (priority 150 and 100, VIP 192.0.2.100), shows who is
# MASTER, kills the MASTER and shows the takeover. Everything is removed on
# exit. Only the documentation ranges 192.0.2.0/24 are used, and nothing is
# changed in the root network namespace.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
vip=192.0.2.100

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: must run as root (it creates network namespaces): sudo $0" >&2
    exit 1
fi

# --- build / locate the binary -------------------------------------------
bin=${KEEPALIVED_RS_BIN:-}
if [ -z "$bin" ]; then
    if command -v cargo >/dev/null 2>&1; then
        echo "== building keepalived-rs"
        (cd "$root" && cargo build --release -p keepalived-rs)
    fi
    tdir=${CARGO_TARGET_DIR:-$root/target}
    for p in "$tdir/release/keepalived-rs" "$tdir/debug/keepalived-rs"; do
        if [ -x "$p" ]; then bin=$p; break; fi
    done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "demo.sh: keepalived-rs binary not found; run 'cargo build --release -p keepalived-rs'" \
         "(or set KEEPALIVED_RS_BIN)" >&2
    exit 1
fi
echo "== using $bin"

# --- lab --------------------------------------------------------------------
p="kd$$"
hub=${p}h
ns=("${p}a" "${p}b")
prio=(150 100)
work=$(mktemp -d "/tmp/keepalived-rs-demo.XXXXXX")
pids=()

cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 50); do   # at most ~5 s
        alive=0
        for pid in "${pids[@]}"; do
            if kill -0 "$pid" 2>/dev/null; then alive=1; fi
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    for n in "${ns[@]}" "$hub"; do
        ip netns del "$n" 2>/dev/null || true
    done
    rm -rf "$work"
    echo "== cleaned up"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$hub"
ip -n "$hub" link set lo up
ip -n "$hub" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$hub" link set br0 up
for i in 0 1; do
    ip netns add "${ns[$i]}"
    ip -n "$hub" link add "p$i" type veth peer name eth0 netns "${ns[$i]}"
    ip -n "$hub" link set "p$i" master br0
    ip -n "$hub" link set "p$i" up
    ip -n "${ns[$i]}" link set lo up
    ip -n "${ns[$i]}" addr add "192.0.2.1$i/24" dev eth0
    ip -n "${ns[$i]}" link set eth0 up
    sed -e "s/priority 150 /priority ${prio[$i]} /" "$root/conf/keepalived.conf" >"$work/r$i.conf"
done

for i in 0 1; do
    ip netns exec "${ns[$i]}" "$bin" -f "$work/r$i.conf" -n -l -D -p "$work/r$i.pid" \
        >"$work/r$i.log" 2>&1 &
    pids+=("$!")
    echo "== started keepalived-rs in ${ns[$i]} (priority ${prio[$i]}, pid $!)"
done

has_vip() { # has_vip NODE
    ip -n "${ns[$1]}" -o addr show dev eth0 | grep -q " $vip/"
}

holder() { # the node holding the VIP if exactly one does, else "none"/"both"
    local h=none
    for i in 0 1; do
        if has_vip "$i"; then
            if [ "$h" = none ]; then h=$i; else h=both; fi
        fi
    done
    echo "$h"
}

show() {
    for i in 0 1; do
        echo "-- ${ns[$i]} (priority ${prio[$i]}):"
        ip -n "${ns[$i]}" -br addr show dev eth0
        grep -E 'MASTER|BACKUP|FAULT' "$work/r$i.log" | tail -n 3 | sed 's/^/   log: /' || true
    done
}

wait_holder() { # wait_holder WANT SECONDS (bounded by count and by time)
    local want=$1 end=$(( $(date +%s) + $2 ))
    for _ in $(seq 1 $(( $2 * 50 ))); do
        [ "$(holder)" = "$want" ] && return 0
        [ "$(date +%s)" -ge "$end" ] && break
        sleep 0.02
    done
    [ "$(holder)" = "$want" ]
}

echo "== waiting for the election (up to 10 s)"
if ! wait_holder 0 10; then
    echo "demo.sh: router A (priority 150) did not become MASTER" >&2
    show
    exit 1
fi
show

echo "== killing the MASTER (SIGKILL, no goodbye advert) in ${ns[0]}"
t0=$(date +%s.%N)
kill -KILL "${pids[0]}"
# Pull A's cable too. A killed daemon cannot remove its VIP; drop the
# leftover by hand (a crashed or rebooted router loses it as well).
ip -n "$hub" link set p0 down
ip -n "${ns[0]}" addr del "$vip/24" dev eth0 2>/dev/null || true
if ! wait_holder 1 10; then
    echo "demo.sh: router B did not take over" >&2
    show
    exit 1
fi
t1=$(date +%s.%N)
printf '== router B took over %.2f s after the kill (Master_Down_Interval = 3 x 1 s + skew)\n' \
    "$(awk "BEGIN{print $t1-$t0}")"
show

echo "== bringing router A back (cable in, daemon restarted): it preempts"
ip -n "$hub" link set p0 up
ip netns exec "${ns[0]}" "$bin" -f "$work/r0.conf" -n -l -D -p "$work/r0.pid" \
    >>"$work/r0.log" 2>&1 &
pids+=("$!")
if wait_holder 0 10; then show; else echo "demo.sh: router A did not preempt" >&2; show; exit 1; fi

echo "== stopping router A cleanly (SIGTERM sends priority 0)"
t0=$(date +%s.%N)
kill -TERM "${pids[2]}"
if wait_holder 1 5; then
    t1=$(date +%s.%N)
    printf '== router B took over %.2f s after SIGTERM (skew time, < 1 s)\n' \
        "$(awk "BEGIN{print $t1-$t0}")"
    show
else
    echo "demo.sh: router B did not take over after SIGTERM" >&2
    show
    exit 1
fi
echo "== done"
