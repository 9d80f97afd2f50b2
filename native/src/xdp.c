/*
 * AF_XDP ports: an XSK per port whose UMEM is a region of the Wasm linear memory, so the kernel writes received
 * frames where the core reads them and sends them from there (no copy in userspace).
 *
 * Shape (docs/packet-io.md, "AF_XDP"):
 *   - The UMEM region (layout umem/umemChunks/umemChunkSize) is one pool of chunks shared by every AF_XDP port.
 *     Each port registers the same region as its own UMEM (XDP_UMEM_REG pins the pages once more per port), so a
 *     chunk received on one port can be put on any other port's TX ring by its offset: fan-out without copies.
 *   - Chunk life: free -> a port's fill ring (owner = that port) -> RX ring -> held by the batch (ref 1) ->
 *     each TX ring it is queued on (+1 each) -> completion ring (-1 each); the batch's hold is dropped at the
 *     next receive() (after transmit() and the punt copy). Ref 0 = free again.
 *   - The port's AF_PACKET socket stays open beside the XSK: the XDP program passes what a chunk cannot carry
 *     (frames longer than a chunk, TCP with its offloads) to the stack, where that socket takes it; inject()
 *     and frames from AF_PACKET slots still leave through it.
 * The XDP program and its attachment (a bpf_link: gone when the process is) are in xdp_prog.h.
 */
#define _GNU_SOURCE
#include "igs.h"
#include "xdp_prog.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct igs_xsk {
  int fd;    /* receives: RX, fill and completion rings; in receive()'s epoll set */
  int tx_fd; /* sends: TX ring only, sharing fd's buffer pool (xsk_tx_socket) */
  int map_fd, prog_fd, link_fd;
  int native; /* XDP_FLAGS_DRV_MODE attached (else SKB mode) */
  int zero_copy;
  igs_xsk_rings r;
  uint32_t tx_completed; /* completions read: tx producer - this = frames the kernel still holds */
};

struct igs_umem_pool {
  uint32_t chunks, chunk_size, shift;
  uint64_t base; /* offset of the region in Wasm memory */
  uint32_t *free_stack;
  uint32_t free_n;
  uint16_t *refs;     /* batch hold + one per TX ring the chunk sits on */
  uint8_t *owner;     /* port + 1 while the chunk is in a port's fill ring (or the kernel's pool), else 0 */
  uint32_t *held;     /* chunks the current batch holds */
  uint32_t held_n, held_cap;
  int n_xsk;
  uint64_t xsk_mask; /* ports with an XSK: the loops below visit only these */
  /* Ports whose rings need looking after: frames were taken from their RX ring (their fill ring needs topping up),
   * or queued on their TX ring (completions to collect), or a refill fell short. receive() looks after only these
   * (after a wake-up every ring it reads is a cache and TLB miss), and after all of them before it blocks. */
  uint64_t dirty;
  uint32_t rr;
  uint32_t batches; /* batches with XSK frames, for IGS_AF_PACKET_EVERY */
};

/* While the XSK rings have frames, the AF_PACKET sockets are polled every this many batches (igs_receive_all). */
#define IGS_AF_PACKET_EVERY 4

#define ld_acq igs_ld_acq
#define st_rel igs_st_rel

/* ---- pool ---- */

static inline void chunk_release(igs_umem_pool *pl, uint32_t chunk) {
  if (chunk >= pl->chunks || pl->refs[chunk] == 0) return; /* never double-free */
  if (--pl->refs[chunk] == 0) pl->free_stack[pl->free_n++] = chunk;
}

static inline uint32_t addr_chunk(const igs_umem_pool *pl, uint64_t addr) { return (uint32_t)(addr >> pl->shift); }

void igs_xsk_pool_free(igs_ctx *c) {
  igs_umem_pool *pl = c->pool;
  if (!pl) return;
  free(pl->free_stack);
  free(pl->refs);
  free(pl->owner);
  free(pl->held);
  free(pl);
  c->pool = NULL;
}

