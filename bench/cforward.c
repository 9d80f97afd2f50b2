// cforward: a minimal AF_PACKET forwarder, the ceiling of the AF_PACKET I/O method for bench/e2e.ts.
// Every frame received on one port is sent to every other port given on the command line (a hub over the
// listed ports; the bench lists exactly the ports a perfect snooping switch would use, so no table is needed).
//
//   cforward [-r|-2] [-b BATCH] [-s SLOT] [-t TOV_MS] [-c CPU] IF1 IF2 [IF3 …]
//     default  recvmmsg (MSG_DONTWAIT) into BATCH slots, then one sendmmsg per egress port
//     -r       TPACKET_V3 RX ring instead (one copy from the ring into the slots), same sendmmsg TX;
//              -t sets the ring's block retire timeout (ms, default 1)
//     -2       TPACKET_V2 RX ring: per-frame status words, so a frame is visible as soon as it is written
//              (no block to fill or retire); same copy into the slots and sendmmsg TX
//     -b       batch size (default 64)    -s  slot size in bytes (default 2048)
//     -c       pin to this CPU
// Each socket: bound to its interface, promiscuous, PACKET_IGNORE_OUTGOING. Offloads (GRO/TSO/tx checksum)
// must be off on the ports and peers: this forwarder does not handle GSO frames or partial checksums.
// Prints {"event":"ready",…} once the sockets are open; on SIGINT/SIGTERM (or SIGUSR1, without exiting)
// prints its counters as one JSON line.
//
// Build: gcc -O2 -Wall -o bench/bin/cforward bench/cforward.c

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define MAX_PORTS 64
#define MAX_BATCH 1024

struct ring {
  uint8_t *map;
  size_t map_len;
  unsigned block_size, block_nr, cur; /* V2: cur = next frame */
};

struct port {
  const char *name;
  int fd;
  int ifindex;
  struct ring ring;
  uint64_t rx, tx, tx_err, trunc;
};

static struct port ports[MAX_PORTS];
static int nports;
static int batch = 64;
static int slot = 2048;
/* 0 = recvmmsg, 3 = TPACKET_V3 ring, 2 = TPACKET_V2 ring */
static int use_ring = 0;
#define V2_FRAME_SIZE 2048
#define V2_FRAME_NR 4096
static int tov_ms = 1;
static volatile sig_atomic_t stop_flag = 0, dump_flag = 0;
static uint8_t *slots;
static struct mmsghdr rxmsgs[MAX_BATCH], txmsgs[MAX_BATCH];
static struct iovec rxiov[MAX_BATCH], txiov[MAX_BATCH];
static uint64_t batches, polls;

static void die(const char *what, const char *ifn) {
  fprintf(stderr, "cforward: %s%s%s: %s\n", what, ifn ? " " : "", ifn ? ifn : "", strerror(errno));
  exit(1);
}

static void on_signal(int sig) {
  if (sig == SIGUSR1) dump_flag = 1;
  else stop_flag = 1;
}

static const char *mode_name(void) {
  return use_ring == 2 ? "tpacket_v2" : use_ring ? "tpacket_v3" : "recvmmsg";
}

static void print_stats(const char *event) {
  uint64_t rx = 0, tx = 0, err = 0, trunc = 0;
  printf("{\"event\":\"%s\",\"mode\":\"%s\",\"batch\":%d,\"batches\":%llu,\"polls\":%llu,\"ports\":[", event,
         mode_name(), batch, (unsigned long long)batches, (unsigned long long)polls);
  for (int i = 0; i < nports; i++) {
    struct port *p = &ports[i];
    printf("%s{\"name\":\"%s\",\"rx\":%llu,\"tx\":%llu,\"txErrors\":%llu,\"truncated\":%llu}", i ? "," : "", p->name,
           (unsigned long long)p->rx, (unsigned long long)p->tx, (unsigned long long)p->tx_err,
           (unsigned long long)p->trunc);
    rx += p->rx, tx += p->tx, err += p->tx_err, trunc += p->trunc;
  }
  printf("],\"rx\":%llu,\"tx\":%llu,\"txErrors\":%llu,\"truncated\":%llu}\n", (unsigned long long)rx,
         (unsigned long long)tx, (unsigned long long)err, (unsigned long long)trunc);
  fflush(stdout);
}

