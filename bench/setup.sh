#!/usr/bin/env bash
# Installs what the end-to-end benchmark needs, through apt, idempotently: nothing is done when everything is
# already there. Run as root (npm run bench does it through bench/run.sh).
#
#   trafgen      netsniff-ng        the traffic generator (same one for every contender)
#   ovs-vswitchd openvswitch-switch Open vSwitch, run in userspace (datapath_type=netdev) inside the lab
#   gcc          gcc                builds bench/cforward.c, the C AF_PACKET forwarder (the I/O ceiling)
#   ip, bridge   iproute2           namespaces, veth, the Linux bridge
#   ethtool      ethtool            offload settings for the forwarders that need them off
#   tcpdump      tcpdump            debugging captures
#   iperf3       iperf3             TCP throughput
#   ping         iputils-ping       latency
#   taskset      util-linux         CPU pinning
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "bench/setup.sh: run as root (it installs packages with apt-get)" >&2
  exit 1
fi

# command → package
declare -A need=(
  [trafgen]=netsniff-ng
  [ovs-vswitchd]=openvswitch-switch
  [gcc]=gcc
  [ip]=iproute2
  [bridge]=iproute2
  [ethtool]=ethtool
  [tcpdump]=tcpdump
  [iperf3]=iperf3
  [ping]=iputils-ping
  [taskset]=util-linux
  [sysctl]=procps
)

missing=()
for cmd in "${!need[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/usr/bin/$cmd" ]; then
    missing+=("${need[$cmd]}")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bench/setup.sh: everything is installed"
  exit 0
fi

# Unique package names.
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "bench/setup.sh: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# Do not let package scripts start system services (openvswitch-switch, iperf3): the bench runs its own
# instances inside a namespace. policy-rc.d is only put in place if none exists, and removed afterwards.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo 'iperf3 iperf3/start_daemon boolean false' | debconf-set-selections 2>/dev/null || true
apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
echo "bench/setup.sh: done"