int igs_xsk_pool_attach(igs_ctx *c, igs_err *e) {
  if (c->pool && c->pool->n_xsk > 0) {
    igs_set_err(e, EBUSY, "%s", "attach: AF_XDP ports are open on the previous memory; close them first");
    return -1;
  }
  igs_xsk_pool_free(c);
  const igs_layout *L = &c->L;
  if (L->umem_chunks == 0) return 0; /* this layout has no UMEM: AF_XDP unavailable, AF_PACKET only */
  uint32_t cs = L->umem_chunk_size;
  if (cs != 2048 && cs != 4096) {
    igs_set_err(e, 0, "attach: layout.umemChunkSize must be 2048 or 4096 (AF_XDP aligned chunks), got %u", cs);
    return -1;
  }
  if ((uintptr_t)(c->base + L->umem) & 4095) {
    igs_set_err(e, 0, "attach: layout.umem (%u) is not page-aligned in memory (AF_XDP needs a page-aligned UMEM)",
                L->umem);
    return -1;
  }
  if ((uint64_t)L->umem + (uint64_t)L->umem_chunks * cs > c->mem_len) {
    igs_set_err(e, 0, "attach: UMEM region %u + %u x %u exceeds the memory (%zu bytes)", L->umem, L->umem_chunks, cs,
                c->mem_len);
    return -1;
  }
  igs_umem_pool *pl = calloc(1, sizeof *pl);
  if (!pl) goto oom;
  pl->chunks = L->umem_chunks;
  pl->chunk_size = cs;
  pl->shift = cs == 2048 ? 11 : 12;
  pl->base = L->umem;
  pl->free_stack = calloc(pl->chunks, sizeof *pl->free_stack);
  pl->refs = calloc(pl->chunks, sizeof *pl->refs);
  pl->owner = calloc(pl->chunks, 1);
  pl->held_cap = L->max_batch;
  pl->held = calloc(pl->held_cap, sizeof *pl->held);
  c->pool = pl;
  if (!pl->free_stack || !pl->refs || !pl->owner || !pl->held) goto oom;
  for (uint32_t i = 0; i < pl->chunks; i++) pl->free_stack[i] = pl->chunks - 1 - i;
  pl->free_n = pl->chunks;
  c->rx.free_min = pl->chunks;
  return 0;
oom:
  igs_xsk_pool_free(c);
  igs_set_err(e, ENOMEM, "%s", "attach: out of memory for the UMEM pool");
  return -1;
}

/* ---- rings ---- */

/* Target fill level per port: half the pool spread over the AF_XDP ports (the rest is in flight / on TX). */
static uint32_t fill_target(const igs_umem_pool *pl) {
  uint32_t t = pl->chunks / (2u * (uint32_t)(pl->n_xsk > 0 ? pl->n_xsk : 1));
  return t < IGS_XSK_RING ? t : IGS_XSK_RING;
}

/* Fill level given at open: a share no later port can be denied (half the pool over the port limit), so a port
 * receives from its first frame even before the first receive() tops every port up to fill_target. */
static uint32_t open_fill_target(const igs_umem_pool *pl) {
  uint32_t t = pl->chunks / (2u * (uint32_t)IGS_MAX_PORTS);
  uint32_t full = fill_target(pl);
  return t < full ? t : full;
}

