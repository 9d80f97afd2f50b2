/*
 * AF_PACKET ports, batched receive into Wasm frame slots, batched transmit from the per-port TX lists.
 * See igs.h for the overall shape and docs/architecture.md for the descriptor / TX-list layout.
 */
#define _GNU_SOURCE
#include "igs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
/* Wasm linear memory and the virtio_net_hdr we get (vio_le() == host order) are both little-endian only on
 * little-endian hosts; the descriptor code below stores host-order integers into Wasm memory. */
#error "igmpswitch_packet assumes a little-endian host"
#endif

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif

/*
 * Receive buffer, bounded: a frame that finds the socket full is dropped by the kernel and counted
 * (PACKET_STATISTICS -> kernelDrops), instead of waiting behind a long queue. A full 16 MiB buffer held ~20,000
 * small frames: ~130 ms of queueing at 150 kpps. The default holds IGS_RCVBUF_BATCHES batches of small frames
 * (an skb of a minimum frame is charged ~1 KiB of truesize) but never fewer than IGS_RCVBUF_GSO_FRAMES 64 KiB GSO
 * frames (TCP through the switch). openPort's `rcvbuf` overrides it. The kernel charges truesize against twice the
 * value set (sock_setsockopt doubles it), so we set half of the wanted capacity.
 */
#define IGS_RCVBUF_BATCHES 4
#define IGS_SKB_SMALL_TRUESIZE 1024
#define IGS_RCVBUF_GSO_FRAMES 4
#define IGS_SKB_GSO_TRUESIZE (66 << 10)
#define IGS_RING_RCVBUF_GSO_FRAMES 32
#define IGS_DEFAULT_SNDBUF (4 << 20)

uint32_t igs_default_rcvbuf(uint32_t max_batch) {
  uint64_t small = (uint64_t)max_batch * IGS_RCVBUF_BATCHES * IGS_SKB_SMALL_TRUESIZE;
  uint64_t gso = (uint64_t)IGS_RCVBUF_GSO_FRAMES * IGS_SKB_GSO_TRUESIZE;
  uint64_t v = small > gso ? small : gso;
  return v > (64u << 20) ? (64u << 20) : (uint32_t)v;
}

