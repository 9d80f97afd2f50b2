/*
 * igmpswitch packet I/O addon: shared types.
 *
 * The data plane lives in a non-growable WebAssembly.Memory. This addon keeps the raw base pointer of that
 * memory (attach()) and moves frames between AF_PACKET sockets and the frame slots in it, batch by batch:
 *
 *   receive():  epoll ports -> recvmmsg straight into slots -> fill RX descriptors   (Wasm reads them)
 *   transmit(): read the per-port TX lists Wasm wrote -> one sendmmsg per port from the same slots
 *
 * Nothing here allocates per frame or calls JavaScript per frame. Where each region lives comes from the layout
 * object given to attach(); record fields, flags and limits from the memory contract (contract.h, generated from
 * src/contract/memory.ts; docs/architecture.md, "The memory contract").
 *
 * This header is plain C with no node-api types so the socket code can be read (and reasoned about) on its
 * own; only addon.c (the bindings) and napi-util.c (its helper library) talk to node-api. native/README.md lists
 * the files.
 */
#ifndef IGS_H
#define IGS_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/socket.h>

#include "contract.h" /* IGS_MAX_PORTS, IGS_DESC_*, ... */

/*
 * PACKET_VNET_HDR prepends a struct virtio_net_hdr (10 bytes) on receive and expects one on send. The
 * descriptor reserves 12 bytes for it (room for virtio_net_hdr_mrg_rxbuf's num_buffers); we always use the
 * 10-byte form because it works on every kernel (PACKET_VNET_HDR_SZ, which allows 12, needs Linux >= 6.2)
 * and zero the last two bytes on receive.
 */
#define IGS_VNET_LEN 10
#define IGS_VNET_FIELD IGS_DESC_VNET_BYTES

/* virtio_net_hdr field offsets inside the 10-byte header (little-endian on every host we build for). */
#define IGS_VH_FLAGS 0
#define IGS_VH_GSO_TYPE 1
#define IGS_VH_HDR_LEN 2
#define IGS_VH_GSO_SIZE 4
#define IGS_VH_CSUM_START 6
#define IGS_VH_CSUM_OFFSET 8

/* TPACKET_V2 RX ring: frame size (holds a VLAN-tagged 1518-byte frame after the tpacket2_hdr and the vnet header;
 * anything longer is marked TP_STATUS_COPY and read with recvmsg) and block size (a multiple of the page size). */
#define IGS_RING_FRAME 2048
#define IGS_RING_BLOCK (64 << 10)

/* receive(): while ports are hot (drained without poll), cold ports are polled for at least every this many
 * batches even when the hot ones fill every batch: the longest a quiet port's frame waits behind a flood. */
#define IGS_DISCOVER_EVERY 4

/* sendmmsg/recvmmsg take at most UIO_MAXIOV messages per call. */
#define IGS_MMSG_MAX 1024

typedef struct igs_layout {
  uint32_t desc, desc_stride;
  uint32_t slots, slot_stride, slot_headroom;
  uint32_t slot_cap; /* bytes receivable at slot + headroom: min(slotSize, slotStride - slotHeadroom) */
  uint32_t tx_counts, tx_lists, tx_list_stride;
  uint32_t max_batch; /* number of descriptors == number of slots */
  /* Descriptor fields (byte offsets within a descriptor) and flag bits: the contract's IGS_DESC_* (set by attach()). */
  uint32_t d_offset, d_length, d_port, d_flags, d_time, d_vnet;
  uint32_t f_truncated, f_csum_partial, f_gso;
  /* AF_XDP UMEM region (xdp.c): page-aligned, umem_chunks x umem_chunk_size; umem_chunks 0 = no AF_XDP. */
  uint32_t umem, umem_chunks, umem_chunk_size;
} igs_layout;