static void refill(igs_ctx *c, int pi, igs_xsk *x, uint32_t target) {
  igs_umem_pool *pl = c->pool;
  uint32_t prod = *x->r.fill.producer;
  uint32_t queued = prod - ld_acq(x->r.fill.consumer);
  if (queued >= target) return;
  pl->dirty |= 1ull << pi; /* clean again once topped up (maintain) */
  if (prod != 0 && queued < target / 8) c->rx.fill_low++; /* prod 0: the ring's first fill, at open */
  if (pl->free_n == 0) {
    c->rx.free_min = 0;
    return;
  }
  uint32_t add = target - queued;
  if (add > pl->free_n) add = pl->free_n;
  uint64_t *ring = x->r.fill.desc;
  for (uint32_t k = 0; k < add; k++) {
    uint32_t chunk = pl->free_stack[--pl->free_n];
    pl->refs[chunk] = 1;
    pl->owner[chunk] = (uint8_t)(pi + 1);
    ring[(prod + k) & x->r.fill.mask] = (uint64_t)chunk << pl->shift;
  }
  st_rel(x->r.fill.producer, prod + add);
  if (pl->free_n < c->rx.free_min) c->rx.free_min = pl->free_n;
  /* Zero-copy drivers may sleep until told the fill ring has buffers again; copy mode never asks. */
  if (x->zero_copy && (ld_acq(x->r.fill.flags) & XDP_RING_NEED_WAKEUP)) (void)recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static void drain_completions(igs_ctx *c, igs_xsk *x) {
  igs_umem_pool *pl = c->pool;
  uint32_t cons = *x->r.comp.consumer;
  uint32_t avail = ld_acq(x->r.comp.producer) - cons;
  if (!avail) return;
  const uint64_t *ring = x->r.comp.desc;
  for (uint32_t k = 0; k < avail; k++) chunk_release(pl, addr_chunk(pl, ring[(cons + k) & x->r.comp.mask]));
  st_rel(x->r.comp.consumer, cons + avail);
  x->tx_completed += avail;
}

/* ---- open / close ---- */

/*
 * The port's sending socket: an XSK with only a TX ring, bound to the receiving socket's device and queue and
 * sharing its buffer pool (XDP_SHARED_UMEM: the same fill and completion rings, so chunk life is unchanged). Why not
 * send from the receiving socket: that one is in receive()'s epoll set for good, and every frame the kernel has
 * sent from an XSK is freed through sock_wfree, which wakes the sending socket's waiters — with an epoll entry
 * there, a wait-queue lock, ep_poll_callback and an interrupt-restore per egress frame: 5.8 % of the data-plane
 * thread's samples in fan-out (b) (perf, 2026-12-03 19:20 UTC; none for the C AF_XDP forwarder, which keeps no
 * socket in an epoll set). Nobody waits on the sending socket, so nothing is woken. Returns the fd, or -1 with errno
 * and *step set (nothing left open then).
 */
static int xsk_tx_socket(int rx_fd, int ifindex, uint32_t ring_size, igs_ring *tx, const char **step) {
  igs_xsk_rings r;
  int fd = igs_xsk_socket(NULL, 0, 0, ring_size, IGS_XSK_TX, &r, step);
  if (fd < 0) return -1;
  struct sockaddr_xdp sa;
  memset(&sa, 0, sizeof sa);
  sa.sxdp_family = AF_XDP;
  sa.sxdp_ifindex = (uint32_t)ifindex;
  sa.sxdp_queue_id = 0;
  sa.sxdp_flags = XDP_SHARED_UMEM; /* mode and need_wakeup are the pool's (the kernel refuses flags here) */
  sa.sxdp_shared_umem_fd = (uint32_t)rx_fd;
  *step = "bind (sending socket, XDP_SHARED_UMEM)";
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    igs_ring_unmap(&r.tx);
    close(fd);
    errno = err;
    return -1;
  }
  *tx = r.tx;
  return fd;
}

static const char *mode_name(int native) { return native ? "native" : "generic"; }

void igs_xsk_close(igs_ctx *c, int index) {
  if (index < 0 || index >= IGS_MAX_PORTS) return;
  igs_port *p = &c->ports[index];
  igs_xsk *x = p->xsk;
  if (!x) return;
  igs_umem_pool *pl = c->pool;
  igs_xsk_stats_refresh(c, index);
  /* Detach first (closing the link fd removes the program), then the socket: no frame is redirected to a
   * socket that is going away. */
  if (x->link_fd >= 0) close(x->link_fd);
  if (pl && x->r.tx.map && x->r.comp.map) {
    drain_completions(c, x);
    /* What is still on the TX ring or in the kernel: completions come in TX order, so they are the last
     * (producer - completed) entries we wrote. The socket is closed below; nothing will complete them. */
    uint32_t prod = *x->r.tx.producer;
    const struct xdp_desc *ring = x->r.tx.desc;
    for (uint32_t k = x->tx_completed; k != prod; k++) chunk_release(pl, addr_chunk(pl, ring[k & x->r.tx.mask].addr));
  }
  if (x->tx_fd >= 0) close(x->tx_fd);
  if (x->fd >= 0) close(x->fd);
  if (x->map_fd >= 0) close(x->map_fd);
  if (x->prog_fd >= 0) close(x->prog_fd);
  if (pl && x->r.rx.map) {
    /* Frames received but not yet taken by a batch. */
    uint32_t cons = *x->r.rx.consumer, prod = *x->r.rx.producer;
    const struct xdp_desc *ring = x->r.rx.desc;
    for (uint32_t k = cons; k != prod; k++) {
      uint32_t ch = addr_chunk(pl, ring[k & x->r.rx.mask].addr);
      if (ch < pl->chunks && pl->owner[ch] == index + 1) {
        pl->owner[ch] = 0;
        chunk_release(pl, ch);
      }
    }
  }
  if (pl) {
    /* Everything this port's fill ring (or the kernel's buffer pool behind it) still had. */
    for (uint32_t ch = 0; ch < pl->chunks; ch++)
      if (pl->owner[ch] == index + 1) {
        pl->owner[ch] = 0;
        chunk_release(pl, ch);
      }
    pl->n_xsk--;
    pl->xsk_mask &= ~(1ull << index);
    pl->dirty = pl->xsk_mask; /* the others' fill share grew */
  }
  igs_ring_unmap(&x->r.rx);
  igs_ring_unmap(&x->r.tx);
  igs_ring_unmap(&x->r.fill);
  igs_ring_unmap(&x->r.comp);
  free(x);
  p->xsk = NULL;
  c->ep_dirty = 1;
}

