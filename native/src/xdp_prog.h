/*
 * The XDP program that hands a port's frames to its AF_XDP socket, hand-assembled and loaded with the bpf()
 * syscall, and the bpf_link that attaches it. Shared by the addon (xdp.c) and the C AF_XDP forwarder of the
 * benchmark (bench/cxdpforward.c), so both run the same program.
 *
 * Why hand-assembled: ~30 instructions need no clang, libbpf or libxdp on the machine (none is installed by a fresh
 * Debian), and nothing to ship besides the addon. Why a bpf_link (BPF_LINK_CREATE, Linux >= 5.9) and not the
 * netlink IFLA_XDP attachment: the kernel detaches a link's program when the last file descriptor of the link
 * closes, which happens when the process exits in any way, kill -9 included, so no program can stay behind; and
 * creating a link fails with EBUSY/EEXIST when any other program is attached, so we never replace one silently.
 *
 * The program (r1 = struct xdp_md *):
 *   frame longer than max_len               -> XDP_PASS  (to the stack: the port's AF_PACKET socket takes it;
 *                                                        GSO/GRO super-frames, jumbo frames)
 *   TCP over IPv4/IPv6 (optionally 1 VLAN tag) -> XDP_PASS (offloads: TSO/GRO super-frames and CHECKSUM_PARTIAL
 *                                                        need the virtio_net_hdr that only AF_PACKET carries)
 *   everything else                         -> bpf_redirect_map(xskmap, rx_queue_index, XDP_PASS)
 *                                              (a queue without a socket falls back to the stack)
 * This is plain C with no node-api, usable from any program.
 */
#ifndef IGS_XDP_PROG_H
#define IGS_XDP_PROG_H

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef BPF_XDP
#define BPF_XDP 37
#endif

/* XDP_PACKET_HEADROOM: in copy mode the kernel writes a received frame this far into its UMEM chunk. */
#define IGS_XDP_HEADROOM 256

static inline long igs_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

/* An XSKMAP with `entries` slots (one per RX queue); returns the map fd or -1 (errno set). */
static inline int igs_xskmap_create(uint32_t entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = entries;
  strncpy(a.map_name, "igs_xsks", sizeof a.map_name - 1);
  return (int)igs_bpf(BPF_MAP_CREATE, &a);
}

static inline int igs_xskmap_set(int map_fd, uint32_t queue, int xsk_fd) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  uint32_t value = (uint32_t)xsk_fd;
  a.map_fd = (uint32_t)map_fd;
  a.key = (uint64_t)(uintptr_t)&queue;
  a.value = (uint64_t)(uintptr_t)&value;
  a.flags = BPF_ANY;
  return (int)igs_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

/* ---- a tiny assembler: jumps name a label, resolved once the program is complete ---- */
enum { IGS_L_PASS, IGS_L_REDIRECT, IGS_L_VLAN, IGS_L_V4, IGS_L_V6, IGS_L_VV4, IGS_L_VV6, IGS_L_COUNT };
typedef struct igs_asm {
  struct bpf_insn insn[64];
  int n;
  int label[IGS_L_COUNT];
  int jump_label[64]; /* -1: not a jump to a label */
} igs_asm;

