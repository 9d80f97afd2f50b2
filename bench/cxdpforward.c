// cxdpforward: a minimal AF_XDP forwarder, the ceiling of the AF_XDP I/O method for bench/e2e.ts.
// Every frame received on one port is sent to every other port given on the command line (a hub, like cforward).
// It runs what the addon runs: the same hand-assembled XDP program and bpf_link (native/src/xdp_prog.h), the same
// ring sizes (2048), 2 KiB chunks in one UMEM registered on every port, copy mode, a reference count per chunk so
// one frame sits on several TX rings, and generic XDP on veth (the addon's "auto" there). The one difference: it
// has no AF_PACKET socket, so its program sends TCP to the XSK as well (the bench turns offloads off for it).
//
// The command line, output and main loop are bench/forwarder.h's; this file is the I/O method.
//
//   cxdpforward [-b BATCH] [-c CPU] [-m generic|native] IF1 IF2 [IF3 …]
//
// Build: gcc -O2 -Wall -o bench/bin/cxdpforward bench/cxdpforward.c bench/forwarder.c

#define _GNU_SOURCE
#include "../native/src/xdp_prog.h"

#include <net/if.h>
#include <stdlib.h>
#include <unistd.h>

#include "forwarder.h"

#define CHUNK 2048
#define CHUNKS 4096
#define CHUNK_SHIFT 11

struct port {
  fwd_port f; /* name, the XSK, counters (tx_err: no room on the TX ring) */
  int ifindex, map_fd, prog_fd, link_fd;
  igs_xsk_rings r;
};

static struct port ports[FWD_MAX_PORTS];
static int native;
static uint8_t *umem;
static uint32_t free_stack[CHUNKS], free_n;
static uint16_t refs[CHUNKS];

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
  uint32_t target = CHUNKS / (2u * (uint32_t)fwd.nports);
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

static void open_port(struct port *p) {
  const char *step = "";
  p->ifindex = (int)if_nametoindex(p->f.name);
  if (!p->ifindex) fwd_die("if_nametoindex", p->f.name);
  p->f.fd = igs_xsk_socket(umem, (uint64_t)CHUNKS * CHUNK, CHUNK, IGS_XSK_RING, IGS_XSK_RX | IGS_XSK_TX, &p->r, &step);
  if (p->f.fd < 0) fwd_die(step, p->f.name);
  p->map_fd = igs_xskmap_create(1);
  if (p->map_fd < 0) fwd_die("BPF_MAP_CREATE", p->f.name);
  char log[2048];
  p->prog_fd = igs_xdp_prog_load(p->map_fd, CHUNK - IGS_XDP_HEADROOM, 0, log, sizeof log);
  if (p->prog_fd < 0) {
    fprintf(stderr, "cxdpforward: %s\n", log);
    fwd_die("BPF_PROG_LOAD", p->f.name);
  }
  p->link_fd = igs_xdp_link(p->prog_fd, p->ifindex, native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
  if (p->link_fd < 0) fwd_die("BPF_LINK_CREATE", p->f.name);
  /* EBUSY: the queue may still be bound by the socket of the previous run on these ports (the kernel releases a
   * closed XSK's buffer pool from a work queue, after close() returned); e2e.ts restarts us with more ports at once. */
  for (int tries = 0; igs_xsk_bind(p->f.fd, p->ifindex, 0) < 0; tries++) {
    if (errno != EBUSY || tries >= 100) fwd_die("bind", p->f.name);
    usleep(20000);
  }
  if (igs_xskmap_set(p->map_fd, 0, p->f.fd) < 0) fwd_die("BPF_MAP_UPDATE_ELEM", p->f.name);
  refill(p);
}

/* Drain every port once: each RX ring's frames onto every other port's TX ring, by reference (no copy). */
static unsigned pass(void) {
  unsigned got = 0;
  for (int i = 0; i < fwd.nports; i++) {
    struct port *in = &ports[i];
    completions(in);
    refill(in);
    uint32_t cons = *in->r.rx.consumer, n = igs_ld_acq(in->r.rx.producer) - cons;
    if (!n) continue;
    if (n > (uint32_t)fwd.batch) n = (uint32_t)fwd.batch;
    got += n;
    fwd.batches++;
    const struct xdp_desc *rxr = in->r.rx.desc;
    for (int q = 0; q < fwd.nports; q++) {
      if (q == i) continue;
      struct port *out = &ports[q];
      uint32_t prod = *out->r.tx.producer;
      uint32_t room = out->r.tx.size - (prod - igs_ld_acq(out->r.tx.consumer));
      struct xdp_desc *txr = out->r.tx.desc;
      uint32_t put = 0;
      for (uint32_t k = 0; k < n; k++) {
        const struct xdp_desc *d = &rxr[(cons + k) & in->r.rx.mask];
        if (put == room) {
          out->f.tx_err += n - k;
          break;
        }
        txr[(prod + put) & out->r.tx.mask] = *d;
        refs[d->addr >> CHUNK_SHIFT]++;
        put++;
      }
      igs_st_rel(out->r.tx.producer, prod + put);
      out->f.tx += put;
      igs_xsk_kick(out->f.fd, &out->r.tx);
      completions(out);
    }
    for (uint32_t k = 0; k < n; k++) release((uint32_t)(rxr[(cons + k) & in->r.rx.mask].addr >> CHUNK_SHIFT));
    igs_st_rel(in->r.rx.consumer, cons + n);
    in->f.rx += n;
  }
  return got;
}

static int option(int opt, const char *arg) {
  if (opt != 'm') return -1;
  native = strcmp(arg, "native") == 0;
  return 0;
}

int main(int argc, char **argv) {
  fwd.prog = "cxdpforward";
  fwd.usage = "[-m generic|native]";
  fwd_parse(argc, argv, "m:", IGS_XSK_RING, option);
  fwd.mode = native ? "af_xdp-native" : "af_xdp-generic";
  umem = mmap(NULL, (size_t)CHUNKS * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (umem == MAP_FAILED) fwd_die("mmap UMEM", NULL);
  for (uint32_t i = 0; i < CHUNKS; i++) free_stack[free_n++] = CHUNKS - 1 - i;
  for (int i = 0; i < fwd.nports; i++) ports[i].f.name = fwd.ifnames[i];
  for (int i = 0; i < fwd.nports; i++) {
    open_port(&ports[i]);
    fwd.ports[i] = &ports[i].f;
  }
  fwd_ready();
  fwd_run(pass, 100);
  return 0;
}
