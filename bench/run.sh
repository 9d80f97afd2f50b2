#!/usr/bin/env bash
# npm run bench: the end-to-end benchmark (root; not part of the tests).
#   npm run bench                 3 repetitions, all contenders and scenarios (~15 min on 2 vCPUs)
#   npm run bench -- --quick      1 repetition, short windows
#   npm run bench -- --help       the other options (bench/e2e.ts)
# Then scenarios (f) and (g), the daemon's control plane with 10 k and 100 k IPv4, then IPv6 groups
# (bench/control-plane-e2e.ts; ~2 min). IGMPSWITCH_BENCH_CP=0 skips them; IGMPSWITCH_BENCH_CP_ARGS passes options to that script.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "npm run bench: run as root (it builds network namespaces and installs its tools): sudo npm run bench" >&2
  exit 1
fi

bash bench/setup.sh

# The ceilings: the C forwarders (bench/forwarder.c is what they share), each rebuilt when a source changed.
#   cforward     AF_PACKET
#   cxdpforward  AF_XDP, with the same XDP program as the addon (native/src/xdp_prog.h)
mkdir -p bench/bin bench/results
build_forwarder() { # NAME [EXTRA_SOURCE...]: bench/bin/NAME from bench/NAME.c and bench/forwarder.[ch]
  local name=$1 src
  shift
  for src in "bench/$name.c" bench/forwarder.c bench/forwarder.h "$@"; do
    if [ ! -x "bench/bin/$name" ] || [ "$src" -nt "bench/bin/$name" ]; then
      gcc -O2 -Wall -o "bench/bin/$name" "bench/$name.c" bench/forwarder.c
      return
    fi
  done
}
build_forwarder cforward
build_forwarder cxdpforward native/src/xdp_prog.h
# The paced load of scenario (e) (bench/pace.c: trafgen --rate sends in bursts).
if [ ! -x bench/bin/pace ] || [ bench/pace.c -nt bench/bin/pace ]; then gcc -O2 -Wall -o bench/bin/pace bench/pace.c; fi

if [ ! -f dist/daemon/run.js ]; then
  echo "bench: dist/daemon/run.js is missing; igmpswitch will be skipped (npm run build first)" >&2
fi

node --import tsx bench/e2e.ts "$@"

case " $* " in *" --help "*|*" -h "*) exit 0 ;; esac
if [ "${IGMPSWITCH_BENCH_CP:-1}" != 0 ] && [ -f dist/daemon/run.js ]; then
  # shellcheck disable=SC2086
  node --import tsx bench/control-plane-e2e.ts ${IGMPSWITCH_BENCH_CP_ARGS:-}
fi
