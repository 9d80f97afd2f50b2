// cxdpforward: a minimal AF_XDP forwarder, the ceiling of the AF_XDP I/O method for bench/e2e.ts.
// Every frame received on one port is sent to every other port given on the command line (a hub, like cforward).
// It runs what the addon runs: the same hand-assembled XDP program and bpf_link (native/src/xdp_prog.h), the same
// ring sizes (2048), 2 KiB chunks in one UMEM registered on every port, copy mode, a reference count per chunk so
// one frame sits on several TX rings, and generic XDP on veth (the addon's "auto" there). The one difference: it
// has no AF_PACKET socket, so its program sends TCP to the XSK as well (the bench turns offloads off for it).
//
//   cxdpforward [-b BATCH] [-c CPU] [-m generic|native] IF1 IF2 [IF3 …]
// Prints {"event":"ready",…} once the sockets are bound; on SIGINT/SIGTERM (or SIGUSR1, without exiting) prints
// its counters as one JSON line.
//
// Build: gcc -O2 -Wall -o bench/bin/cxdpforward bench/cxdpforward.c

#define _GNU_SOURCE
#include "../native/src/xdp_prog.h"

#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>

#define MAX_PORTS 64
#define CHUNK 2048
#define CHUNKS 4096
#define CHUNK_SHIFT 11

struct port {
  const char *name;
  int ifindex, fd, map_fd, prog_fd, link_fd;
  igs_xsk_rings r;
  uint64_t rx, tx, tx_drops;
};

static struct port ports[MAX_PORTS];
static int nports;
static uint8_t *umem;
static uint32_t free_stack[CHUNKS], free_n;
static uint16_t refs[CHUNKS];
static volatile sig_atomic_t stop_flag, dump_flag;
static unsigned long long batches, polls;

static void die(const char *what, const char *ifn) {
  fprintf(stderr, "cxdpforward: %s%s%s: %s\n", what, ifn ? " " : "", ifn ? ifn : "", strerror(errno));
  exit(1);
}

static void on_signal(int sig) {
  if (sig == SIGUSR1) dump_flag = 1;
  else stop_flag = 1;
}

static void dump(const char *event) {
  unsigned long long rx = 0, tx = 0, drops = 0;
  printf("{\"event\":\"%s\",\"mode\":\"af_xdp\",\"batches\":%llu,\"polls\":%llu,\"ports\":[", event, batches, polls);
  for (int i = 0; i < nports; i++) {
    struct port *p = &ports[i];
    printf("%s{\"name\":\"%s\",\"rx\":%llu,\"tx\":%llu,\"txDrops\":%llu}", i ? "," : "", p->name,
           (unsigned long long)p->rx, (unsigned long long)p->tx, (unsigned long long)p->tx_drops);
    rx += p->rx;
    tx += p->tx;
    drops += p->tx_drops;
  }
  printf("],\"rx\":%llu,\"tx\":%llu,\"txErrors\":%llu,\"truncated\":0}\n", rx, tx, drops);
  fflush(stdout);
}

static inline void release(uint32_t chunk) {
  if (--refs[chunk] == 0) free_stack[free_n++] = chunk;
}

static void completions(struct port *p) {
  uint32_t cons = *p->r.comp.consumer, n = igs_ld_acq(p->r.comp.producer) - cons;
  const uint64_t *ring = p->r.comp.desc;
  for (uint32_t k = 0; k < n; k++) release((uint32_t)(ring[(cons + k) & p->r.comp.mask] >> CHUNK_SHIFT));
  igs_st_rel(p->r.comp.consumer, cons + n);
}

static void refill(struct port *p) {
  uint32_t target = CHUNKS / (2u * (uint32_t)nports);
  if (target > IGS_XSK_RING) target = IGS_XSK_RING;
  uint32_t prod = *p->r.fill.producer, queued = prod - igs_ld_acq(p->r.fill.consumer);
  if (queued >= target) return;
  uint32_t add = target - queued;
  if (add > free_n) add = free_n;
  uint64_t *ring = p->r.fill.desc;
  for (uint32_t k = 0; k < add; k++) {
    uint32_t chunk = free_stack[--free_n];
    refs[chunk] = 1;
    ring[(prod + k) & p->r.fill.mask] = (uint64_t)chunk << CHUNK_SHIFT;
  }
  igs_st_rel(p->r.fill.producer, prod + add);
}

