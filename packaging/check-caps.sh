#!/usr/bin/env bash
# Shows that keepalived-rs runs with exactly the capabilities that
# keepalived-rs.service keeps (CapabilityBoundingSet=), and that each one is
# needed.
#
#   packaging/check-caps.sh [BINARY]     (default /usr/sbin/keepalived-rs; root)
#
# Method. systemd-run cannot be used without systemd as PID 1, so the
# unit's capability restriction is reproduced with setpriv(1): the daemon is
# started as root with the bounding set reduced to the unit's list, the
# inheritable and ambient sets cleared and no_new_privs set (the unit's
# NoNewPrivileges=yes). For root, execve then leaves exactly the bounding set
# as permitted and effective capabilities, which is what systemd does for a
# root service with CapabilityBoundingSet=. Every run happens in a private
# network namespace (ip netns) with its own veth eth0, so nothing touches the
# host's interfaces. The other hardening settings of the unit (seccomp,
# read-only paths) are not reproduced here.
#
# One configuration exercises each capability, and each has a probe:
#   vip      the instance (state MASTER, no peer) becomes MASTER and its VIP appears on eth0
#            (CAP_NET_ADMIN for the address, CAP_NET_RAW for the VRRP socket)
#   setuid   a vrrp_script running as `nobody` writes its uid
#            (CAP_SETUID, CAP_SETGID)
#   kill     a vrrp_script as `nobody` that outlives its timeout is killed
#            (CAP_KILL: signalling another user's processes)
#   netns    with `net_namespace`, the daemon started outside the namespace
#            enters it and installs the VIP there (CAP_SYS_ADMIN for setns)
# The full set must pass every probe; dropping one capability must fail the
# probe that depends on it.
set -euo pipefail

bin=${1:-/usr/sbin/keepalived-rs}
caps=(net_admin net_raw setuid setgid kill sys_admin)
ns=krs-caps-$$
work=$(mktemp -d /tmp/krs-caps.XXXXXX)
chmod 755 "$work"
mkdir -m 1777 "$work/out"
daemon_pid=

# The sleeper script records its pid; it is ended by that pid only.
kill_sleeper() {
    local p
    p=$(cat "$work/out/sleeper.pid" 2>/dev/null || true)
    if [ -n "$p" ]; then kill -9 "$p" 2>/dev/null || true; fi
    rm -f "$work/out/sleeper.pid"
}

cleanup() {
    if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; fi
    kill_sleeper
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" addr add 192.0.2.1/24 dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up

cat >"$work/whoami.sh" <<SCRIPT
#!/bin/sh
id -u >"$work/out/uid.\$\$" && mv "$work/out/uid.\$\$" "$work/out/uid"
SCRIPT
cat >"$work/sleeper.sh" <<SCRIPT
#!/bin/sh
echo \$\$ >"$work/out/sleeper.pid"
exec sleep 61.25
SCRIPT
chmod 755 "$work/whoami.sh" "$work/sleeper.sh"

write_conf() { # $1 = file, $2 = extra top-level line
    cat >"$1" <<CONF
$2
global_defs {
    script_user nobody
}
vrrp_script whoami {
    script "$work/whoami.sh"
    interval 30
}
vrrp_script sleeper {
    script "$work/sleeper.sh"
    interval 30
    timeout 1
    weight 1
}
vrrp_instance VI_CAPS {
    interface eth0
    virtual_router_id 77
    state MASTER
    priority 200
    advert_int 1
    virtual_ipaddress {
        192.0.2.77/32
    }
    track_script {
        whoami weight 1
        sleeper weight 1
    }
}
CONF
}
write_conf "$work/local.conf" ""
write_conf "$work/netns.conf" "net_namespace $ns"

# Runs the daemon with bounding set $1 (comma-separated, e.g. "+net_raw,+kill")
# on config $2, from inside the namespace unless $3 = outside; prints the
# probes that passed.
run() {
    local set=$1 conf=$2 where=${3:-inside} prefix=()
    rm -f "$work/out/uid" "$work/out/sleeper.pid"
    ip -n "$ns" addr del 192.0.2.77/32 dev eth0 2>/dev/null || true
    [ "$where" = inside ] && prefix=(ip netns exec "$ns")
    "${prefix[@]}" setpriv --bounding-set "-all${set:+,$set}" --inh-caps -all \
        --ambient-caps -all --no-new-privs -- \
        "$bin" -n -l -G -f "$conf" -p "$work/k.pid" -r "$work/v.pid" \
        --control-socket "$work/ctl.sock" >"$work/daemon.log" 2>&1 &
    daemon_pid=$!
    # The sleeper starts at once and times out after 1 s; 2 s after SIGTERM
    # the group gets SIGKILL. Sample after 5 s.
    sleep 5
    local passed=()
    if ip -n "$ns" -o addr show dev eth0 | grep -q ' 192\.0\.2\.77/32 '; then passed+=(vip); fi
    if [ "$(cat "$work/out/uid" 2>/dev/null)" = "$(id -u nobody)" ]; then passed+=(setuid); fi
    # Only meaningful if the sleeper ran at all (as nobody, so it could
    # write its pid); then it must be gone.
    local sp
    sp=$(cat "$work/out/sleeper.pid" 2>/dev/null || true)
    if [ -n "$sp" ] && ! kill -0 "$sp" 2>/dev/null; then passed+=(kill); fi
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
    kill_sleeper
    echo "${passed[*]:-}"
}

joined() { # the unit's set minus $1, as setpriv wants it
    local out=() c
    for c in "${caps[@]}"; do [ "$c" = "${1:-}" ] || out+=("+$c"); done
    local IFS=,
    echo "${out[*]}"
}

has() { [[ " $1 " == *" $2 "* ]]; }
fail=0

full=$(run "$(joined)" "$work/local.conf")
echo "unit's set ${caps[*]}: passed [$full]"
for p in vip setuid kill; do
    has "$full" "$p" || { echo "FAIL: probe $p fails with the unit's capability set"; fail=1; }
done
full_ns=$(run "$(joined)" "$work/netns.conf" outside)
echo "unit's set, net_namespace from outside: passed [$full_ns]"
has "$full_ns" vip || { echo "FAIL: net_namespace does not work with the unit's set"; fail=1; }
[ $fail -eq 0 ] || { cat "$work/daemon.log"; exit 1; }

declare -A needs=([net_admin]=vip [net_raw]=vip [setuid]=setuid [setgid]=setuid [kill]=kill [sys_admin]=netns)
for c in "${caps[@]}"; do
    probe=${needs[$c]}
    if [ "$probe" = netns ]; then
        got=$(run "$(joined "$c")" "$work/netns.conf" outside)
        has "$got" vip && { echo "FAIL: without cap_$c net_namespace still works"; fail=1; continue; }
    else
        got=$(run "$(joined "$c")" "$work/local.conf")
        has "$got" "$probe" && { echo "FAIL: without cap_$c probe $probe still passes [$got]"; fail=1; continue; }
    fi
    echo "without cap_$c: passed [$got], probe ${probe} fails as expected"
done
[ $fail -eq 0 ] && echo "check-caps: the unit's capability set is sufficient and each capability is needed"
exit $fail