void igs_set_err(igs_err *e, int err, const char *fmt, ...) {
  va_list ap;
  e->err = err;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

static inline void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

uint32_t igs_now_ms(void) {
  /* Coarse monotonic clock: one vDSO read per batch, ~1-4 ms resolution is plenty for FDB/MDB ageing. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void igs_ctx_init(igs_ctx *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < IGS_MAX_PORTS; i++) c->ports[i].fd = -1;
  c->efd = -1;
  c->ctl_fd = -1;
  c->nl_fd = -1;
  c->epfd = -1;
  c->ep_dirty = 1;
}

static void free_scratch(igs_ctx *c) {
  free(c->rx_msgs);
  free(c->rx_iov);
  free(c->rx_cmsg);
  free(c->tx_msgs);
  free(c->tx_iov);
  c->rx_msgs = NULL;
  c->rx_iov = NULL;
  c->rx_cmsg = NULL;
  c->tx_msgs = NULL;
  c->tx_iov = NULL;
  c->tx_cap = 0;
}

void igs_ctx_destroy(igs_ctx *c) {
  for (int i = 0; i < IGS_MAX_PORTS; i++) igs_close_port(c, i);
  if (c->efd >= 0) close(c->efd);
  if (c->ctl_fd >= 0) close(c->ctl_fd);
  if (c->nl_fd >= 0) close(c->nl_fd);
  if (c->epfd >= 0) close(c->epfd);
  c->efd = c->ctl_fd = c->nl_fd = c->epfd = -1;
  c->ep_dirty = 1;
  free_scratch(c);
  c->attached = 0;
}

/* ------------------------------------------------------------------------------------------------------ */
/* attach                                                                                                  */

static int region_ok(size_t mem_len, uint64_t off, uint64_t count, uint64_t stride, uint64_t last_len) {
  if (count == 0) return off <= mem_len;
  return off + (count - 1) * stride + last_len <= mem_len;
}

int igs_attach(igs_ctx *c, uint8_t *base, size_t len, const igs_layout *in, igs_err *e) {
  igs_layout L = *in;
  if (L.max_batch == 0 || L.max_batch > 65536) {
    igs_set_err(e, 0, "attach: layout.maxBatch must be 1..65536 (TX lists hold u16 frame indices), got %u",
                L.max_batch);
    return -1;
  }
  /* Every descriptor field must lie inside the descriptor, and the vnet field must hold a virtio_net_hdr. */
  if ((uint64_t)L.d_offset + 4 > L.desc_stride || (uint64_t)L.d_length + 4 > L.desc_stride ||
      (uint64_t)L.d_port + 2 > L.desc_stride || (uint64_t)L.d_flags + 2 > L.desc_stride ||
      (uint64_t)L.d_time + 4 > L.desc_stride || (uint64_t)L.d_vnet + IGS_VNET_FIELD > L.desc_stride) {
    igs_set_err(e, 0, "attach: a descriptor field lies outside layout.descStride (%u)", L.desc_stride);
    return -1;
  }
  if (L.f_truncated == 0 || L.f_csum_partial == 0 || L.f_gso == 0 || L.f_truncated > 0xffff ||
      L.f_csum_partial > 0xffff || L.f_gso > 0xffff) {
    igs_set_err(e, 0, "%s", "attach: descriptor flag bits must be non-zero 16-bit values");
    return -1;
  }
  /* The kernel strips 802.1Q tags into PACKET_AUXDATA; putting one back moves the MAC addresses 4 bytes left. */
  if (L.slot_headroom < 4) {
    igs_set_err(e, 0, "attach: layout.slotHeadroom must be >= 4 (VLAN tag re-insertion), got %u",
                L.slot_headroom);
    return -1;
  }
  if (L.slot_stride <= L.slot_headroom) {
    igs_set_err(e, 0, "attach: layout.slotStride (%u) must exceed slotHeadroom (%u)", L.slot_stride,
                L.slot_headroom);
    return -1;
  }
  /* slotSize may be given either as the usable size after the headroom or as the whole slot: take whichever
   * is smaller so receive() never writes past the slot. */
  if (L.slot_cap == 0 || L.slot_cap > L.slot_stride - L.slot_headroom) L.slot_cap = L.slot_stride - L.slot_headroom;
  if (L.slot_cap < 64) {
    igs_set_err(e, 0, "attach: usable slot size %u is smaller than a minimum Ethernet frame", L.slot_cap);
    return -1;
  }
  if (L.tx_list_stride < 2 || (L.tx_list_stride & 1)) {
    igs_set_err(e, 0, "attach: layout.txListStride must be a positive even number of bytes, got %u",
                L.tx_list_stride);
    return -1;
  }
  if (!region_ok(len, L.desc, L.max_batch, L.desc_stride, L.desc_stride) ||
      !region_ok(len, L.slots, L.max_batch, L.slot_stride, L.slot_stride) ||
      !region_ok(len, L.tx_counts, IGS_MAX_PORTS, IGS_TX_COUNT_BYTES, IGS_TX_COUNT_BYTES) ||
      !region_ok(len, L.tx_lists, IGS_MAX_PORTS, L.tx_list_stride, L.tx_list_stride)) {
    igs_set_err(e, 0, "attach: layout regions exceed the memory (%zu bytes): desc=%u+%ux%u slots=%u+%ux%u "
                "txCounts=%u txLists=%u+64x%u", len, L.desc, L.max_batch, L.desc_stride, L.slots, L.max_batch,
                L.slot_stride, L.tx_counts, L.tx_lists, L.tx_list_stride);
    return -1;
  }
  /* Two regions must not overlap the slots, or a received frame would overwrite descriptors / TX lists. */
  uint64_t s0 = L.slots, s1 = (uint64_t)L.slots + (uint64_t)L.max_batch * L.slot_stride;
  uint64_t d0 = L.desc, d1 = (uint64_t)L.desc + (uint64_t)L.max_batch * L.desc_stride;
  if (d0 < s1 && s0 < d1) {
    igs_set_err(e, 0, "attach: descriptor region overlaps the frame slots");
    return -1;
  }

  free_scratch(c);
  uint32_t n = L.max_batch;
  uint32_t tx_cap = L.tx_list_stride / 2;
  if (tx_cap > 65536) tx_cap = 65536;
  /* cmsg space for PACKET_AUXDATA; generous so an unexpected extra cmsg cannot truncate the one we want. */
  c->rx_cmsg_len = CMSG_SPACE(sizeof(struct tpacket_auxdata)) + 32;
  c->rx_msgs = calloc(n, sizeof *c->rx_msgs);
  c->rx_iov = calloc((size_t)n * 2, sizeof *c->rx_iov);
  c->rx_cmsg = calloc(n, c->rx_cmsg_len);
  c->tx_msgs = calloc(tx_cap, sizeof *c->tx_msgs);
  c->tx_iov = calloc((size_t)tx_cap * 2, sizeof *c->tx_iov);
  if (!c->rx_msgs || !c->rx_iov || !c->rx_cmsg || !c->tx_msgs || !c->tx_iov) {
    free_scratch(c);
    c->attached = 0;
    igs_set_err(e, ENOMEM, "attach: out of memory for %u batch entries", n);
    return -1;
  }
  c->tx_cap = tx_cap;
  c->base = base;
  c->mem_len = len;
  c->L = L;

  /* Prebuild: message f always receives into descriptor f's vnet field and slot f (+ headroom). */
  for (uint32_t f = 0; f < n; f++) {
    uint8_t *d = base + L.desc + (size_t)f * L.desc_stride;
    uint8_t *s = base + L.slots + (size_t)f * L.slot_stride + L.slot_headroom;
    c->rx_iov[2 * f].iov_base = d + L.d_vnet;
    c->rx_iov[2 * f].iov_len = IGS_VNET_LEN;
    c->rx_iov[2 * f + 1].iov_base = s;
    c->rx_iov[2 * f + 1].iov_len = L.slot_cap;
    struct msghdr *m = &c->rx_msgs[f].msg_hdr;
    m->msg_iov = &c->rx_iov[2 * f];
    m->msg_iovlen = 2;
    m->msg_control = c->rx_cmsg + (size_t)f * c->rx_cmsg_len;
  }
  c->attached = 1;
  return 0;
}

/* ------------------------------------------------------------------------------------------------------ */
/* ports                                                                                                   */

static int set_int_opt(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

/*
 * Fallback for kernels < 4.20 without PACKET_IGNORE_OUTGOING: the classic BPF filter OVS uses,
 * "drop if pkt_type == PACKET_OUTGOING, else accept everything".
 */
static int attach_outgoing_filter(int fd) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/*
 * The port's sending socket. Frames leave through a socket of their own, not the receiving one: that one is in
 * receive()'s epoll set for good, and the kernel frees every frame a packet socket sent through sock_wfree, which
 * wakes the sending socket's waiters — with an epoll entry there, a wait-queue lock, ep_poll_callback and an
 * interrupt-restore per egress frame (the same cost found on AF_XDP, xdp.c: xsk_tx_socket). Bound with protocol 0
 * it receives nothing (no receive hook). Offload header, send buffer and qdisc bypass as the port asked. Returns the
 * fd, or -1 with errno and *step set.
 */
static int open_tx_socket(int ifindex, int snd, int qdisc_bypass, const char **step) {
  *step = "socket(AF_PACKET) to send";
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  *step = "setsockopt(PACKET_VNET_HDR) (sending socket)";
  if (set_int_opt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) goto fail;
  if (set_int_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, snd) < 0) (void)set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, snd);
  *step = "setsockopt(PACKET_QDISC_BYPASS) (sending socket)";
  if (qdisc_bypass && set_int_opt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0) goto fail;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = ifindex;
  *step = "bind (sending socket)";
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail;
  return fd;
fail: {
  int err = errno;
  close(fd);
  errno = err;
  return -1;
}
}

int igs_open_port(igs_ctx *c, const char *ifname, int index, const igs_open_opts *o, igs_err *e) {
  if (index < 0 || index >= IGS_MAX_PORTS) {
    igs_set_err(e, 0, "openPort(%s): port index %d out of range 0..%d", ifname, index, IGS_MAX_PORTS - 1);
    return -1;
  }
  if (strlen(ifname) == 0 || strlen(ifname) >= IFNAMSIZ) {
    igs_set_err(e, 0, "openPort: interface name '%s' must be 1..%d characters", ifname, IFNAMSIZ - 1);
    return -1;
  }
  if (c->ports[index].fd >= 0) {
    igs_set_err(e, 0, "openPort(%s): port index %d is already open on %s", ifname, index, c->ports[index].ifname);
    return -1;
  }
  for (int i = 0; i < IGS_MAX_PORTS; i++) {
    if (c->ports[i].fd >= 0 && strcmp(c->ports[i].ifname, ifname) == 0) {
      igs_set_err(e, 0, "openPort(%s): interface is already open as port %d", ifname, i);
      return -1;
    }
  }

  /*
   * Protocol 0 at socket() time: the socket receives nothing until bind() names both the protocol and the
   * interface, so no frame from some other interface can slip in between socket() and bind().
   */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    igs_set_err(e, err, "openPort(%s): socket(AF_PACKET, SOCK_RAW): %s%s", ifname, strerror(err),
                err == EPERM ? " (needs CAP_NET_RAW)" : "");
    return -1;
  }
  const char *step;
  void *ring_map = NULL; /* unmapped again if a later step fails */
  size_t ring_map_len = 0;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  step = "SIOCGIFINDEX";
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) goto fail;
  int ifindex = ifr.ifr_ifindex;

  /* Built on the side and stored only on success: a failed open leaves the slot (and its counters) as it was. */
  igs_port np;
  igs_port *p = &np;
  memset(p, 0, sizeof *p);
  p->fd = p->tx_fd = -1;
  p->ifindex = ifindex;
  strncpy(p->ifname, ifname, IFNAMSIZ - 1);

  step = "SIOCGIFHWADDR";
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) goto fail;
  if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
    close(fd);
    igs_set_err(e, EINVAL, "openPort(%s): not an Ethernet interface (ARPHRD %d)", ifname, ifr.ifr_hwaddr.sa_family);
    return -1;
  }
  memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
  step = "SIOCGIFMTU";
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) goto fail;
  p->mtu = ifr.ifr_mtu;

  /*
   * PACKET_VNET_HDR: GSO super-frames (TSO from a local sender, GRO on the NIC) and CHECKSUM_PARTIAL frames
   * arrive whole with a virtio_net_hdr describing them; we send that header back on egress so the kernel (or
   * the egress NIC) segments / checksums. Without it the kernel would have to deliver super-frames we cannot
   * forward (OVS: "Dropped packet: Too big. GRO/TSO enabled?"). Must be set before any ring; we use none.
   */
  step = "setsockopt(PACKET_VNET_HDR)";
  if (set_int_opt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) goto fail;
  /* PACKET_AUXDATA: tells us the VLAN tag the kernel/NIC stripped, so it can be put back. */
  step = "setsockopt(PACKET_AUXDATA)";
  if (set_int_opt(fd, SOL_PACKET, PACKET_AUXDATA, 1) < 0) goto fail;
  /* Never see our own transmissions (nor anything else sent out this interface by the host). */
  if (set_int_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0) {
    step = "SO_ATTACH_FILTER (outgoing filter)";
    if (errno != ENOPROTOOPT || attach_outgoing_filter(fd) < 0) goto fail;
  }
  /* Big buffers: FORCE variants ignore rmem_max/wmem_max (we have CAP_NET_ADMIN when we can open ports at
   * all in practice); fall back to the capped variants otherwise. */
  /* With the RX ring, small frames never touch the socket buffer (the ring bounds them): it only queues the
   * whole copies of long (GSO) frames, so it can hold many of them without adding small-frame latency. */
  int rcv = o->rcvbuf > 0 ? o->rcvbuf
            : o->rx_ring ? (int)((uint64_t)IGS_RING_RCVBUF_GSO_FRAMES * IGS_SKB_GSO_TRUESIZE / 2)
                         : (int)(igs_default_rcvbuf(c->attached ? c->L.max_batch : 64) / 2);
  int snd = o->sndbuf > 0 ? o->sndbuf : IGS_DEFAULT_SNDBUF;
  if (set_int_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcv) < 0) (void)set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, rcv);

  if (o->rx_ring) {
    /*
     * TPACKET_V2 RX ring: per-frame status words, so a frame is ours as soon as the kernel wrote it (TPACKET_V3
     * hands over whole blocks, at the latest after a >= 1 ms retire timer: that is latency). Bounded like the
     * socket buffer: IGS_RCVBUF_BATCHES batches of frames; a full ring is a counted drop (PACKET_STATISTICS).
     * PACKET_COPY_THRESH: a frame longer than a ring frame (GSO) also goes to the socket queue, whole, and the
     * ring slot says TP_STATUS_COPY; receive() reads it from there with recvmsg.
     */
    uint32_t per_block = IGS_RING_BLOCK / IGS_RING_FRAME;
    uint32_t frames = (c->attached ? c->L.max_batch : 64) * IGS_RCVBUF_BATCHES;
    frames = (frames + per_block - 1) / per_block * per_block;
    step = "setsockopt(PACKET_VERSION, TPACKET_V2)";
    if (set_int_opt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2) < 0) goto fail;
    step = "setsockopt(PACKET_COPY_THRESH)";
    if (set_int_opt(fd, SOL_PACKET, PACKET_COPY_THRESH, 1) < 0) goto fail;
    struct tpacket_req req = {.tp_block_size = IGS_RING_BLOCK, .tp_block_nr = frames / per_block,
                              .tp_frame_size = IGS_RING_FRAME, .tp_frame_nr = frames};
    step = "setsockopt(PACKET_RX_RING)";
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) goto fail;
    size_t len = (size_t)IGS_RING_BLOCK * req.tp_block_nr;
    step = "mmap(PACKET_RX_RING)";
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) goto fail;
    ring_map = map;
    ring_map_len = len;
    p->ring = map;
    p->ring_len = len;
    p->ring_frames = frames;
    p->ring_cur = 0;
  }

  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  step = "bind";
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail;

  /* Promiscuous membership is tied to the socket: the kernel drops it when the socket closes, even if the
   * process crashes, so nothing needs restoring. */
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ifindex;
  mr.mr_type = PACKET_MR_PROMISC;
  step = "PACKET_ADD_MEMBERSHIP(PROMISC)";
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) goto fail;

  p->tx_fd = open_tx_socket(ifindex, snd, o->qdisc_bypass, &step);
  if (p->tx_fd < 0) goto fail;
  p->qdisc_bypass = o->qdisc_bypass != 0;

  /* Reset the kernel's PACKET_STATISTICS so our counters start at open. */
  struct tpacket_stats ks;
  socklen_t kl = sizeof ks;
  (void)getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl);

  p->fd = fd;
  c->ep_dirty = 1;
  c->ports[index] = np;
  return 0;