static void open_port(struct port *p, int native) {
  const char *step = "";
  p->ifindex = (int)if_nametoindex(p->name);
  if (!p->ifindex) die("if_nametoindex", p->name);
  p->fd = igs_xsk_socket(umem, (uint64_t)CHUNKS * CHUNK, CHUNK, IGS_XSK_RING, &p->r, &step);
  if (p->fd < 0) die(step, p->name);
  p->map_fd = igs_xskmap_create(1);
  if (p->map_fd < 0) die("BPF_MAP_CREATE", p->name);
  char log[2048];
  p->prog_fd = igs_xdp_prog_load(p->map_fd, CHUNK - IGS_XDP_HEADROOM, 0, log, sizeof log);
  if (p->prog_fd < 0) {
    fprintf(stderr, "cxdpforward: %s\n", log);
    die("BPF_PROG_LOAD", p->name);
  }
  p->link_fd = igs_xdp_link(p->prog_fd, p->ifindex, native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
  if (p->link_fd < 0) die("BPF_LINK_CREATE", p->name);
  if (igs_xsk_bind(p->fd, p->ifindex, 0) < 0) die("bind", p->name);
  if (igs_xskmap_set(p->map_fd, 0, p->fd) < 0) die("BPF_MAP_UPDATE_ELEM", p->name);
  refill(p);
}

int main(int argc, char **argv) {
  int batch = 64, cpu = -1, native = 0, opt;
  while ((opt = getopt(argc, argv, "b:c:m:")) != -1) {
    if (opt == 'b') batch = atoi(optarg);
    else if (opt == 'c') cpu = atoi(optarg);
    else if (opt == 'm') native = strcmp(optarg, "native") == 0;
    else {
      fprintf(stderr, "usage: cxdpforward [-b BATCH] [-c CPU] [-m generic|native] IF1 IF2 [IF3 ...]\n");
      return 2;
    }
  }
  if (argc - optind < 2 || argc - optind > MAX_PORTS || batch < 1 || batch > IGS_XSK_RING) {
    fprintf(stderr, "usage: cxdpforward [-b BATCH] [-c CPU] [-m generic|native] IF1 IF2 [IF3 ...]\n");
    return 2;
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity", NULL);
  }
  umem = mmap(NULL, (size_t)CHUNKS * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (umem == MAP_FAILED) die("mmap UMEM", NULL);
  for (uint32_t i = 0; i < CHUNKS; i++) free_stack[free_n++] = CHUNKS - 1 - i;
  nports = argc - optind;
  for (int i = 0; i < nports; i++) ports[i].name = argv[optind + i];
  for (int i = 0; i < nports; i++) open_port(&ports[i], native);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  printf("{\"event\":\"ready\",\"mode\":\"af_xdp-%s\",\"batch\":%d,\"ports\":%d,\"pid\":%d}\n", native ? "native" : "generic",
         batch, nports, (int)getpid());
  fflush(stdout);

  struct pollfd pfd[MAX_PORTS];
  for (int i = 0; i < nports; i++) pfd[i] = (struct pollfd){.fd = ports[i].fd, .events = POLLIN};
  while (!stop_flag) {
    if (dump_flag) {
      dump_flag = 0;
      dump("counters");
    }
    int got_any = 0;
    for (int i = 0; i < nports; i++) {
      struct port *in = &ports[i];
      completions(in);
      refill(in);
      uint32_t cons = *in->r.rx.consumer, n = igs_ld_acq(in->r.rx.producer) - cons;
      if (!n) continue;
      if (n > (uint32_t)batch) n = (uint32_t)batch;
      got_any = 1;
      batches++;
      const struct xdp_desc *rxr = in->r.rx.desc;
      for (int q = 0; q < nports; q++) {
        if (q == i) continue;
        struct port *out = &ports[q];
        uint32_t prod = *out->r.tx.producer;
        uint32_t room = out->r.tx.size - (prod - igs_ld_acq(out->r.tx.consumer));
        struct xdp_desc *txr = out->r.tx.desc;
        uint32_t put = 0;
        for (uint32_t k = 0; k < n; k++) {
          const struct xdp_desc *d = &rxr[(cons + k) & in->r.rx.mask];
          if (put == room) {
            out->tx_drops += n - k;
            break;
          }
          txr[(prod + put) & out->r.tx.mask] = *d;
          refs[d->addr >> CHUNK_SHIFT]++;
          put++;
        }
        igs_st_rel(out->r.tx.producer, prod + put);
        out->tx += put;
        igs_xsk_kick(out->fd, &out->r.tx);
        completions(out);
      }
      for (uint32_t k = 0; k < n; k++) release((uint32_t)(rxr[(cons + k) & in->r.rx.mask].addr >> CHUNK_SHIFT));
      igs_st_rel(in->r.rx.consumer, cons + n);
      in->rx += n;
    }
    if (!got_any) {
      polls++;
      (void)poll(pfd, (nfds_t)nports, 100);
    }
  }
  dump("stopped");
  return 0;
}