static void open_port(struct port *p) {
  p->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (p->fd < 0) die("socket", p->name);
  p->ifindex = (int)if_nametoindex(p->name);
  if (!p->ifindex) die("if_nametoindex", p->name);
  int one = 1;
  if (setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) die("PACKET_IGNORE_OUTGOING", p->name);
  int buf = 4 << 20;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (use_ring == 2) {
    int v = TPACKET_V2;
    if (setsockopt(p->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) die("PACKET_VERSION", p->name);
    struct tpacket_req req;
    memset(&req, 0, sizeof req);
    req.tp_frame_size = V2_FRAME_SIZE;
    req.tp_frame_nr = V2_FRAME_NR;
    req.tp_block_size = 1 << 20;
    req.tp_block_nr = (V2_FRAME_SIZE * V2_FRAME_NR) / req.tp_block_size;
    if (setsockopt(p->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) die("PACKET_RX_RING", p->name);
    p->ring.map_len = (size_t)req.tp_block_size * req.tp_block_nr;
    p->ring.map = mmap(NULL, p->ring.map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, p->fd, 0);
    if (p->ring.map == MAP_FAILED) {
      p->ring.map = mmap(NULL, p->ring.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
      if (p->ring.map == MAP_FAILED) die("mmap", p->name);
    }
  } else if (use_ring) {
    int v = TPACKET_V3;
    if (setsockopt(p->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) die("PACKET_VERSION", p->name);
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = 1 << 20;
    req.tp_block_nr = 16;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = (req.tp_block_size / req.tp_frame_size) * req.tp_block_nr;
    req.tp_retire_blk_tov = (unsigned)tov_ms;
    if (setsockopt(p->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) die("PACKET_RX_RING", p->name);
    p->ring.block_size = req.tp_block_size;
    p->ring.block_nr = req.tp_block_nr;
    p->ring.map_len = (size_t)req.tp_block_size * req.tp_block_nr;
    p->ring.map = mmap(NULL, p->ring.map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, p->fd, 0);
    if (p->ring.map == MAP_FAILED) {
      p->ring.map = mmap(NULL, p->ring.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
      if (p->ring.map == MAP_FAILED) die("mmap", p->name);
    }
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = p->ifindex;
  if (bind(p->fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind", p->name);
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = p->ifindex;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) die("PACKET_MR_PROMISC", p->name);
}

/* Send frames 0..n-1 of the slots (lengths in rxmsgs[i].msg_len) to every port but `in`. */
static void flood(int in, unsigned n) {
  if (!n) return;
  batches++;
  for (int j = 0; j < nports; j++) {
    if (j == in) continue;
    struct port *o = &ports[j];
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

static void set_tx_lengths(unsigned n, const unsigned *lens) {
  for (unsigned i = 0; i < n; i++) txiov[i].iov_len = lens[i];
}

static unsigned lens[MAX_BATCH];

/* recvmmsg mode: one batch from port i; returns frames received. */
static unsigned rx_mmsg(int i) {
  struct port *p = &ports[i];
  for (int k = 0; k < batch; k++) rxmsgs[k].msg_hdr.msg_flags = 0;
  int n = recvmmsg(p->fd, rxmsgs, (unsigned)batch, MSG_DONTWAIT, NULL);
  if (n <= 0) return 0;
  unsigned m = 0;
  for (int k = 0; k < n; k++) {
    if (rxmsgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
      p->trunc++;
      continue;
    }
    if (m != (unsigned)k) memmove(slots + (size_t)m * slot, slots + (size_t)k * slot, rxmsgs[k].msg_len);
    lens[m++] = rxmsgs[k].msg_len;
  }
  p->rx += (unsigned)n;
  set_tx_lengths(m, lens);
  flood(i, m);
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
      unsigned len = ph->tp_snaplen;
      if (len > (unsigned)slot || ph->tp_snaplen < ph->tp_len) {
        p->trunc++;
      } else {
        memcpy(slots + (size_t)m * slot, (uint8_t *)ph + ph->tp_mac, len);
        lens[m++] = len;
        if (m == (unsigned)batch) {
          set_tx_lengths(m, lens);
          flood(i, m);
          m = 0;
        }
      }
      ph = (struct tpacket3_hdr *)((uint8_t *)ph + ph->tp_next_offset);
    }
    total += num;
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    p->ring.cur = (p->ring.cur + 1) % p->ring.block_nr;
  }
  if (m) {
    set_tx_lengths(m, lens);
    flood(i, m);
  }
  p->rx += total;
  return total;
}

/* TPACKET_V2 mode: take up to `batch` frames whose status is USER, copy, hand each back at once. */
static unsigned rx_ring_v2(int i) {
  struct port *p = &ports[i];
  unsigned total = 0, m = 0;
  for (;;) {
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(p->ring.map + (size_t)p->ring.cur * V2_FRAME_SIZE);
    if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    unsigned len = h->tp_snaplen;
    if (len > (unsigned)slot || h->tp_snaplen < h->tp_len) {
      p->trunc++;
    } else {
      memcpy(slots + (size_t)m * slot, (uint8_t *)h + h->tp_mac, len);
      lens[m++] = len;
    }
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    p->ring.cur = (p->ring.cur + 1) % V2_FRAME_NR;
    total++;
    if (m == (unsigned)batch) {
      set_tx_lengths(m, lens);
      flood(i, m);
      m = 0;
      break; /* one batch per port per pass: fair to the other ports */
    }
  }
  if (m) {
    set_tx_lengths(m, lens);
    flood(i, m);
  }
  p->rx += total;
  return total;
}

static void usage(void) {
  fprintf(stderr, "usage: cforward [-r|-2] [-b BATCH] [-s SLOT] [-t TOV_MS] [-c CPU] IF1 IF2 [IF3 ...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int opt, cpu = -1;
  while ((opt = getopt(argc, argv, "r2b:s:t:c:")) != -1) {
    switch (opt) {
      case 'r': use_ring = 3; break;
      case '2': use_ring = 2; break;
      case 'b': batch = atoi(optarg); break;
      case 's': slot = atoi(optarg); break;
      case 't': tov_ms = atoi(optarg); break;
      case 'c': cpu = atoi(optarg); break;
      default: usage();
    }
  }
  if (batch < 1 || batch > MAX_BATCH || slot < 64 || tov_ms < 0) usage();
  nports = argc - optind;
  if (nports < 2 || nports > MAX_PORTS) usage();
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity", NULL);
  }
  slots = aligned_alloc(64, (size_t)batch * slot);
  if (!slots) die("malloc", NULL);
  for (int k = 0; k < batch; k++) {
    rxiov[k].iov_base = slots + (size_t)k * slot;
    rxiov[k].iov_len = (size_t)slot;
    rxmsgs[k].msg_hdr.msg_iov = &rxiov[k];
    rxmsgs[k].msg_hdr.msg_iovlen = 1;
    txiov[k].iov_base = slots + (size_t)k * slot;
    txmsgs[k].msg_hdr.msg_iov = &txiov[k];
    txmsgs[k].msg_hdr.msg_iovlen = 1;
  }
  for (int i = 0; i < nports; i++) {
    ports[i].name = argv[optind + i];
    open_port(&ports[i]);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  printf("{\"event\":\"ready\",\"mode\":\"%s\",\"batch\":%d,\"ports\":%d,\"pid\":%d}\n", mode_name(),
         batch, nports, (int)getpid());
  fflush(stdout);

  struct pollfd pfd[MAX_PORTS];
  for (int i = 0; i < nports; i++) {
    pfd[i].fd = ports[i].fd;
    pfd[i].events = POLLIN;
  }
  while (!stop_flag) {
    if (dump_flag) {
      dump_flag = 0;
      print_stats("stats");
    }
    /* Drain every port once; poll only when a whole pass found nothing. */
    unsigned got = 0;
    for (int i = 0; i < nports; i++) got += use_ring == 2 ? rx_ring_v2(i) : use_ring ? rx_ring(i) : rx_mmsg(i);
    if (got) continue;
    polls++;
    int r = poll(pfd, (nfds_t)nports, 200);
    if (r < 0 && errno != EINTR) die("poll", NULL);
  }
  print_stats("exit");
  return 0;
}
