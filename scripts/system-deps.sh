#!/usr/bin/env bash
# Installs the Debian packages igmpswitch's build, demo and tests need, only when something is missing
# (so a prepared machine pays nothing). Used by .ci/run and by `npm start` / `npm test` (scripts/bootstrap.sh).
#   ip, bridge: iproute2 (namespaces, veth, the Linux bridge)   sysctl: procps   ping: iputils-ping
#   ethtool, tcpdump: port checks and captures in tests         python3, make, g++: node-gyp builds the addon
#   pimd (frr), igmpproxy: real multicast routers for the interop tests (test/netns/interop);
#   an absolute path is checked as a file (FRR keeps its daemons in /usr/lib/frr, off PATH)
#
#   --unprivileged-ok   (npm test) without root, name what is missing and go on instead of failing: the unit tests
#                       need none of it, and the namespace tests skip and print why (the build tools are checked
#                       again by npm ci / node-gyp, which say what they lack)
set -euo pipefail
unprivileged_ok=0
for arg in "$@"; do
  case "$arg" in
    --unprivileged-ok) unprivileged_ok=1 ;;
    *) echo "system-deps.sh: unknown option $arg (known: --unprivileged-ok)" >&2; exit 2 ;;
  esac
done
export DEBIAN_FRONTEND=noninteractive

need=(
  ip:iproute2
  bridge:iproute2
  sysctl:procps
  ping:iputils-ping
  ethtool:ethtool
  tcpdump:tcpdump
  python3:python3
  make:make
  g++:g++
  /usr/lib/frr/pimd:frr
  igmpproxy:igmpproxy
)

missing=()
for pair in "${need[@]}"; do
  cmd="${pair%%:*}"
  pkg="${pair#*:}"
  if [[ "$cmd" == /* ]]; then
    [ -x "$cmd" ] || missing+=("$pkg")
  elif ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" != 0 ] && [ "$unprivileged_ok" = 1 ]; then
  echo "igmpswitch: missing Debian packages (${pkgs[*]}), not installed: not root. The namespace tests that need them" \
    "will be skipped (each says why); sudo bash scripts/system-deps.sh installs them" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "igmpswitch: missing Debian packages (${pkgs[*]}); run as root (sudo) so they can be installed" >&2
  exit 1
fi
echo "igmpswitch: installing ${pkgs[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null