fail: {
  int err = errno;
  if (ring_map) munmap(ring_map, ring_map_len);
  close(fd);
  if (err == ENODEV && strcmp(step, "SIOCGIFINDEX") == 0)
    igs_set_err(e, err, "openPort(%s): no such network interface", ifname);
  else
    igs_set_err(e, err, "openPort(%s): %s: %s", ifname, step, strerror(err));
  return -1;
}
}

void igs_port_stats_refresh(igs_ctx *c, int index) {
  igs_port *p = &c->ports[index];
  if (p->fd < 0) return;
  struct tpacket_stats ks;
  socklen_t kl = sizeof ks;
  if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0) {
    /* tp_packets counts every frame queued to the socket (including the dropped ones); tp_drops those the
     * socket had no room for (SO_RCVBUF full: we were too slow). */
    p->st.kernel_packets += ks.tp_packets;
    p->st.kernel_drops += ks.tp_drops;
  }
}

void igs_close_port(igs_ctx *c, int index) {
  if (index < 0 || index >= IGS_MAX_PORTS) return;
  igs_port *p = &c->ports[index];
  if (p->fd < 0) return;
  igs_xsk_close(c, index);
  igs_port_stats_refresh(c, index); /* keep the kernel's drop count of the socket's last moments */
  if (p->ring) munmap(p->ring, p->ring_len);
  p->ring = NULL;
  close(p->tx_fd);
  close(p->fd);
  p->fd = p->tx_fd = -1;
  c->hot_mask &= ~(1ull << index);
  c->ep_dirty = 1;
}