/* Per-port counters. Plain uint64_t: only the thread that owns the addon instance touches them. */
typedef struct igs_port_stats {
  uint64_t rx_frames, rx_bytes;
  uint64_t rx_truncated;     /* frame longer than the slot (delivered cut, flag TRUNCATED) */
  uint64_t rx_vlan_restored; /* 802.1Q/802.1ad tag put back from PACKET_AUXDATA */
  uint64_t rx_gso, rx_csum_partial;
  uint64_t rx_errors;        /* recvmmsg failures other than "no data" and "link down" (e.g. EINVAL: the
                                kernel could not express an skb's GSO type in a virtio_net_hdr; frame lost) */
  uint64_t rx_down;          /* recvmmsg reported ENETDOWN/ENXIO/ENODEV (link went down / device gone) */
  uint64_t tx_frames, tx_bytes;
  uint64_t tx_drops;         /* EAGAIN/ENOBUFS: socket or device queue full; frame dropped */
  uint64_t tx_errors;        /* frame refused (EMSGSIZE, EINVAL, ...) */
  uint64_t tx_down;          /* frames not sent because the link is down / device gone */
  uint64_t tx_invalid;       /* TX list entry pointing outside the batch or outside memory (a core bug) */
  uint64_t inject_frames, inject_errors;
  uint64_t kernel_packets, kernel_drops; /* PACKET_STATISTICS, accumulated (the kernel resets on read) */
  int last_rx_errno, last_tx_errno;
  /* AF_XDP (xdp.c): frames through the XSK (also counted in rx/tx_frames), and the kernel's XDP_STATISTICS. */
  uint64_t xsk_rx_frames, xsk_tx_frames, xsk_tx_drops;
  uint64_t xsk_rx_dropped, xsk_rx_ring_full, xsk_fill_empty, xsk_tx_invalid;
} igs_port_stats;

typedef struct igs_xsk igs_xsk;
typedef struct igs_umem_pool igs_umem_pool;

typedef struct igs_port {
  int fd;    /* receives (AF_PACKET, ETH_P_ALL), in receive()'s epoll set; -1 when closed */
  int tx_fd; /* sends: an AF_PACKET socket bound with protocol 0, which receives nothing (open_tx_socket) */
  igs_xsk *xsk; /* AF_XDP socket beside the AF_PACKET one (xdp.c), NULL when the port runs AF_PACKET only */
  int ifindex;
  int mtu;
  int qdisc_bypass;
  /* TPACKET_V2 RX ring (openPort rxRing), NULL when the port uses recvmmsg. */
  uint8_t *ring;
  size_t ring_len;
  uint32_t ring_frames, ring_cur;
  char ifname[IFNAMSIZ];
  uint8_t mac[6];
  igs_port_stats st;
} igs_port;

/* How receive() found its frames (no syscall to read; for tuning and the docs' measurements). */
typedef struct igs_rx_stats {
  uint64_t polls;          /* epoll_wait() calls, blocking or not */
  uint64_t blocking_polls; /* epoll_wait() with a timeout: the thread may have slept */
  uint64_t drains;         /* receive() calls that read hot ports without polling first */
  uint64_t spins;          /* non-blocking polls of the busy-poll phase */
  uint64_t xsk_parks;      /* XSKs taken out of the epoll set while frames kept coming (igs_xsk_park) */
  /* Time the thread spent outside receive() (processing, transmit, housekeeping, or not scheduled): while it is
   * away, nobody returns buffers to the kernel (AF_XDP fill rings) or empties socket buffers. */
  uint64_t away_max_ns;    /* longest */
  uint64_t away_over_1ms;  /* how many times longer than 1 ms */
  uint64_t away_over_4ms;  /* … than 4 ms */
  uint64_t last_exit_ns;   /* when receive() last returned (0: never) */
  /* AF_XDP buffers: refills that found a port's fill ring below an eighth of its target (the kernel nearly ran
   * out), and the fewest free chunks left after a refill. */
  uint64_t fill_low;
  uint32_t free_min;
} igs_rx_stats;

