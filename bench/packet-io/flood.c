/*
 * Minimal-frame flood for the packet I/O benchmark: sendmmsg batches of identical 60-byte frames
 * (IPv4/UDP to an unknown unicast MAC, so receivers drop them cheaply) on one interface for N seconds.
 *
 *   cc -O2 -o bench/bin/flood bench/packet-io/flood.c
 *   flood <ifname> <seconds> [batch=64] [cpu=-1] [pps=0 (unlimited)]
 *   prints {"sent":N,"seconds":S,"pps":P,"eagain":E}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: flood <ifname> <seconds> [batch] [cpu] [pps]\n");
    return 2;
  }
  const char *ifname = argv[1];
  double seconds = atof(argv[2]);
  int batch = argc > 3 ? atoi(argv[3]) : 64;
  int cpu = argc > 4 ? atoi(argv[4]) : -1;
  double pps = argc > 5 ? atof(argv[5]) : 0;
  if (batch < 1 || batch > 1024) batch = 64;
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(ifname)};
  if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    fprintf(stderr, "flood: %s: %s\n", ifname, strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);

  static unsigned char frame[60] = {
      0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x11, 0x08, 0x00,            /* eth */
      0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2, /* ipv4 (csum not needed) */
      0x0f, 0xa0, 0x0f, 0xa1, 0, 26, 0, 0,                                   /* udp */
  };
  struct iovec iov = {frame, sizeof frame};
  struct mmsghdr *msgs = calloc((size_t)batch, sizeof *msgs);
  for (int i = 0; i < batch; i++) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0, eagain = 0;
  double t0 = now(), end = t0 + seconds;
  for (;;) {
    double t = now();
    if (t >= end) break;
    if (pps > 0 && sent > (t - t0) * pps) continue; /* crude pacing: spin until the schedule catches up */
    int r = sendmmsg(fd, msgs, (unsigned)batch, 0);
    if (r > 0)
      sent += (unsigned)r;
    else if (errno == EAGAIN || errno == ENOBUFS)
      eagain++;
    else {
      perror("sendmmsg");
      return 1;
    }
  }
  double el = now() - t0;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"eagain\":%llu}\n", sent, el, sent / el, eagain);
  return 0;
}