/* ------------------------------------------------------------------------------------------------------ */
/* receive                                                                                                 */

/* Put a tag the kernel stripped back in front of the EtherType: move dst+src MAC 4 bytes left. */
static inline void restore_vlan(uint8_t *vh, uint8_t **frame, uint32_t *len, uint16_t tpid, uint16_t tci) {
  uint8_t *f = *frame;
  memmove(f - 4, f, 12);
  f -= 4;
  wr16(f + 12, htons(tpid));
  wr16(f + 14, htons(tci));
  *frame = f;
  *len += 4;
  /* The vnet header's offsets are relative to the frame start the kernel saw (untagged). */
  if (vh[IGS_VH_FLAGS] & 1 /* VIRTIO_NET_HDR_F_NEEDS_CSUM */)
    wr16(vh + IGS_VH_CSUM_START, (uint16_t)(rd16(vh + IGS_VH_CSUM_START) + 4));
  uint16_t hl = rd16(vh + IGS_VH_HDR_LEN);
  if (hl) wr16(vh + IGS_VH_HDR_LEN, (uint16_t)(hl + 4));
}

/* virtio_net_hdr gso_type values (linux/virtio_net.h), ECN bit masked off. */
#define IGS_VH_GSO_ECN 0x80
#define IGS_VH_GSO_TCPV4 1
#define IGS_VH_GSO_UDP 3
#define IGS_VH_GSO_TCPV6 4
#define IGS_VH_GSO_UDP_L4 5

/*
 * A GSO frame's vnet header tells the sending socket how much of the frame to put in the skb's linear head
 * (hdr_len, "a hint as to how much should be linear"). On receive the kernel fills in the received skb's linear
 * length, which is the whole super-frame when generic XDP linearised it (veth ports under `auto`): packet_snd()
 * then allocates the egress skb as one 64 KiB+ head, and the receiving host's TCP copies it into its queue
 * (skb_try_coalesce into that head's spare room) instead of taking its pages. Measured in bench (d) on CPU 1:
 * those copies were 7.9 % of the samples. Hand back what a virtio device says: the headers, Ethernet to the end of
 * the L4 header (csum_start is where L4 starts). Only ever lowers the value; a frame we cannot read keeps it.
 */
static inline void trim_gso_hdr_len(uint8_t *vh, const uint8_t *frame, uint32_t len) {
  if (vh[IGS_VH_GSO_TYPE] == 0 || !(vh[IGS_VH_FLAGS] & 1 /* VIRTIO_NET_HDR_F_NEEDS_CSUM */)) return;
  uint32_t l4 = rd16(vh + IGS_VH_CSUM_START), headers;
  switch (vh[IGS_VH_GSO_TYPE] & ~IGS_VH_GSO_ECN) {
  case IGS_VH_GSO_TCPV4:
  case IGS_VH_GSO_TCPV6:
    if ((uint64_t)l4 + 13 > len) return;
    headers = l4 + (uint32_t)(frame[l4 + 12] >> 4) * 4; /* TCP data offset, in 32-bit words */
    if (headers < l4 + 20) return;
    break;
  case IGS_VH_GSO_UDP:
  case IGS_VH_GSO_UDP_L4:
    headers = l4 + 8;
    break;
  default:
    return;
  }
  if (headers <= len && headers < rd16(vh + IGS_VH_HDR_LEN)) wr16(vh + IGS_VH_HDR_LEN, (uint16_t)headers);
}

static int is_down_errno(int err) { return err == ENETDOWN || err == ENXIO || err == ENODEV; }

/*
 * Fill descriptor f for a frame already in its slot at `frame` (len bytes there, `total` on the wire) whose vnet
 * header is in the descriptor: flags, counters, and a VLAN tag the kernel stripped put back.
 */