typedef struct igs_ctx {
  /* Wasm memory (attach). */
  uint8_t *base;
  size_t mem_len;
  int attached;
  igs_layout L;

  igs_port ports[IGS_MAX_PORTS];

  int efd;    /* eventfd for wake-ups from other threads, -1 until wakeFd() */
  int ctl_fd; /* AF_INET/AF_UNIX datagram socket for ioctls (link state, ethtool), lazily opened */
  int nl_fd;  /* NETLINK_ROUTE socket (RTMGRP_LINK) polled by receive(), -1 unless watchLinks(true) */
  int nl_pending;
  /* What receive() waits on: an epoll set of the ports' sockets (AF_PACKET and AF_XDP), the eventfd and netlink,
   * made again at the next receive() after any of them was opened or closed (ep_dirty). One registration instead
   * of poll()'s per call: a wake-up costs the sockets that are ready, not every socket of every port (poll()
   * rescans and unhooks all of them, 20 with 9 AF_XDP ports: measured ≈ 25 µs per wake-up on this VM). */
  int epfd;
  int ep_dirty;
  /* The XSKs a blocking wait reported readable (all ports until one has): after a wake-up receive() reads only
   * their RX rings; the others are looked at by the next call (each ring read then is a cache and TLB miss). */
  uint64_t xsk_woke;
  /* XSKs taken out of the epoll set while frames keep coming (igs_xsk_park): the kernel wakes an XSK's waiters for
   * every frame it receives, on the receiving CPU; a parked XSK's ring is read from memory in every receive() anyway,
   * and goes back into the set before receive() blocks (igs_xsk_unpark_all). xsk_got: the ports whose XSK gave
   * frames to the previous receive() since the last blocking wait. */
  uint64_t xsk_parked, xsk_got;

  uint32_t rr; /* round-robin start among ready ports */
  /* Ports whose last read returned frames ("hot"): receive() reads them again without polling first. A mask, so
   * the loop finds them without walking every port's struct (after a wake-up each of those is a cache miss). */
  uint64_t hot_mask;
  igs_umem_pool *pool; /* AF_XDP chunks of the UMEM region (xdp.c), NULL when the layout has none */
  uint32_t drain_streak; /* drained batches since cold ports were last polled */
  int woken;             /* the last wait read the eventfd or saw netlink: return to the caller */
  int wake_seen;         /* the eventfd was read since the caller last asked (takeWake): its messages wait */
  uint64_t busy_poll_ns; /* most a receive() spins after the last frame (0 = block at once): igs_note_rx */
  uint64_t last_rx_ns;   /* CLOCK_MONOTONIC of the last batch with frames, 0 = do not spin (not dense, or spent) */
  uint64_t spin_ns;      /* this time's spin budget after last_rx_ns (igs_note_rx) */
  uint64_t prev_rx_ns;   /* the batch before, for the gap */
  uint64_t gap_ewma_ns;  /* recent gap between batches with frames */
  igs_rx_stats rx;

  /*
   * Scratch arrays, allocated once at attach(). RX message f always describes slot f / descriptor f, so they
   * are prebuilt and receive() only resets msg_controllen/msg_flags. TX messages are built per transmit().
   */
  struct mmsghdr *rx_msgs;
  struct iovec *rx_iov;
  uint8_t *rx_cmsg;
  size_t rx_cmsg_len; /* per message */
  struct mmsghdr *tx_msgs;
  struct iovec *tx_iov;
  uint32_t tx_cap; /* entries in tx_msgs */
} igs_ctx;

/* An error for the JS layer: which call failed, on which interface, and errno (0 = argument problem). */
typedef struct igs_err {
  int err;
  char msg[256];
} igs_err;

void igs_ctx_init(igs_ctx *c);
void igs_ctx_destroy(igs_ctx *c);

/* packet.c */
int igs_attach(igs_ctx *c, uint8_t *base, size_t len, const igs_layout *L, igs_err *e);
typedef struct igs_open_opts {
  int qdisc_bypass; /* PACKET_QDISC_BYPASS: skip the egress qdisc (no shaping, no backpressure) */
  int rcvbuf, sndbuf;
  int rx_ring; /* TPACKET_V2 RX ring instead of recvmmsg (frames larger than a ring frame still via recvmsg) */
} igs_open_opts;
/* The receive buffer capacity openPort gives a socket by default (bytes of skb truesize), from the batch size. */
uint32_t igs_default_rcvbuf(uint32_t max_batch);
int igs_open_port(igs_ctx *c, const char *ifname, int index, const igs_open_opts *o, igs_err *e);
void igs_close_port(igs_ctx *c, int index);
int igs_receive(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e);
uint32_t igs_transmit(igs_ctx *c);
int igs_inject(igs_ctx *c, uint64_t mask, const uint8_t *frame, size_t len);
int igs_wake_fd(igs_ctx *c, igs_err *e);
int igs_wake(int fd, igs_err *e);
void igs_port_stats_refresh(igs_ctx *c, int index);
uint32_t igs_now_ms(void);
/* CLOCK_MONOTONIC in ns (busy-poll budgets). */
uint64_t igs_mono_ns(void);

