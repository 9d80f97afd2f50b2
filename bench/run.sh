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

# The ceiling: the C AF_PACKET forwarder, rebuilt when its source changed.
mkdir -p bench/bin bench/results
if [ ! -x bench/bin/cforward ] || [ bench/cforward.c -nt bench/bin/cforward ]; then
  gcc -O2 -Wall -o bench/bin/cforward bench/cforward.c
fi
# The AF_XDP ceiling: the same XDP program as the addon (native/src/xdp_prog.h).
if [ ! -x bench/bin/cxdpforward ] || [ bench/cxdpforward.c -nt bench/bin/cxdpforward ] || [ native/src/xdp_prog.h -nt bench/bin/cxdpforward ]; then
  gcc -O2 -Wall -o bench/bin/cxdpforward bench/cxdpforward.c
fi

if [ ! -f dist/daemon/run.js ]; then
  echo "bench: dist/daemon/run.js is missing; igmpswitch will be skipped (npm run build first)" >&2
fi

node --import tsx bench/e2e.ts "$@"

case " $* " in *" --help "*|*" -h "*) exit 0 ;; esac
if [ "${IGMPSWITCH_BENCH_CP:-1}" != 0 ] && [ -f dist/daemon/run.js ]; then
  # shellcheck disable=SC2086
  node --import tsx bench/control-plane-e2e.ts ${IGMPSWITCH_BENCH_CP_ARGS:-}
fi
