// cforward: a minimal AF_PACKET forwarder, the ceiling of the AF_PACKET I/O method for bench/e2e.ts.
// Every frame received on one port is sent to every other port given on the command line (a hub over the
// listed ports; the bench lists exactly the ports a perfect snooping switch would use, so no table is needed).
// The command line, output and main loop are bench/forwarder.h's; this file is the I/O method.
//
//   cforward [-b BATCH] [-c CPU] [-r|-2] [-s SLOT] [-t TOV_MS] IF1 IF2 [IF3 …]
//     default  recvmmsg (MSG_DONTWAIT) into BATCH slots, then one sendmmsg per egress port
//     -r       TPACKET_V3 RX ring instead (one copy from the ring into the slots), same sendmmsg TX;
//              -t sets the ring's block retire timeout (ms, default 1)
//     -2       TPACKET_V2 RX ring: per-frame status words, so a frame is visible as soon as it is written
//              (no block to fill or retire); same copy into the slots and sendmmsg TX
//     -b       batch size (default 64)    -s  slot size in bytes (default 2048)
//     -c       pin to this CPU
// Each socket: bound to its interface, promiscuous, PACKET_IGNORE_OUTGOING. Offloads (GRO/TSO/tx checksum)
// must be off on the ports and peers: this forwarder does not handle GSO frames or partial checksums.
//
// Build: gcc -O2 -Wall -o bench/bin/cforward bench/cforward.c bench/forwarder.c

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forwarder.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define MAX_BATCH 1024

struct ring {
  uint8_t *map;
  size_t map_len;
  unsigned block_size, block_nr, cur; /* V2: cur = next frame */
};

struct port {
  fwd_port f; /* name, socket, counters */
  int ifindex;
  struct ring ring;
};

static struct port ports[FWD_MAX_PORTS];
static int slot = 2048;
/* 0 = recvmmsg, 3 = TPACKET_V3 ring, 2 = TPACKET_V2 ring */
static int use_ring = 0;
#define V2_FRAME_SIZE 2048
#define V2_FRAME_NR 4096
static int tov_ms = 1;
static uint8_t *slots;
static struct mmsghdr rxmsgs[MAX_BATCH], txmsgs[MAX_BATCH];
static struct iovec rxiov[MAX_BATCH], txiov[MAX_BATCH];


/* Map the RX ring the socket was given (locked in memory where the limit allows). */
static void map_ring(struct port *p, size_t len) {
  p->ring.map_len = len;
  p->ring.map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, p->f.fd, 0);
  if (p->ring.map == MAP_FAILED) p->ring.map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, p->f.fd, 0);
  if (p->ring.map == MAP_FAILED) fwd_die("mmap", p->f.name);
}