static void fill_desc(igs_ctx *c, igs_port *p, int pi, uint32_t f, uint8_t *frame, uint32_t len, uint32_t total,
                      int vlan, uint16_t tpid, uint16_t tci, uint32_t now) {
  const igs_layout *L = &c->L;
  uint8_t *d = c->base + L->desc + (size_t)f * L->desc_stride;
  uint16_t flags = 0;
  if (len < total) {
    flags |= (uint16_t)L->f_truncated;
    p->st.rx_truncated++;
  }
  uint8_t *vh = d + L->d_vnet;
  wr16(vh + IGS_VNET_LEN, 0); /* num_buffers: we use the 10-byte header */
  if (vh[IGS_VH_FLAGS] & 1) {
    flags |= (uint16_t)L->f_csum_partial;
    p->st.rx_csum_partial++;
  }
  if (vh[IGS_VH_GSO_TYPE] != 0) {
    flags |= (uint16_t)L->f_gso;
    p->st.rx_gso++;
    trim_gso_hdr_len(vh, frame, len);
  }
  if (vlan && len >= 12) {
    restore_vlan(vh, &frame, &len, tpid, tci);
    p->st.rx_vlan_restored++;
  }
  wr32(d + L->d_offset, (uint32_t)(frame - c->base));
  wr32(d + L->d_length, len);
  wr16(d + L->d_port, (uint16_t)pi);
  wr16(d + L->d_flags, flags);
  wr32(d + L->d_time, now);
  p->st.rx_bytes += len;
}

/* After recvmsg/recvmmsg into message f: length, truncation and the PACKET_AUXDATA VLAN tag; fill descriptor f. */
static void finish_msg(igs_ctx *c, igs_port *p, int pi, uint32_t f, const struct msghdr *mh, uint32_t msg_len,
                       uint32_t now) {
  const igs_layout *L = &c->L;
  uint8_t *frame = c->base + L->slots + (size_t)f * L->slot_stride + L->slot_headroom;
  uint32_t total = msg_len > IGS_VNET_LEN ? msg_len - IGS_VNET_LEN : 0;
  uint32_t len = total > L->slot_cap ? L->slot_cap : total;
  /* MSG_TRUNC without a longer length should not happen; make sure it still reads as truncated. */
  if ((mh->msg_flags & MSG_TRUNC) && total <= len) total = len + 1;
  int vlan = 0;
  uint16_t tpid = ETH_P_8021Q, tci = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh, cm)) {
    if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA ||
        cm->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
      continue;
    struct tpacket_auxdata aux;
    memcpy(&aux, CMSG_DATA(cm), sizeof aux);
    /* Old kernels set no VLAN_VALID bit and only a non-zero TCI; a priority tag (VID 0) has the bit. */
    if ((aux.tp_status & TP_STATUS_VLAN_VALID) || aux.tp_vlan_tci) {
      vlan = 1;
      tci = aux.tp_vlan_tci;
      if (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) tpid = aux.tp_vlan_tpid;
    }
  }
  fill_desc(c, p, pi, f, frame, len, total, vlan, tpid, tci, now);
}

static void count_rx_errno(igs_port *p, int err) {
  p->st.last_rx_errno = err;
  if (is_down_errno(err))
    p->st.rx_down++;
  else
    p->st.rx_errors++;
}

/* recvmmsg up to cnt frames from port pi into slots first..first+cnt-1; fill their descriptors. */
static uint32_t rx_port_mmsg(igs_ctx *c, int pi, uint32_t first, uint32_t cnt, uint32_t now) {
  igs_port *p = &c->ports[pi];
  struct mmsghdr *msgs = &c->rx_msgs[first];
  for (uint32_t i = 0; i < cnt; i++) {
    msgs[i].msg_hdr.msg_controllen = c->rx_cmsg_len;
    msgs[i].msg_hdr.msg_flags = 0;
  }
  /* MSG_TRUNC: msg_len reports the real length of a frame that did not fit, so truncation is visible. */
  int r = recvmmsg(p->fd, msgs, cnt, MSG_TRUNC | MSG_DONTWAIT, NULL);
  if (r <= 0) {
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) count_rx_errno(p, errno);
    return 0;
  }
  for (int i = 0; i < r; i++) finish_msg(c, p, pi, first + (uint32_t)i, &msgs[i].msg_hdr, msgs[i].msg_len, now);
  p->st.rx_frames += (uint64_t)r;
  return (uint32_t)r;
}

/*
 * TPACKET_V2 ring: take up to cnt frames the kernel handed over (status USER), copy each into its slot (one copy,
 * as recvmmsg makes) and give the ring frame back at once. A frame marked TP_STATUS_COPY was too long for a ring
 * frame; its whole copy waits in the socket queue, in the same order, and is read with recvmsg.
 */
static uint32_t rx_port_ring(igs_ctx *c, int pi, uint32_t first, uint32_t cnt, uint32_t now) {
  igs_port *p = &c->ports[pi];
  const igs_layout *L = &c->L;
  uint32_t got = 0;
  while (got < cnt) {
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(p->ring + (size_t)p->ring_cur * IGS_RING_FRAME);
    uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;
    uint32_t f = first + got;
    uint8_t *d = c->base + L->desc + (size_t)f * L->desc_stride;
    uint8_t *frame = c->base + L->slots + (size_t)f * L->slot_stride + L->slot_headroom;
    int ok = 1;
    if (status & TP_STATUS_COPY) {
      struct msghdr *mh = &c->rx_msgs[f].msg_hdr;
      mh->msg_controllen = c->rx_cmsg_len;
      mh->msg_flags = 0;
      ssize_t r = recvmsg(p->fd, mh, MSG_TRUNC | MSG_DONTWAIT);
      if (r < 0) {
        count_rx_errno(p, errno);
        ok = 0;
      } else {
        finish_msg(c, p, pi, f, mh, (uint32_t)r, now);
      }
    } else {
      uint8_t *mac = (uint8_t *)h + h->tp_mac;
      memcpy(d + L->d_vnet, mac - IGS_VNET_LEN, IGS_VNET_LEN);
      uint32_t len = h->tp_snaplen > L->slot_cap ? L->slot_cap : h->tp_snaplen;
      memcpy(frame, mac, len);
      int vlan = (status & TP_STATUS_VLAN_VALID) || h->tp_vlan_tci;
      uint16_t tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
      fill_desc(c, p, pi, f, frame, len, h->tp_len > len ? h->tp_len : len, vlan, tpid, h->tp_vlan_tci, now);
    }
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    p->ring_cur = p->ring_cur + 1 == p->ring_frames ? 0 : p->ring_cur + 1;
    if (ok) got++;
  }
  p->st.rx_frames += got;
  return got;
}