static int attach_prog(igs_xsk *x, int ifindex, int native) {
  x->link_fd = igs_xdp_link(x->prog_fd, ifindex, native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
  if (x->link_fd >= 0) x->native = native;
  return x->link_fd;
}

/* The driver's name (ETHTOOL_GDRVINFO), "" if unknown. */
static void driver_name(igs_ctx *c, const char *ifname, char *out, size_t cap) {
  out[0] = 0;
  igs_err e;
  int fd = igs_ctl_fd(c, &e);
  if (fd < 0) return;
  struct ethtool_drvinfo di;
  memset(&di, 0, sizeof di);
  di.cmd = ETHTOOL_GDRVINFO;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  ifr.ifr_data = (void *)&di;
  if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) snprintf(out, cap, "%s", di.driver);
}

int igs_xsk_open(igs_ctx *c, int index, const igs_xsk_opts *o, igs_err *e) {
  igs_port *p = &c->ports[index];
  igs_umem_pool *pl = c->pool;
  const char *ifn = p->ifname;
  if (p->fd < 0) {
    igs_set_err(e, 0, "openPort(%s): AF_XDP needs the port's AF_PACKET socket open first", ifn);
    return -1;
  }
  if (!pl) {
    igs_set_err(e, EOPNOTSUPP, "openPort(%s): AF_XDP: the attached layout has no UMEM region", ifn);
    return -1;
  }
  if (p->xsk) return 0;
  char drv[32];
  driver_name(c, ifn, drv, sizeof drv);
  /* A frame a local sender left CHECKSUM_PARTIAL (veth and tun/tap peers offload checksums by default) would reach
   * the XSK with only the pseudo-header sum in its checksum field, and the receiving host would drop it: the
   * virtio_net_hdr that tells AF_PACKET about it has no AF_XDP counterpart. Frames from a wire are complete. */
  if (o->wire_only && (strcmp(drv, "veth") == 0 || strcmp(drv, "tun") == 0)) {
    igs_set_err(e, EOPNOTSUPP, "openPort(%s): AF_XDP not chosen for a %s device: its local senders may leave "
                "incomplete checksums (CHECKSUM_PARTIAL) that AF_XDP cannot pass on; io af_xdp forces it (senders "
                "then need tx checksum offload off)", ifn, drv);
    return -1;
  }
  igs_xsk *x = calloc(1, sizeof *x);
  if (!x) {
    igs_set_err(e, ENOMEM, "openPort(%s): AF_XDP: out of memory", ifn);
    return -1;
  }
  x->fd = x->tx_fd = x->map_fd = x->prog_fd = x->link_fd = -1;
  p->xsk = x;
  pl->n_xsk++;
  const char *step = "";
  x->fd = igs_xsk_socket(c->base + pl->base, (uint64_t)pl->chunks * pl->chunk_size, pl->chunk_size, IGS_XSK_RING,
                         IGS_XSK_RX, &x->r, &step);
  if (x->fd < 0) goto fail;

  step = "BPF_MAP_CREATE(XSKMAP)";
  x->map_fd = igs_xskmap_create(1);
  if (x->map_fd < 0) goto fail;
  char log[2048];
  step = "BPF_PROG_LOAD";
  x->prog_fd = igs_xdp_prog_load(x->map_fd, pl->chunk_size - IGS_XDP_HEADROOM, 1, log, sizeof log);
  if (x->prog_fd < 0) {
    int err = errno;
    close(x->fd);
    x->fd = -1;
    igs_xsk_close(c, index);
    igs_set_err(e, err, "openPort(%s): AF_XDP: loading the XDP program: %s%s%.160s", ifn, strerror(err),
                log[0] ? "; verifier: " : "", log);
    return -1;
  }
  /* Native (driver) XDP where the driver has it, generic (SKB) mode otherwise; an explicit mode is not
   * substituted. EBUSY/EEXIST: another program is attached (in either mode) and is left alone.
   * Except veth under "auto": native XDP on a veth makes the kernel take TSO/GSO away from its peer (veth_xdp_set),
   * so a host's TCP arrives in MTU-sized segments (measured: 0 GSO frames, 49 vs 85 MB/s in the namespace test);
   * generic mode leaves the peer alone and its GSO super-frames reach the AF_PACKET socket whole. */
  int r = -1, err_native = 0;
  int try_native = o->mode == IGS_XDP_MODE_NATIVE || (o->mode == IGS_XDP_MODE_AUTO && strcmp(drv, "veth") != 0);
  if (try_native) {
    r = attach_prog(x, p->ifindex, 1);
    if (r < 0) err_native = errno;
  }
  if (r < 0 && o->mode != IGS_XDP_MODE_NATIVE && err_native != EBUSY && err_native != EEXIST) r = attach_prog(x, p->ifindex, 0);
  if (r < 0) {
    int err = errno;
    igs_xsk_close(c, index);
    if (err == EBUSY || err == EEXIST)
      igs_set_err(e, err, "openPort(%s): AF_XDP: another XDP program is attached to %s; igmpswitch does not replace "
                  "it (detach it with `ip link set dev %s xdp off`, or use dataplane.io af_packet for this port)",
                  ifn, ifn, ifn);
    else if (err == EINVAL && o->mode == IGS_XDP_MODE_NATIVE)
      igs_set_err(e, err, "openPort(%s): AF_XDP: native XDP refused (EINVAL: MTU too large for the driver, or no "
                  "bpf_link support: Linux >= 5.9 is needed)", ifn);
    else
      igs_set_err(e, err, "openPort(%s): AF_XDP: attaching the XDP program (%s mode): %s", ifn,
                  o->mode == IGS_XDP_MODE_NATIVE ? "native" : "generic", strerror(err));
    return -1;
  }
  /* The program is ours and attached (its map still empty: every frame goes to the stack meanwhile). */
  step = o->zero_copy ? "bind (zero-copy)" : "bind";
  if (igs_xsk_bind(x->fd, p->ifindex, o->zero_copy) < 0) goto fail;
  x->zero_copy = o->zero_copy;
  x->tx_fd = xsk_tx_socket(x->fd, p->ifindex, IGS_XSK_RING, &x->r.tx, &step);
  if (x->tx_fd < 0) goto fail;
  step = "BPF_MAP_UPDATE_ELEM(XSKMAP)";
  if (igs_xskmap_set(x->map_fd, 0, x->fd) < 0) goto fail;
  /* Only a small fill here (open_fill_target); the next receive() tops every port's ring up to the share of the
   * ports open by then. Filling at open with the share of the ports open so far (pool/2, pool/4, pool/6, ...) gave
   * the first ports most of the pool and the last ones nothing: a quiet port keeps its fill ring until frames
   * arrive, so the last ports' frames were dropped (xskFillEmpty) — seen as IPv6 neighbour discovery failing from
   * port 6 of 6. No fill at all lost frames that arrive before the first receive(). */
  refill(c, index, x, open_fill_target(c->pool));
  pl->xsk_mask |= 1ull << index;
  pl->dirty = pl->xsk_mask; /* every port's share changed: the next receive() tops them up */
  c->ep_dirty = 1;
  return 0;

fail: {
  int err = errno;
  igs_xsk_close(c, index);
  if (err == EOPNOTSUPP && o->zero_copy)
    igs_set_err(e, err, "openPort(%s): AF_XDP: the driver has no zero-copy mode (EOPNOTSUPP at bind)", ifn);
  else if (err == EBUSY && strncmp(step, "bind", 4) == 0)
    igs_set_err(e, err, "openPort(%s): AF_XDP: queue 0 of %s is taken by another AF_XDP socket", ifn, ifn);
  else if (err == EAFNOSUPPORT)
    igs_set_err(e, err, "openPort(%s): AF_XDP: the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)", ifn);
  else
    igs_set_err(e, err, "openPort(%s): AF_XDP: %s: %s", ifn, step, strerror(err));
  return -1;
}
}