/*
 * A batch with frames was found at now (CLOCK_MONOTONIC; only called with busy_poll_ns > 0). Adaptive busy-poll:
 * the spin budget follows the recent gaps between batches (EWMA, weight 1/4, a gap counting at most 4 × the cap).
 * Only while arrivals are dense (typical gap ≤ busy_poll_ns) does receive() spin, for twice the typical gap (at
 * least a quarter of the cap, at most the cap) — frames every 20 µs keep the thread awake and warm; a ping every
 * 10 ms, or no traffic, costs no spinning at all, so the idle cost is bounded by the traffic, not the setting.
 */
#define IGS_GAP_MIN_NS 1000u /* two reads within one receive() (XSK and AF_PACKET) are one arrival */
static inline void igs_note_rx(igs_ctx *c, uint64_t now) {
  uint64_t cap = c->busy_poll_ns;
  if (c->prev_rx_ns && now - c->prev_rx_ns < IGS_GAP_MIN_NS) return;
  uint64_t gap = c->prev_rx_ns ? now - c->prev_rx_ns : 4 * cap;
  if (gap > 4 * cap) gap = 4 * cap;
  c->gap_ewma_ns = (3 * c->gap_ewma_ns + gap) / 4;
  c->prev_rx_ns = now;
  uint64_t spin = 2 * c->gap_ewma_ns;
  if (spin < cap / 4) spin = cap / 4;
  if (spin > cap) spin = cap;
  c->spin_ns = c->gap_ewma_ns <= cap ? spin : 0;
  c->last_rx_ns = c->spin_ns ? now : 0;
}

/*
 * Where this receive()'s busy-poll ends: the adaptive budget after the last frame (igs_note_rx), and never after the
 * caller's timeout when it gave one (timeout_ms > 0): a caller that waits a bounded time (the worker holding punted
 * frames in a storm waits at most 1 ms for more) is not kept spinning for a budget of up to busy_poll_us. A spin
 * that ends empty is followed by the blocking wait, so such a receive() returns within twice its timeout.
 */
static inline uint64_t igs_spin_until(const igs_ctx *c, int timeout_ms, uint64_t now) {
  uint64_t until = c->last_rx_ns + c->spin_ns;
  if (timeout_ms > 0 && until > now + (uint64_t)timeout_ms * 1000000u) until = now + (uint64_t)timeout_ms * 1000000u;
  return until;
}

/* process.c */
/* flock(LOCK_EX|LOCK_NB): 1 = locked, 0 = another open file description holds it, -1 = error (e set). */
int igs_try_lock(int fd, igs_err *e);
/* prctl(PR_SET_PDEATHSIG): signal this process when the thread that started it exits; 0 clears it. */
int igs_parent_death_signal(int signo, igs_err *e);
/* Pin the calling thread (only it, not the process) to one CPU. */
int igs_pin_thread(uint32_t cpu, igs_err *e);
/* Make every other thread of this process at least nice_v nice (-20..19). Returns threads changed, or -1. */
int igs_yield_other_threads(int nice_v, igs_err *e);

/* xdp.c: AF_XDP ports (docs/packet-io.md, "AF_XDP") */
enum { IGS_XDP_MODE_AUTO = 0, IGS_XDP_MODE_NATIVE = 1, IGS_XDP_MODE_GENERIC = 2 };
typedef struct igs_xsk_opts {
  int mode;      /* IGS_XDP_MODE_*: auto = native where the driver has it, generic otherwise */
  int zero_copy; /* XDP_ZEROCOPY at bind (drivers with zero-copy support only; veth has none) */
  int wire_only; /* refuse virtual devices (veth, tun/tap): local senders there leave checksums incomplete */
} igs_xsk_opts;
int igs_xsk_pool_attach(igs_ctx *c, igs_err *e);
void igs_xsk_pool_free(igs_ctx *c);
int igs_xsk_open(igs_ctx *c, int index, const igs_xsk_opts *o, igs_err *e);
void igs_xsk_close(igs_ctx *c, int index);
const char *igs_xsk_mode(const igs_ctx *c, int index);
void igs_xsk_stats_refresh(igs_ctx *c, int index);
/* receive() for a context with AF_XDP ports: XSK rings (no syscall) and the AF_PACKET sockets (igs_receive). */
int igs_receive_all(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e);
/* packet.c: take port index's XSK out of the epoll set / put every parked one back (before a blocking wait). */
void igs_xsk_park(igs_ctx *c, int index);
void igs_xsk_unpark_all(igs_ctx *c);
/* receive() as the addon calls it: igs_receive_all, with the time the caller spent away since the last call counted
 * (igs_rx_stats away_*). */