static uint32_t rx_port(igs_ctx *c, int pi, uint32_t first, uint32_t cnt, uint32_t now) {
  return c->ports[pi].ring ? rx_port_ring(c, pi, first, cnt, now) : rx_port_mmsg(c, pi, first, cnt, now);
}

uint64_t igs_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define mono_ns igs_mono_ns

/*
 * Read every port in ready[0..nr) into the batch, fairly: start at a rotating ready port and give each an equal
 * share of what is left; a port that filled its share may have more queued and gets the leftover in a second
 * pass. A flooding port therefore cannot starve a quiet one: in the worst case it gets n/nr frames per batch.
 * Marks each port hot (it returned frames: more are probably on the way) or cold.
 */
static uint32_t rx_ready(igs_ctx *c, const int *ready, int nr, uint32_t filled, uint32_t n, uint32_t now) {
  if (nr == 0) return filled;
  int start = (int)(c->rr++ % (uint32_t)nr);
  uint8_t more[IGS_MAX_PORTS];
  for (int j = 0; j < nr; j++) {
    uint32_t left = n - filled;
    more[j] = 0;
    if (left == 0) break;
    uint32_t share = left / (uint32_t)(nr - j);
    if (share == 0) share = 1;
    int pi = ready[(start + j) % nr];
    uint32_t got = rx_port(c, pi, filled, share, now);
    if (got > 0) c->hot_mask |= 1ull << pi;
    else c->hot_mask &= ~(1ull << pi);
    filled += got;
    more[j] = got == share;
  }
  for (int j = 0; j < nr && filled < n; j++) {
    if (!more[j]) continue;
    filled += rx_port(c, ready[(start + j) % nr], filled, n - filled, now);
  }
  return filled;
}

/* epoll tags: a port's AF_PACKET socket is its index; its AF_XDP socket, the eventfd and netlink follow. */
#define EP_TAG_XSK IGS_MAX_PORTS
#define EP_TAG_EFD (2 * IGS_MAX_PORTS)
#define EP_TAG_NL (2 * IGS_MAX_PORTS + 1)

static int ep_add(int epfd, int fd, uint32_t tag) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

void igs_xsk_park(igs_ctx *c, int index) {
  int xfd = igs_xsk_fd(c, index);
  if (c->epfd < 0 || c->ep_dirty || xfd < 0 || ((c->xsk_parked >> index) & 1)) return;
  if (epoll_ctl(c->epfd, EPOLL_CTL_DEL, xfd, NULL) == 0) {
    c->xsk_parked |= 1ull << index;
    c->rx.xsk_parks++;
  }
}

void igs_xsk_unpark_all(igs_ctx *c) {
  for (uint64_t m = c->xsk_parked; m; m &= m - 1) {
    int i = __builtin_ctzll(m);
    int xfd = igs_xsk_fd(c, i);
    /* ADD polls the socket: a ring that filled while it was out of the set makes the next epoll_wait return. A
     * failure (no memory) would leave the port unwatched while the thread sleeps: rebuild the set instead. */
    if (xfd >= 0 && ep_add(c->epfd, xfd, (uint32_t)(EP_TAG_XSK + i)) < 0 && errno != EEXIST) c->ep_dirty = 1;
  }
  c->xsk_parked = 0;
  c->xsk_got = 0;
}

/* The epoll set of every open port's sockets, the eventfd and netlink, made anew after any of them changed. */
static int ep_rebuild(igs_ctx *c, igs_err *e) {
  if (c->epfd < 0) c->epfd = epoll_create1(EPOLL_CLOEXEC);
  else {
    /* A fresh set: closed sockets leave it by themselves, but a number reused by a new socket must not be taken
     * for the old one's registration. */
    int fresh = epoll_create1(EPOLL_CLOEXEC);
    if (fresh >= 0) {
      close(c->epfd);
      c->epfd = fresh;
    }
  }
  if (c->epfd < 0) {
    int err = errno;
    igs_set_err(e, err, "receive: epoll_create1: %s", strerror(err));
    return -1;
  }
  int bad = 0;
  for (int i = 0; i < IGS_MAX_PORTS; i++) {
    if (c->ports[i].fd < 0) continue;
    bad |= ep_add(c->epfd, c->ports[i].fd, (uint32_t)i);
    int xfd = igs_xsk_fd(c, i);
    if (xfd >= 0) bad |= ep_add(c->epfd, xfd, (uint32_t)(EP_TAG_XSK + i)); /* igs_receive_all reads its rings */
  }
  if (c->efd >= 0) bad |= ep_add(c->epfd, c->efd, EP_TAG_EFD);
  if (c->nl_fd >= 0) bad |= ep_add(c->epfd, c->nl_fd, EP_TAG_NL);
  if (bad) {
    int err = errno;
    igs_set_err(e, err, "receive: epoll_ctl(EPOLL_CTL_ADD): %s", strerror(err));
    return -1;
  }
  c->ep_dirty = 0;
  c->xsk_parked = 0; /* a fresh set holds every XSK */
  c->xsk_got = 0;
  return 0;
}

/* Wait on every open port plus the eventfd and netlink socket; ready[] gets the readable AF_PACKET ports (hot ones
 * too), in port order. */