const char *igs_xsk_mode(const igs_ctx *c, int index) {
  const igs_xsk *x = c->ports[index].xsk;
  if (!x) return NULL;
  return x->zero_copy ? (x->native ? "native-zerocopy" : "generic-zerocopy") : mode_name(x->native);
}

void igs_xsk_stats_refresh(igs_ctx *c, int index) {
  igs_port *p = &c->ports[index];
  if (!p->xsk) return;
  struct xdp_statistics s;
  socklen_t l = sizeof s;
  if (getsockopt(p->xsk->fd, SOL_XDP, XDP_STATISTICS, &s, &l) < 0) return;
  /* Cumulative since the socket opened (the kernel does not reset them on read). */
  p->st.xsk_rx_dropped = s.rx_dropped;
  p->st.xsk_rx_ring_full = s.rx_ring_full;
  p->st.xsk_fill_empty = s.rx_fill_ring_empty_descs;
  l = sizeof s;
  if (p->xsk->tx_fd >= 0 && getsockopt(p->xsk->tx_fd, SOL_XDP, XDP_STATISTICS, &s, &l) == 0)
    p->st.xsk_tx_invalid = s.tx_invalid_descs;
}

/* ---- receive ---- */

static uint32_t rx_ring_avail(igs_xsk *x) { return ld_acq(x->r.rx.producer) - *x->r.rx.consumer; }