static void open_port(struct port *p) {
  p->f.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (p->f.fd < 0) fwd_die("socket", p->f.name);
  p->ifindex = (int)if_nametoindex(p->f.name);
  if (!p->ifindex) fwd_die("if_nametoindex", p->f.name);
  int one = 1;
  if (setsockopt(p->f.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) fwd_die("PACKET_IGNORE_OUTGOING", p->f.name);
  int buf = 4 << 20;
  setsockopt(p->f.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(p->f.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (use_ring == 2) {
    int v = TPACKET_V2;
    if (setsockopt(p->f.fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) fwd_die("PACKET_VERSION", p->f.name);
    struct tpacket_req req;
    memset(&req, 0, sizeof req);
    req.tp_frame_size = V2_FRAME_SIZE;
    req.tp_frame_nr = V2_FRAME_NR;
    req.tp_block_size = 1 << 20;
    req.tp_block_nr = (V2_FRAME_SIZE * V2_FRAME_NR) / req.tp_block_size;
    if (setsockopt(p->f.fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) fwd_die("PACKET_RX_RING", p->f.name);
    map_ring(p, (size_t)req.tp_block_size * req.tp_block_nr);
  } else if (use_ring) {
    int v = TPACKET_V3;
    if (setsockopt(p->f.fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) fwd_die("PACKET_VERSION", p->f.name);
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = 1 << 20;
    req.tp_block_nr = 16;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = (req.tp_block_size / req.tp_frame_size) * req.tp_block_nr;
    req.tp_retire_blk_tov = (unsigned)tov_ms;
    if (setsockopt(p->f.fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) fwd_die("PACKET_RX_RING", p->f.name);
    p->ring.block_size = req.tp_block_size;
    p->ring.block_nr = req.tp_block_nr;
    map_ring(p, (size_t)req.tp_block_size * req.tp_block_nr);
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = p->ifindex;
  if (bind(p->f.fd, (struct sockaddr *)&sll, sizeof sll) < 0) fwd_die("bind", p->f.name);
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = p->ifindex;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(p->f.fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) fwd_die("PACKET_MR_PROMISC", p->f.name);
}

/* Send frames 0..n-1 of the slots (lengths in txiov[0..n-1]) to every port but `in`. */
static void flood(int in, unsigned n) {
  if (!n) return;
  fwd.batches++;
  for (int j = 0; j < fwd.nports; j++) {
    if (j == in) continue;
    fwd_port *o = &ports[j].f;
    unsigned done = 0;
    while (done < n) {
      int r = sendmmsg(o->fd, txmsgs + done, n - done, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        o->tx_err++; /* skip the frame that failed (ENOBUFS, EMSGSIZE, …) */
        done++;
        continue;
      }
      o->tx += (unsigned)r;
      done += (unsigned)r;
    }
  }
}

static unsigned lens[MAX_BATCH];

/* Send the m frames gathered in the slots (lengths in lens) from port `in`. */
static void flush(int in, unsigned m) {
  for (unsigned k = 0; k < m; k++) txiov[k].iov_len = lens[k];
  flood(in, m);
}

/* Ring modes: copy one frame from the ring into slot *m, or count it truncated when it does not fit (or was cut
 * short by the ring); send the batch from port i when it is full. Returns 1 when a batch went out. */
static int take(int i, const uint8_t *frame, unsigned snaplen, unsigned len, unsigned *m) {
  if (snaplen > (unsigned)slot || snaplen < len) {
    ports[i].f.trunc++;
    return 0;
  }
  memcpy(slots + (size_t)*m * slot, frame, snaplen);
  lens[(*m)++] = snaplen;
  if (*m < (unsigned)fwd.batch) return 0;
  flush(i, *m);
  *m = 0;
  return 1;
}

/* recvmmsg mode: one batch from port i; returns frames received. */
static unsigned rx_mmsg(int i) {
  struct port *p = &ports[i];
  for (int k = 0; k < fwd.batch; k++) rxmsgs[k].msg_hdr.msg_flags = 0;
  int n = recvmmsg(p->f.fd, rxmsgs, (unsigned)fwd.batch, MSG_DONTWAIT, NULL);
  if (n <= 0) return 0;
  unsigned m = 0;
  for (int k = 0; k < n; k++) {
    if (rxmsgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
      p->f.trunc++;
      continue;
    }
    if (m != (unsigned)k) memmove(slots + (size_t)m * slot, slots + (size_t)k * slot, rxmsgs[k].msg_len);
    lens[m++] = rxmsgs[k].msg_len;
  }
  p->f.rx += (unsigned)n;
  flush(i, m);
  return (unsigned)n;
}

/* TPACKET_V3 mode: drain the ready blocks of port i; returns frames received. */
static unsigned rx_ring(int i) {
  struct port *p = &ports[i];
  unsigned total = 0, m = 0;
  for (;;) {
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(p->ring.map + (size_t)p->ring.cur * p->ring.block_size);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    unsigned num = bd->hdr.bh1.num_pkts;
    struct tpacket3_hdr *ph = (struct tpacket3_hdr *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
    for (unsigned k = 0; k < num; k++) {
      take(i, (uint8_t *)ph + ph->tp_mac, ph->tp_snaplen, ph->tp_len, &m);
      ph = (struct tpacket3_hdr *)((uint8_t *)ph + ph->tp_next_offset);
    }
    total += num;
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    p->ring.cur = (p->ring.cur + 1) % p->ring.block_nr;
  }
  if (m) flush(i, m);
  p->f.rx += total;
  return total;
}

/* TPACKET_V2 mode: take up to a batch of frames whose status is USER, copy, hand each back at once. */
static unsigned rx_ring_v2(int i) {
  struct port *p = &ports[i];
  unsigned total = 0, m = 0;
  for (;;) {
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(p->ring.map + (size_t)p->ring.cur * V2_FRAME_SIZE);
    if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    int sent = take(i, (uint8_t *)h + h->tp_mac, h->tp_snaplen, h->tp_len, &m);
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    p->ring.cur = (p->ring.cur + 1) % V2_FRAME_NR;
    total++;
    if (sent) break; /* one batch per port per pass: fair to the other ports */
  }
  if (m) flush(i, m);
  p->f.rx += total;
  return total;
}

/* Drain every port once. */
static unsigned pass(void) {
  unsigned got = 0;
  for (int i = 0; i < fwd.nports; i++) got += use_ring == 2 ? rx_ring_v2(i) : use_ring ? rx_ring(i) : rx_mmsg(i);
  return got;
}

static int option(int opt, const char *arg) {
  switch (opt) {
    case 'r': use_ring = 3; return 0;
    case '2': use_ring = 2; return 0;
    case 's': slot = atoi(arg); return slot < 64 ? -1 : 0;
    case 't': tov_ms = atoi(arg); return tov_ms < 0 ? -1 : 0;
    default: return -1;
  }
}

int main(int argc, char **argv) {
  fwd.prog = "cforward";
  fwd.usage = "[-r|-2] [-s SLOT] [-t TOV_MS]";
  fwd_parse(argc, argv, "r2s:t:", MAX_BATCH, option);
  fwd.mode = use_ring == 2 ? "tpacket_v2" : use_ring ? "tpacket_v3" : "recvmmsg";
  slots = aligned_alloc(64, (size_t)fwd.batch * slot);
  if (!slots) fwd_die("malloc", NULL);
  for (int k = 0; k < fwd.batch; k++) {
    rxiov[k].iov_base = slots + (size_t)k * slot;
    rxiov[k].iov_len = (size_t)slot;
    rxmsgs[k].msg_hdr.msg_iov = &rxiov[k];
    rxmsgs[k].msg_hdr.msg_iovlen = 1;
    txiov[k].iov_base = slots + (size_t)k * slot;
    txmsgs[k].msg_hdr.msg_iov = &txiov[k];
    txmsgs[k].msg_hdr.msg_iovlen = 1;
  }
  for (int i = 0; i < fwd.nports; i++) {
    ports[i].f.name = fwd.ifnames[i];
    open_port(&ports[i]);
    fwd.ports[i] = &ports[i].f;
  }
  fwd_ready();
  fwd_run(pass, 200);
  return 0;
}