static inline void igs_emit(igs_asm *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm, int to) {
  struct bpf_insn *i = &a->insn[a->n];
  memset(i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
  a->jump_label[a->n] = to;
  a->n++;
}
#define IGS_LDX(a, size, dst, src, off) igs_emit(a, BPF_LDX | BPF_MEM | (size), dst, src, off, 0, -1)
#define IGS_MOV_REG(a, dst, src) igs_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0, -1)
#define IGS_MOV_IMM(a, dst, imm) igs_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm, -1)
#define IGS_ADD_IMM(a, dst, imm) igs_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm, -1)
#define IGS_JMP_REG(a, op, dst, src, to) igs_emit(a, BPF_JMP | (op) | BPF_X, dst, src, 0, 0, to)
#define IGS_JMP_IMM(a, op, dst, imm, to) igs_emit(a, BPF_JMP | (op) | BPF_K, dst, 0, 0, imm, to)
#define IGS_JA(a, to) igs_emit(a, BPF_JMP | BPF_JA, 0, 0, 0, 0, to)
#define IGS_LABEL(a, l) ((a)->label[l] = (a)->n)

/* Ethernet/IP offsets the program reads (IEEE 802.3 header 14 bytes, 802.1Q tag 4; RFC 791 protocol at +9, RFC 8200
 * next header at +6). Loads are little-endian, so EtherTypes are compared byte-swapped. */
#define IGS_ETH_TYPE 12
#define IGS_ETH_HLEN 14
#define IGS_VLAN_HLEN 4
#define IGS_LE_ETH_IPV4 0x0008  /* 0x0800 */
#define IGS_LE_ETH_IPV6 0xdd86  /* 0x86dd */
#define IGS_LE_ETH_8021Q 0x0081 /* 0x8100 */
#define IGS_LE_ETH_8021AD 0xa888 /* 0x88a8 */
#define IGS_IPPROTO_TCP 6

/*
 * Load the program; returns its fd or -1 with errno set and the verifier's words in log (if given).
 * max_len: longest frame that goes to the socket (chunk size minus IGS_XDP_HEADROOM). pass_tcp: TCP to the stack
 * (the addon, whose AF_PACKET socket carries TCP's offloads); 0 for a forwarder without an AF_PACKET path.
 */
static inline int igs_xdp_prog_load(int map_fd, uint32_t max_len, int pass_tcp, char *log, size_t log_len) {
  igs_asm A, *a = &A;
  memset(a, 0, sizeof *a);
  /* r1 = ctx (kept), r2 = data, r3 = data_end */
  IGS_LDX(a, BPF_W, 2, 1, offsetof(struct xdp_md, data));
  IGS_LDX(a, BPF_W, 3, 1, offsetof(struct xdp_md, data_end));
  /* if (data + max_len + 1 <= data_end) the frame does not fit a chunk: pass */
  IGS_MOV_REG(a, 4, 2);
  IGS_ADD_IMM(a, 4, (int32_t)max_len + 1);
  IGS_JMP_REG(a, BPF_JLE, 4, 3, IGS_L_PASS);
  if (pass_tcp) { /* (without it the TCP tests would be unreachable code, which the verifier refuses) */
    /* Reads below go up to byte 14 + 4 + 9 = 27: one bounds check of 28 bytes covers them all. */
    IGS_MOV_REG(a, 4, 2);
    IGS_ADD_IMM(a, 4, IGS_ETH_HLEN + IGS_VLAN_HLEN + 10);
    IGS_JMP_REG(a, BPF_JGT, 4, 3, IGS_L_REDIRECT);
    IGS_LDX(a, BPF_H, 5, 2, IGS_ETH_TYPE);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_IPV4, IGS_L_V4);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_IPV6, IGS_L_V6);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_8021Q, IGS_L_VLAN);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_8021AD, IGS_L_VLAN);
    IGS_JA(a, IGS_L_REDIRECT);
    IGS_LABEL(a, IGS_L_V4);
    IGS_LDX(a, BPF_B, 5, 2, IGS_ETH_HLEN + 9);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_IPPROTO_TCP, IGS_L_PASS);
    IGS_JA(a, IGS_L_REDIRECT);
    IGS_LABEL(a, IGS_L_V6);
    IGS_LDX(a, BPF_B, 5, 2, IGS_ETH_HLEN + 6);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_IPPROTO_TCP, IGS_L_PASS);
    IGS_JA(a, IGS_L_REDIRECT);
    IGS_LABEL(a, IGS_L_VLAN);
    IGS_LDX(a, BPF_H, 5, 2, IGS_ETH_TYPE + IGS_VLAN_HLEN);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_IPV4, IGS_L_VV4);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_LE_ETH_IPV6, IGS_L_VV6);
    IGS_JA(a, IGS_L_REDIRECT);
    IGS_LABEL(a, IGS_L_VV4);
    IGS_LDX(a, BPF_B, 5, 2, IGS_ETH_HLEN + IGS_VLAN_HLEN + 9);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_IPPROTO_TCP, IGS_L_PASS);
    IGS_JA(a, IGS_L_REDIRECT);
    IGS_LABEL(a, IGS_L_VV6);
    IGS_LDX(a, BPF_B, 5, 2, IGS_ETH_HLEN + IGS_VLAN_HLEN + 6);
    IGS_JMP_IMM(a, BPF_JEQ, 5, IGS_IPPROTO_TCP, IGS_L_PASS);
  }
  /* redirect: bpf_redirect_map(&xskmap, ctx->rx_queue_index, XDP_PASS) */
  IGS_LABEL(a, IGS_L_REDIRECT);
  IGS_LDX(a, BPF_W, 2, 1, offsetof(struct xdp_md, rx_queue_index));
  igs_emit(a, BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd, -1);
  igs_emit(a, 0, 0, 0, 0, 0, -1); /* second half of the 64-bit immediate */
  IGS_MOV_IMM(a, 3, XDP_PASS);
  igs_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map, -1);
  igs_emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0, -1);
  IGS_LABEL(a, IGS_L_PASS);
  IGS_MOV_IMM(a, 0, XDP_PASS);
  igs_emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0, -1);
  for (int k = 0; k < a->n; k++)
    if (a->jump_label[k] >= 0) a->insn[k].off = (int16_t)(a->label[a->jump_label[k]] - (k + 1));

  union bpf_attr at;
  memset(&at, 0, sizeof at);
  at.prog_type = BPF_PROG_TYPE_XDP;
  at.expected_attach_type = BPF_XDP;
  at.insns = (uint64_t)(uintptr_t)a->insn;
  at.insn_cnt = (uint32_t)a->n;
  at.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  strncpy(at.prog_name, "igs_xsk", sizeof at.prog_name - 1);
  int fd = (int)igs_bpf(BPF_PROG_LOAD, &at);
  if (fd < 0 && log && log_len) {
    int err = errno;
    log[0] = 0;
    at.log_buf = (uint64_t)(uintptr_t)log;
    at.log_size = (uint32_t)log_len;
    at.log_level = 1;
    (void)igs_bpf(BPF_PROG_LOAD, &at);
    errno = err;
  }
  return fd;
}

