// forwarder.h: the scaffolding bench's C forwarders share (cforward.c: AF_PACKET, cxdpforward.c: AF_XDP), so each
// of them keeps only its I/O method: the command line (-b BATCH, -c CPU, the interfaces; each adds its own options),
// CPU pinning, the signals, the JSON lines they print, and the loop that drains every port and polls only when a
// whole pass found nothing.
//
// Every forwarder is a hub over the ports it is given: a frame received on one is sent to all the others.
// Output, one JSON object a line on stdout:
//   {"event":"ready","mode":M,"batch":B,"ports":N,"pid":P}            once the sockets are open
//   {"event":"stats"|"exit","mode":M,"batch":B,"batches":…,"polls":…,  on SIGUSR1 (without exiting) and on
//    "ports":[{"name","rx","tx","txErrors","truncated"}…],              SIGINT/SIGTERM (then it exits)
//    "rx":…,"tx":…,"txErrors":…,"truncated":…}
//
// Build: gcc -O2 -Wall -o bench/bin/NAME bench/NAME.c bench/forwarder.c (bench/run.sh)
#ifndef BENCH_FORWARDER_H
#define BENCH_FORWARDER_H

#include <stdint.h>

#define FWD_MAX_PORTS 64

// A port as the shared code sees it: the first member of each forwarder's own port struct.
typedef struct fwd_port {
  const char *name;
  int fd;          // the socket the loop polls for input
  uint64_t rx, tx; // frames received, frames sent
  uint64_t tx_err; // frames not sent (refused, or no room on the TX ring)
  uint64_t trunc;  // frames received longer than a slot, not forwarded
} fwd_port;

typedef struct fwd_state {
  const char *prog;  // the forwarder's name, for messages
  const char *usage; // its own options, for the usage line
  const char *mode;  // its I/O method, printed in every JSON line
  int batch;         // -b: frames per batch (default 64)
  int cpu;           // -c: the CPU to pin to, -1 = none
  int nports;
  char **ifnames; // the interfaces, from the command line
  fwd_port *ports[FWD_MAX_PORTS];
  uint64_t batches; // batches forwarded
  uint64_t polls;   // passes that found nothing and polled
} fwd_state;

extern fwd_state fwd;

// Print "PROG: WHAT [IFNAME]: strerror(errno)" and exit 1.
void fwd_die(const char *what, const char *ifname) __attribute__((noreturn));
// Print the usage line and exit 2.
void fwd_usage(void) __attribute__((noreturn));
// Parse the command line: -b and -c here, the letters of own_opts through own(opt, optarg) (0 = fine, -1 = usage);
// a batch of 1..max_batch and 2..FWD_MAX_PORTS interfaces; then pin to the CPU. fwd.prog and fwd.usage first.
void fwd_parse(int argc, char **argv, const char *own_opts, int max_batch, int (*own)(int opt, const char *arg));
// Once every port is open (fwd.ports[0..nports-1] set): install the signal handlers, print the ready line.
void fwd_ready(void);
// Call pass() (drain every port once; returns frames received) until SIGINT/SIGTERM, polling the ports' sockets
// for up to poll_ms when a pass found nothing; print the counters on SIGUSR1 and at the end.
void fwd_run(unsigned (*pass)(void), int poll_ms);

#endif