static int poll_ports(igs_ctx *c, int timeout_ms, int *ready, igs_err *e) {
  if (c->ep_dirty && ep_rebuild(c, e) < 0) return -1;
  struct epoll_event ev[2 * IGS_MAX_PORTS + 2]; /* ports, their XSKs, the eventfd and netlink */
  c->rx.polls++;
  if (timeout_ms != 0) c->rx.blocking_polls++;
  int pr = epoll_wait(c->epfd, ev, (int)(sizeof ev / sizeof ev[0]), timeout_ms);
  if (pr < 0) {
    if (errno == EINTR) return 0;
    int err = errno;
    igs_set_err(e, err, "receive: epoll_wait: %s", strerror(err));
    return -1;
  }
  int nr = 0;
  if (timeout_ms != 0) c->xsk_woke = 0;
  for (int k = 0; k < pr; k++) {
    uint32_t tag = ev[k].data.u32;
    if (timeout_ms != 0 && tag >= EP_TAG_XSK && tag < EP_TAG_XSK + IGS_MAX_PORTS) c->xsk_woke |= 1ull << (tag - EP_TAG_XSK);
    if (tag == EP_TAG_EFD) {
      uint64_t v;
      ssize_t rr = read(c->efd, &v, sizeof v); /* nonblocking eventfd: resets the counter */
      (void)rr;
      c->woken = 1;
      c->wake_seen = 1; /* sticky: a receive() that also found frames returns them, and the wake must not be lost */
    } else if (tag == EP_TAG_NL) {
      c->nl_pending = 1;
      c->woken = 1;
    } else if (tag < IGS_MAX_PORTS && c->ports[tag].fd >= 0 && (ev[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
      int j = nr++; /* insertion in port order, as the fair share rotation expects */
      while (j > 0 && ready[j - 1] > (int)tag) {
        ready[j] = ready[j - 1];
        j--;
      }
      ready[j] = (int)tag;
    }
  }
  return nr;
}

/*
 * receive(): three ways to find frames, cheapest first.
 *  1. Drain: ports that returned frames last time ("hot") are read at once, without poll; while frames keep
 *     arriving the loop costs one recvmmsg per hot port per batch. A cold port is discovered by an epoll_wait(0) when the
 *     hot ports did not fill the batch, and at least every IGS_DISCOVER_EVERY batches when they did (so a flood
 *     on one port delays a frame on another by at most that many batches).
 *  2. Busy-poll: with nothing hot, epoll_wait(0) in a loop after the last frame, for a budget that follows the recent
 *     gaps between arrivals (igs_note_rx: only while they are dense, never when idle; at most busy_poll_ns),
 *     because waking from a blocking wait costs a sleep and a wake-up.
 *  3. Block in epoll_wait(timeout_ms) (poll_ports).
 */
int igs_receive(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e) {
  if (!c->attached) {
    igs_set_err(e, 0, "receive: attach() the Wasm memory first");
    return -1;
  }
  uint32_t n = max_frames < c->L.max_batch ? max_frames : c->L.max_batch;
  if (timeout_ms < 0) timeout_ms = -1;
  c->woken = 0;
  if (n == 0) return 0;
  uint32_t now = igs_now_ms();
  int ready[IGS_MAX_PORTS];
  int nr = 0;
  for (uint64_t m = c->hot_mask; m; m &= m - 1) ready[nr++] = __builtin_ctzll(m);

  uint32_t filled = 0;
  if (nr > 0) {
    c->rx.drains++;
    filled = rx_ready(c, ready, nr, 0, n, now);
    /* Discovery: cold ports (and the eventfd/netlink) get a non-blocking epoll_wait when there is room left, and
     * at least every IGS_DISCOVER_EVERY drained batches. */
    if (filled < n || ++c->drain_streak >= IGS_DISCOVER_EVERY) {
      c->drain_streak = 0;
      int cold[IGS_MAX_PORTS];
      int nc = poll_ports(c, 0, cold, e);
      if (nc < 0) return -1;
      int k = 0;
      for (int j = 0; j < nc; j++)
        if (!((c->hot_mask >> cold[j]) & 1)) cold[k++] = cold[j];
      if (filled < n) filled = rx_ready(c, cold, k, filled, n, now);
      else /* batch full: mark them so the next call reads them first */
        for (int j = 0; j < k; j++) c->hot_mask |= 1ull << cold[j];
    }
    if (filled > 0) {
      if (c->busy_poll_ns) igs_note_rx(c, mono_ns());
      return (int)filled;
    }
    if (c->woken) return 0; /* the eventfd was read: the caller has messages (or link events) to handle */
  }

  /* Nothing hot (or the hot ports went quiet): busy-poll briefly after recent traffic, then block. */
  if (timeout_ms != 0 && c->busy_poll_ns && c->last_rx_ns) {
    uint64_t until = igs_spin_until(c, timeout_ms, mono_ns());
    for (;;) {
      c->rx.spins++;
      nr = poll_ports(c, 0, ready, e);
      if (nr < 0) return -1;
      if (nr > 0 || c->woken) break;
      if (mono_ns() >= until) break;
    }
    if (nr == 0 && !c->woken) c->last_rx_ns = 0; /* quiet for the whole budget: block next time at once */
    if (c->woken && nr == 0) return 0;
  } else {
    nr = 0;
  }
  if (nr == 0) {
    nr = poll_ports(c, timeout_ms, ready, e);
    if (nr <= 0) return nr < 0 ? -1 : 0;
  }
  now = igs_now_ms();
  filled = rx_ready(c, ready, nr, 0, n, now);
  if (filled > 0 && c->busy_poll_ns) igs_note_rx(c, mono_ns());
  return (int)filled;
}

int igs_receive_timed(igs_ctx *c, uint32_t max_frames, int timeout_ms, igs_err *e) {
  igs_rx_stats *st = &c->rx;
  if (st->last_exit_ns) {
    uint64_t away = mono_ns() - st->last_exit_ns;
    if (away > st->away_max_ns) st->away_max_ns = away;
    if (away > 1000000u) st->away_over_1ms++;
    if (away > 4000000u) st->away_over_4ms++;
  }
  int n = igs_receive_all(c, max_frames, timeout_ms, e);
  st->last_exit_ns = mono_ns();
  return n;
}

/* ------------------------------------------------------------------------------------------------------ */
/* transmit                                                                                                */

/*
 * Send msgs[0..m) on port p. sendmmsg stops at the first failing message and reports how many went out;
 * we continue after it. EAGAIN (socket buffer full) gets one short wait for POLLOUT before the rest of the
 * list is dropped; ENOBUFS means the device queue dropped that one frame, so skip it and go on (a run of
 * them drops the rest). Nothing here can loop without progress.
 */
static uint32_t send_list(igs_port *p, struct mmsghdr *msgs, uint32_t m) {
  uint32_t i = 0, sent = 0;
  int waited = 0, nobufs = 0;
  while (i < m) {
    uint32_t chunk = m - i < IGS_MMSG_MAX ? m - i : IGS_MMSG_MAX;
    int r = sendmmsg(p->tx_fd, msgs + i, chunk, MSG_DONTWAIT);
    if (r > 0) {
      /* msg_len excludes the vnet header on packet sockets; count the frame iovec instead of relying on it. */
      for (int k = 0; k < r; k++) p->st.tx_bytes += msgs[i + (uint32_t)k].msg_hdr.msg_iov[1].iov_len;
      i += (uint32_t)r;
      sent += (uint32_t)r;
      nobufs = 0;
      continue;
    }
    int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    p->st.last_tx_errno = err;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (!waited) {
        waited = 1;
        struct pollfd pf = {.fd = p->tx_fd, .events = POLLOUT};
        if (poll(&pf, 1, 1) > 0 && (pf.revents & POLLOUT)) continue;
      }
      p->st.tx_drops += m - i;
      break;
    }
    if (err == ENOBUFS) {
      p->st.tx_drops++;
      i++;
      if (++nobufs >= 8) {
        p->st.tx_drops += m - i;
        break;
      }
      continue;
    }
    if (is_down_errno(err)) {
      p->st.tx_down += m - i;
      break;
    }
    /* EMSGSIZE, EINVAL (bad vnet header), EFAULT, ...: this frame is bad; the next may be fine. */
    p->st.tx_errors++;
    i++;
  }
  p->st.tx_frames += sent;
  return sent;
}

uint32_t igs_transmit(igs_ctx *c) {
  if (!c->attached) return 0;
  const igs_layout *L = &c->L;
  uint32_t total = 0;
  uint32_t list_cap = L->tx_list_stride / 2;
  for (int pi = 0; pi < IGS_MAX_PORTS; pi++) {
    uint32_t cnt = rd32(c->base + L->tx_counts + 4u * (uint32_t)pi);
    if (cnt == 0) continue;
    igs_port *p = &c->ports[pi];
    if (p->fd < 0) continue; /* closed port: Wasm's port mask is stale for at most one batch */
    if (cnt > list_cap || cnt > c->tx_cap) {
      p->st.tx_invalid += cnt - (list_cap < c->tx_cap ? list_cap : c->tx_cap);
      cnt = list_cap < c->tx_cap ? list_cap : c->tx_cap;
    }
    const uint8_t *list = c->base + L->tx_lists + (size_t)pi * L->tx_list_stride;
    uint32_t m = 0;
    for (uint32_t k = 0; k < cnt; k++) {
      uint32_t idx = rd16(list + 2 * k);
      if (idx >= L->max_batch) {
        p->st.tx_invalid++;
        continue;
      }
      uint8_t *d = c->base + L->desc + (size_t)idx * L->desc_stride;
      uint32_t off = rd32(d + L->d_offset), len = rd32(d + L->d_length);
      /* Bounds check: a corrupt descriptor must never make us send bytes from outside Wasm memory. */
      if (len == 0 || (uint64_t)off + len > c->mem_len) {
        p->st.tx_invalid++;
        continue;
      }
      if (p->xsk && igs_xsk_take(c, pi, off, len)) continue; /* on the AF_XDP TX ring, no copy */
      struct iovec *iov = &c->tx_iov[2 * m];
      iov[0].iov_base = d + L->d_vnet;
      iov[0].iov_len = IGS_VNET_LEN;
      iov[1].iov_base = c->base + off;
      iov[1].iov_len = len;
      struct msghdr *mh = &c->tx_msgs[m].msg_hdr;
      mh->msg_name = NULL; /* bound socket: goes out its interface */
      mh->msg_namelen = 0;
      mh->msg_iov = iov;
      mh->msg_iovlen = 2;
      mh->msg_control = NULL;
      mh->msg_controllen = 0;
      mh->msg_flags = 0;
      m++;
    }
    if (p->xsk) igs_xsk_flush(c, pi);
    if (m) total += send_list(p, c->tx_msgs, m);
  }
  return total;
}

/* ------------------------------------------------------------------------------------------------------ */
/* inject: rare control-plane path                                                                         */

int igs_inject(igs_ctx *c, uint64_t mask, const uint8_t *frame, size_t len) {
  static const uint8_t zero_vnet[IGS_VNET_LEN]; /* no offload: checksums are complete, no GSO */
  int sent = 0;
  for (int pi = 0; pi < IGS_MAX_PORTS; pi++) {
    if (!((mask >> pi) & 1)) continue;
    igs_port *p = &c->ports[pi];
    if (p->fd < 0) continue;
    struct iovec iov[2] = {{(void *)zero_vnet, IGS_VNET_LEN}, {(void *)frame, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    for (int attempt = 0;; attempt++) {
      ssize_t r = sendmsg(p->tx_fd, &mh, MSG_DONTWAIT);
      if (r >= 0) {
        p->st.inject_frames++;
        sent++;
        break;
      }
      int err = errno;
      if (err == EINTR) continue;
      /* Control frames (queries, leaves) matter more than data: wait a little for room, once. */
      if ((err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) && attempt == 0) {
        struct pollfd pf = {.fd = p->tx_fd, .events = POLLOUT};
        (void)poll(&pf, 1, 10);
        continue;
      }
      p->st.inject_errors++;
      p->st.last_tx_errno = err;
      break;
    }
  }
  return sent;
}

/* ------------------------------------------------------------------------------------------------------ */
/* wake-ups                                                                                                */

int igs_wake_fd(igs_ctx *c, igs_err *e) {
  if (c->efd < 0) {
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->ep_dirty = 1;
    if (c->efd < 0) {
      int err = errno;
      igs_set_err(e, err, "wakeFd: eventfd: %s", strerror(err));
      return -1;
    }
  }
  return c->efd;
}

int igs_wake(int fd, igs_err *e) {
  /*
   * The fd number comes from JS (another thread's wakeFd()). Make sure it still is an eventfd before
   * writing 8 bytes to it: if that worker is gone and the number was reused for a file or socket, writing
   * would corrupt it.
   */
  char path[64], target[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) {
    int err = errno;
    igs_set_err(e, err, "wake(%d): not an open file descriptor: %s", fd, strerror(err));
    return -1;
  }
  target[n] = 0;
  if (strcmp(target, "anon_inode:[eventfd]") != 0) {
    igs_set_err(e, EBADF, "wake(%d): fd is not an eventfd (%s)", fd, target);
    return -1;
  }
  uint64_t one = 1;
  if (write(fd, &one, sizeof one) < 0 && errno != EAGAIN) {
    int err = errno;
    igs_set_err(e, err, "wake(%d): write: %s", fd, strerror(err));
    return -1;
  }
  return 0;
}