/* Attach prog_fd to ifindex as a bpf_link in XDP mode xdp_flags (XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE).
 * Returns the link fd (closing it detaches) or -1 with errno: EBUSY/EEXIST = another program is attached. */
static inline int igs_xdp_link(int prog_fd, int ifindex, uint32_t xdp_flags) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)prog_fd;
  a.link_create.target_ifindex = (uint32_t)ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = xdp_flags;
  return (int)igs_bpf(BPF_LINK_CREATE, &a);
}

/* ---- the AF_XDP socket: UMEM registration and the four rings (used by xdp.c and the bench forwarder) ---- */
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* Linux >= 6.17; not in older headers */
#endif
/* The copy-mode TX budget asked for: the largest batch (dataplane.batch <= 256), so one sendto() sends a port's whole
 * list, while one call stays bounded (each frame runs the receiver's softirq inside it on veth). */
#define IGS_XSK_TX_BUDGET_MAX 256

typedef struct igs_ring {
  uint32_t *producer, *consumer, *flags;
  void *desc;
  uint32_t mask, size;
  void *map;
  size_t map_len;
} igs_ring;

static inline void igs_ring_unmap(igs_ring *r) {
  if (r->map && r->map != MAP_FAILED) munmap(r->map, r->map_len);
  memset(r, 0, sizeof *r);
}

static inline int igs_ring_map(int fd, igs_ring *r, const struct xdp_ring_offset *o, uint32_t size, size_t entry,
                               off_t pgoff) {
  r->map_len = o->desc + (size_t)size * entry;
  r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (r->map == MAP_FAILED) {
    r->map = NULL;
    return -1;
  }
  uint8_t *m = r->map;
  r->producer = (uint32_t *)(m + o->producer);
  r->consumer = (uint32_t *)(m + o->consumer);
  r->flags = (uint32_t *)(m + o->flags);
  r->desc = m + o->desc;
  r->size = size;
  r->mask = size - 1;
  return 0;
}

typedef struct igs_xsk_rings {
  igs_ring rx, tx, fill, comp;
} igs_xsk_rings;

/* Copy mode sends at most a budget of frames per sendto() (32 by default); since Linux 6.17 it can be raised (up to
 * the TX ring's size), so one kick sends a whole batch: half the sendto() calls at batch 64 (measured in fan-out).
 * Older kernels refuse the option: they keep 32 and igs_xsk_kick loops. */
static inline void igs_xsk_tx_budget(int fd, uint32_t ring_size) {
  int budget = (int)(ring_size < IGS_XSK_TX_BUDGET_MAX ? ring_size : IGS_XSK_TX_BUDGET_MAX);
  (void)setsockopt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget);
}