/* Take up to cnt frames from port pi's RX ring into descriptors first..; the batch holds their chunks. */
static uint32_t xsk_rx_port(igs_ctx *c, int pi, uint32_t first, uint32_t cnt, uint32_t now) {
  igs_port *p = &c->ports[pi];
  igs_xsk *x = p->xsk;
  igs_umem_pool *pl = c->pool;
  const igs_layout *L = &c->L;
  uint32_t cons = *x->r.rx.consumer;
  uint32_t avail = ld_acq(x->r.rx.producer) - cons;
  if (avail > cnt) avail = cnt;
  const struct xdp_desc *ring = x->r.rx.desc;
  for (uint32_t k = 0; k < avail; k++) {
    const struct xdp_desc *xd = &ring[(cons + k) & x->r.rx.mask];
    uint32_t ch = addr_chunk(pl, xd->addr);
    uint8_t *d = c->base + L->desc + (size_t)(first + k) * L->desc_stride;
    uint32_t off = (uint32_t)(pl->base + xd->addr);
    memset(d + L->d_vnet, 0, IGS_VNET_FIELD); /* no offload state: a chunk holds a complete frame */
    memcpy(d + L->d_offset, &off, 4);
    memcpy(d + L->d_length, &xd->len, 4);
    uint16_t port = (uint16_t)pi, flags = 0;
    memcpy(d + L->d_port, &port, 2);
    memcpy(d + L->d_flags, &flags, 2);
    memcpy(d + L->d_time, &now, 4);
    p->st.rx_bytes += xd->len;
    if (ch < pl->chunks) {
      pl->owner[ch] = 0; /* now the batch's (ref 1 from refill) */
      pl->held[pl->held_n++] = ch;
    }
  }
  st_rel(x->r.rx.consumer, cons + avail);
  if (avail) pl->dirty |= 1ull << pi; /* the kernel took fill-ring buffers for these */
  p->st.rx_frames += avail;
  p->st.xsk_rx_frames += avail;
  return avail;
}

static uint32_t xsk_rx(igs_ctx *c, uint32_t first, uint32_t n, uint32_t now, uint64_t *got_mask) {
  int ready[IGS_MAX_PORTS], nr = 0;
  for (uint64_t m = c->pool->xsk_mask & c->xsk_woke; m; m &= m - 1) {
    int i = __builtin_ctzll(m);
    if (rx_ring_avail(c->ports[i].xsk)) ready[nr++] = i;
  }
  if (!nr) return 0;
  /* Fair like the AF_PACKET path: equal shares from a rotating first port, then the leftovers. */
  uint32_t filled = 0;
  int start = (int)(c->pool->rr++ % (uint32_t)nr);
  for (int j = 0; j < nr && filled < n; j++) {
    uint32_t share = (n - filled) / (uint32_t)(nr - j);
    if (!share) share = 1;
    filled += xsk_rx_port(c, ready[(start + j) % nr], first + filled, share, now);
  }
  for (int j = 0; j < nr && filled < n; j++) filled += xsk_rx_port(c, ready[(start + j) % nr], first + filled, n - filled, now);
  for (int j = 0; j < nr; j++) *got_mask |= 1ull << ready[j]; /* had frames (a full batch may have left some there) */
  return filled;
}

int igs_xsk_fd(const igs_ctx *c, int index) { return c->ports[index].xsk ? c->ports[index].xsk->fd : -1; }

/* An AF_PACKET socket returned frames last time (igs_receive reads it again without poll). */
static int af_packet_hot(const igs_ctx *c) { return c->hot_mask != 0; }

int igs_rx_pending(const igs_ctx *c) {
  if (af_packet_hot(c)) return 1;
  if (!c->pool) return 0;
  for (uint64_t m = c->pool->xsk_mask; m; m &= m - 1)
    if (rx_ring_avail(c->ports[__builtin_ctzll(m)].xsk)) return 1;
  return 0;
}