int igs_receive_timed(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e);
/* Frames wait on an XSK RX ring, or an AF_PACKET port returned frames last time: the next receive() will not wait. */
int igs_rx_pending(const igs_ctx *c);
/* Port index's AF_XDP socket, -1 if it has none (receive() waits on it too). */
int igs_xsk_fd(const igs_ctx *c, int index);
/* transmit(): 1 = the frame at off went on port pi's XSK TX ring (or was dropped there), 0 = send it by AF_PACKET. */
int igs_xsk_take(igs_ctx *c, int pi, uint32_t off, uint32_t len);
void igs_xsk_flush(igs_ctx *c, int pi);

/* ethtool.c */
int igs_ctl_fd(igs_ctx *c, igs_err *e);
typedef struct igs_link {
  int ifindex;
  int up;      /* IFF_UP && IFF_RUNNING */
  int admin_up;
  int running;
  int carrier; /* ETHTOOL_GLINK, or IFF_RUNNING when the driver has no get_link */
  int mtu;
} igs_link;
/* 1 = found, 0 = no such interface, -1 = other error (e filled). */
/* with_carrier: also ETHTOOL_GLINK (takes rtnl_lock); without it carrier = IFF_RUNNING, lock-free ioctls only. */
int igs_link_state(igs_ctx *c, const char *ifname, int with_carrier, igs_link *out, igs_err *e);

typedef struct igs_features {
  uint32_t count;
  char (*names)[32];
  uint32_t *available, *requested, *active; /* bitmaps, (count + 31) / 32 words each */
} igs_features;
int igs_features_get(igs_ctx *c, const char *ifname, igs_features *f, igs_err *e);
void igs_features_free(igs_features *f);
int igs_feature_index(const igs_features *f, const char *name);
static inline int igs_fbit(const uint32_t *bm, int i) { return (bm[i / 32] >> (i % 32)) & 1; }
/* Set features: valid/requested bitmaps of f->count bits. Returns the ETHTOOL_F_* flags (>= 0) or -1. */
int igs_features_set(igs_ctx *c, const char *ifname, const igs_features *f, const uint32_t *valid,
                     const uint32_t *requested, igs_err *e);

/* offload.c: friendly offload names (gro, tso, ...) -> groups of kernel features, and what a wish changes */
#define IGS_OFFLOAD_MEMBERS 6
typedef struct igs_offload_group {
  const char *key;
  const char *names[IGS_OFFLOAD_MEMBERS]; /* kernel feature names; the first is the one reported */
} igs_offload_group;
extern const igs_offload_group IGS_OFFLOADS[];
extern const size_t IGS_N_OFFLOADS;
const igs_offload_group *igs_offload_find(const char *key);
/* A group's state: the active bit of its first member the kernel knows; -1 when it knows none. */
int igs_offload_state(const igs_features *f, const igs_offload_group *g);
/* The feature bits a set of wishes changes (for igs_features_set); fn and ifname name the call in errors. */
typedef struct igs_feature_change {
  const char *fn, *ifname;
  uint32_t *valid, *requested; /* bitmaps of f->count bits */
  int changes;
} igs_feature_change;
int igs_feature_change_init(igs_feature_change *ch, const igs_features *f, const char *fn, const char *ifname,
                            igs_err *e);
/* Want every member of a group (members: NULL-terminated, at most IGS_OFFLOAD_MEMBERS) on or off. */
int igs_feature_change_want(igs_feature_change *ch, const igs_features *f, const char *key,
                            const char *const *members, int want, igs_err *e);
/* Write the changes (nothing when there are none). */
int igs_feature_change_apply(igs_ctx *c, const igs_features *f, const igs_feature_change *ch, igs_err *e);
void igs_feature_change_free(igs_feature_change *ch);

/* netlink.c */
int igs_watch_links(igs_ctx *c, int on, igs_err *e);
/* Drain pending link notifications: calls cb for every RTM_NEWLINK/RTM_DELLINK. Returns messages seen. */
typedef void (*igs_link_cb)(void *arg, int ifindex, const char *ifname, unsigned flags, int deleted);
int igs_drain_links(igs_ctx *c, igs_link_cb cb, void *arg);

/* helpers */
void igs_set_err(igs_err *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