/* The rings igs_xsk_socket sets up. */
#define IGS_XSK_RX 1 /* its own UMEM, [umem, umem + len): RX, fill and completion rings */
#define IGS_XSK_TX 2 /* a TX ring (alone: a sending socket that shares another socket's UMEM at bind) */

/*
 * An AF_XDP socket with the rings `rings` asks for (IGS_XSK_RX, IGS_XSK_TX), each of ring_size entries, mapped into
 * r; not bound yet. Returns the fd, or -1 with errno set and *step naming the call that failed (the fd and any
 * mapped ring are released then).
 */
static inline int igs_xsk_socket(void *umem, uint64_t len, uint32_t chunk_size, uint32_t ring_size, int rings,
                                 igs_xsk_rings *r, const char **step) {
  memset(r, 0, sizeof *r);
  int rx = (rings & IGS_XSK_RX) != 0, tx = (rings & IGS_XSK_TX) != 0;
  *step = "socket(AF_XDP)";
  int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int sz = (int)ring_size;
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (rx) {
    struct xdp_umem_reg mr;
    memset(&mr, 0, sizeof mr);
    mr.addr = (uint64_t)(uintptr_t)umem;
    mr.len = len;
    mr.chunk_size = chunk_size;
    *step = "XDP_UMEM_REG";
    if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr) < 0) goto fail;
  }
  *step = "XDP ring sizes";
  if ((rx && (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &sz, sizeof sz) < 0 ||
              setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &sz, sizeof sz) < 0 ||
              setsockopt(fd, SOL_XDP, XDP_RX_RING, &sz, sizeof sz) < 0)) ||
      (tx && setsockopt(fd, SOL_XDP, XDP_TX_RING, &sz, sizeof sz) < 0))
    goto fail;
  if (tx) igs_xsk_tx_budget(fd, ring_size);
  *step = "XDP_MMAP_OFFSETS";
  if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) goto fail;
  *step = "mmap rings";
  if ((rx && (igs_ring_map(fd, &r->rx, &off.rx, ring_size, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING) < 0 ||
              igs_ring_map(fd, &r->fill, &off.fr, ring_size, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING) < 0 ||
              igs_ring_map(fd, &r->comp, &off.cr, ring_size, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING) < 0)) ||
      (tx && igs_ring_map(fd, &r->tx, &off.tx, ring_size, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING) < 0))
    goto fail;
  return fd;
fail: {
  int err = errno;
  igs_ring_unmap(&r->rx);
  igs_ring_unmap(&r->tx);
  igs_ring_unmap(&r->fill);
  igs_ring_unmap(&r->comp);
  close(fd);
  errno = err;
  return -1;
}
}

/* Bind to queue 0 of ifindex, copy mode unless zero_copy; need_wakeup on (copy mode always wants a TX kick). */
static inline int igs_xsk_bind(int fd, int ifindex, int zero_copy) {
  struct sockaddr_xdp sa;
  memset(&sa, 0, sizeof sa);
  sa.sxdp_family = AF_XDP;
  sa.sxdp_ifindex = (uint32_t)ifindex;
  sa.sxdp_queue_id = 0;
  sa.sxdp_flags = XDP_USE_NEED_WAKEUP | (zero_copy ? XDP_ZEROCOPY : XDP_COPY);
  return bind(fd, (struct sockaddr *)&sa, sizeof sa);
}

/* Copy mode transmits at most this many frames per sendto() on kernels that cannot raise the budget
 * (XDP_MAX_TX_SKB_BUDGET, igs_xsk_socket): kick in a loop. */
#define IGS_XSK_TX_BUDGET 32
/* Ring sizes (entries, powers of two), as xdp-tools/libxdp default; the addon and the bench forwarder both use it. */
#define IGS_XSK_RING 2048

static inline uint32_t igs_ld_acq(uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void igs_st_rel(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/* Kick the TX ring until the kernel has taken it or stops making progress (device queue full: the rest goes out
 * at the next kick). */
static inline void igs_xsk_kick(int fd, igs_ring *tx) {
  uint32_t prod = *tx->producer;
  for (int tries = 0; tries < 1 + IGS_XSK_RING / IGS_XSK_TX_BUDGET; tries++) {
    uint32_t before = igs_ld_acq(tx->consumer);
    if (before == prod) return;
    if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) return;
    if (igs_ld_acq(tx->consumer) == before) return;
  }
}

#endif