/*
 * xsk_rx, and the start of the busy-poll budget when it found frames.
 * Parking: an XSK in the epoll set has a waiter on its wait queue for good, and the kernel wakes it (wait-queue lock,
 * ep_poll_callback, interrupt-restore) for every frame it puts on the RX ring — in generic mode once per frame, on
 * the CPU that received the frame (in the benchmark the generator's: sock_def_readable and what it calls were 3.0 %
 * of both CPUs' samples during (a), 0.16 % once parked; the C AF_XDP forwarder waits in poll() only when idle). So a
 * port whose ring gave frames to two receive() calls in a row (frames keep coming) leaves the set; its ring is read
 * from memory in every call anyway, and it goes back in before receive() blocks (igs_xsk_unpark_all). A ping parks
 * nothing: its request and its reply come from different ports in consecutive calls.
 */
static int xsk_rx_batch(igs_ctx *c, uint32_t first, uint32_t n) {
  uint64_t got_mask = 0;
  uint32_t got = xsk_rx(c, first, n, igs_now_ms(), &got_mask);
  if (got && c->busy_poll_ns) igs_note_rx(c, igs_mono_ns());
  for (uint64_t m = got_mask & c->xsk_got & ~c->xsk_parked; m; m &= m - 1) igs_xsk_park(c, __builtin_ctzll(m));
  c->xsk_got = got_mask;
  return (int)got;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/*
 * Busy-poll of an AF_XDP context until `until` (igs_spin_until: the budget after the last frame, at most the
 * caller's timeout): the XSK RX rings are read from memory, no syscall, so a frame is seen within a few hundred ns instead of after the wake-up of a sleeping thread (on this
 * VM ~0.1 ms per hop). Every XSK_SPIN_SYSCALL_NS it returns 0 so the caller's epoll_wait(0) looks at the AF_PACKET sockets
 * and the eventfd too. Returns the frames now waiting on the XSK rings (0: budget spent or time to poll).
 */
#define XSK_SPIN_SYSCALL_NS 20000u
static uint32_t xsk_spin(igs_ctx *c, uint64_t until) {
  uint64_t start = igs_mono_ns();
  for (uint32_t spin = 0;; spin++) {
    uint32_t avail = 0;
    for (uint64_t m = c->pool->xsk_mask; m; m &= m - 1) avail += rx_ring_avail(c->ports[__builtin_ctzll(m)].xsk);
    if (avail) return avail;
    cpu_relax();
    if ((spin & 15) == 15) {
      uint64_t now = igs_mono_ns();
      if (now >= until) {
        c->last_rx_ns = 0; /* quiet for the whole budget: the caller blocks */
        return 0;
      }
      if (now - start >= XSK_SPIN_SYSCALL_NS) return 0;
    }
  }
}

static void kick_tx(igs_xsk *x);

/* Collect completions and top up the fill rings of the ports in mask; a port is clean again (pl->dirty) once its
 * fill ring is at its share and the kernel has completed everything queued on its TX ring. Frames a kick left on the
 * TX ring (copy mode stops at a full send buffer or a busy device) are kicked again here: the receiving socket's
 * poll resent them while it owned the TX ring (xsk_poll drives copy-mode TX); nothing polls the sending socket. */
static void maintain(igs_ctx *c, uint64_t mask) {
  igs_umem_pool *pl = c->pool;
  uint32_t target = fill_target(pl);
  for (; mask; mask &= mask - 1) {
    int i = __builtin_ctzll(mask);
    igs_xsk *x = c->ports[i].xsk;
    if (ld_acq(x->r.tx.consumer) != *x->r.tx.producer) kick_tx(x);
    drain_completions(c, x);
    refill(c, i, x, target);
    if (x->tx_completed == *x->r.tx.producer && *x->r.fill.producer - ld_acq(x->r.fill.consumer) >= target)
      pl->dirty &= ~(1ull << i);
  }
}

int igs_receive_all(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e) {
  igs_umem_pool *pl = c->pool;
  if (!pl || !pl->n_xsk || !c->attached) return igs_receive(c, max_frames, timeout_ms, e);
  /* The previous batch is done: transmit() queued what it sends (with its own references), the punts were
   * copied out. Drop the batch's hold, collect finished transmissions, give the kernel buffers again. */
  for (uint32_t k = 0; k < pl->held_n; k++) chunk_release(pl, pl->held[k]);
  pl->held_n = 0;
  maintain(c, pl->dirty);
  uint32_t avail = 0;
  for (uint64_t m = pl->xsk_mask; m; m &= m - 1) avail += rx_ring_avail(c->ports[__builtin_ctzll(m)].xsk);
  uint32_t n = max_frames < c->L.max_batch ? max_frames : c->L.max_batch;
  if (n > pl->held_cap) n = pl->held_cap;
  c->xsk_woke = ~0ull; /* narrowed by a blocking wait in igs_receive */
  /* Busy-poll after recent traffic: spin on the XSK rings, with an epoll_wait(0) of everything else now and then. */
  uint64_t spin_until = c->last_rx_ns ? igs_spin_until(c, timeout_ms, igs_mono_ns()) : 0;
  while (!avail && timeout_ms != 0 && c->busy_poll_ns && c->last_rx_ns) {
    c->rx.spins++;
    avail = xsk_spin(c, spin_until);
    if (avail || !c->last_rx_ns) break;
    int k = igs_receive(c, n, 0, e);
    if (k != 0 || c->woken) return k;
  }
  /* While the XSK rings have frames, the AF_PACKET sockets (TCP, long frames) are looked at only every
   * IGS_AF_PACKET_EVERY-th batch, which saves the wait call (a poll() of ~2 fds per port when this was measured) in the others (measured: it is a large
   * share of the per-batch cost, and batches are small when the switch keeps up), and then take at most half of
   * that batch. A hot AF_PACKET port (read without poll) is read with every batch that has room for it. */
  if (avail && (pl->batches++ % IGS_AF_PACKET_EVERY) != 0 && (avail >= n || !af_packet_hot(c)))
    return xsk_rx_batch(c, 0, n);
  /* AF_PACKET first (it fills descriptors from 0), without blocking if the XSK rings already have frames, and
   * leaving them at least half the batch so neither path can starve the other. The epoll set also holds the XSKs. */
  /* About to block: every port's rings looked after first (off the path of frames: nothing is waiting). */
  if (!avail && timeout_ms != 0) {
    maintain(c, pl->xsk_mask);
    igs_xsk_unpark_all(c);
  }
  uint32_t xsk_share = avail < n / 2 ? avail : n / 2;
  int k = igs_receive(c, n - xsk_share, avail ? 0 : timeout_ms, e);
  if (k < 0) return k;
  return k + xsk_rx_batch(c, (uint32_t)k, n - (uint32_t)k);
}

/* ---- transmit ---- */

static void kick_tx(igs_xsk *x) {
  if (x->zero_copy && !(ld_acq(x->r.tx.flags) & XDP_RING_NEED_WAKEUP)) return; /* the driver is polling anyway */
  igs_xsk_kick(x->tx_fd, &x->r.tx);
}

int igs_xsk_take(igs_ctx *c, int pi, uint32_t off, uint32_t len) {
  igs_umem_pool *pl = c->pool;
  igs_port *p = &c->ports[pi];
  igs_xsk *x = p->xsk;
  uint64_t addr = (uint64_t)off - pl->base;
  /* Only frames inside one UMEM chunk can go on the TX ring; the rest (AF_PACKET slots, GSO) use sendmmsg. */
  if (off < pl->base || addr + len > (uint64_t)pl->chunks << pl->shift || (addr >> pl->shift) != ((addr + len - 1) >> pl->shift))
    return 0;
  uint32_t prod = *x->r.tx.producer;
  if (prod - ld_acq(x->r.tx.consumer) >= x->r.tx.size) {
    drain_completions(c, x);
    kick_tx(x);
    if (prod - ld_acq(x->r.tx.consumer) >= x->r.tx.size) {
      p->st.tx_drops++;
      p->st.xsk_tx_drops++;
      return 1;
    }
  }
  struct xdp_desc *xd = &((struct xdp_desc *)x->r.tx.desc)[prod & x->r.tx.mask];
  xd->addr = addr;
  xd->len = len;
  xd->options = 0;
  st_rel(x->r.tx.producer, prod + 1);
  pl->dirty |= 1ull << pi; /* its completions are collected by maintain() */
  pl->refs[addr >> pl->shift]++;
  p->st.tx_frames++;
  p->st.tx_bytes += len;
  p->st.xsk_tx_frames++;
  return 1;
}

void igs_xsk_flush(igs_ctx *c, int pi) {
  igs_xsk *x = c->ports[pi].xsk;
  if (!x) return;
  kick_tx(x);
  drain_completions(c, x);
}
