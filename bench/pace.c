/*
 * Paced load for the benchmark's latency scenario (e): one frame sent at a steady rate on one interface.
 *
 *   pace <ifname> <pps> <hex-frame> [slot-us=100]
 *   prints "Running!" when it starts, and {"sent":N,"seconds":S,"pps":P,"skipped":K,"errors":E} at SIGINT/SIGTERM
 *
 * Why not trafgen --rate: on this VM trafgen (netsniff-ng 0.6) sends each second's frames in one burst of ~120 ms at
 * 430-680 kpps and then sleeps (5 ms bins of the receiver's rx_packets: 25 of 200 non-zero, up to 3,376 frames in one),
 * so "under a 50 kpps load" measured how a switch absorbs that burst. trafgen --gap sleeps once per frame and reaches
 * ~18 kpps. Here the frames due are sent every slot (sendmmsg), the thread sleeping to the next slot on an absolute
 * clock with a 1 ns timer slack, so the load is smooth at any scale above the slot (100 µs: 5 frames at 50 kpps).
 * After a stall (the sender not scheduled) at most ten slots' worth of frames (1 ms by default) are sent at once; the
 * rest are skipped and counted, so a stall does not turn into a long burst either.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME 2048
#define MAX_BURST 256

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap) {
  size_t n = strlen(s);
  if (n % 2 || n / 2 > cap || n < 28) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return (int)(n / 2);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: pace <ifname> <pps> <hex-frame> [slot-us=100]\n");
    return 2;
  }
  const char *ifname = argv[1];
  double pps = atof(argv[2]);
  static uint8_t frame[MAX_FRAME];
  int len = parse_hex(argv[3], frame, sizeof frame);
  uint64_t slot_ns = (uint64_t)(argc > 4 ? atof(argv[4]) : 100) * 1000u;
  if (pps <= 0 || len < 0 || slot_ns < 10000) {
    fprintf(stderr, "pace: bad pps, frame or slot\n");
    return 2;
  }
  unsigned ifindex = if_nametoindex(ifname);
  if (!ifindex) {
    fprintf(stderr, "pace: no interface %s\n", ifname);
    return 1;
  }
  int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, nothing is queued for reading */
  if (fd < 0) {
    perror("pace: socket");
    return 1;
  }
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = ETH_ALEN};
  memcpy(sll.sll_addr, frame, ETH_ALEN);
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    perror("pace: bind");
    return 1;
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* wake at the slot, not up to 50 µs after it */
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  static struct mmsghdr msgs[MAX_BURST];
  static struct iovec iov;
  iov.iov_base = frame;
  iov.iov_len = (size_t)len;
  for (int i = 0; i < MAX_BURST; i++) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t per_slot = (uint64_t)(pps * (double)slot_ns / 1e9) + 1;
  uint64_t max_catch_up = 10 * per_slot < MAX_BURST ? 10 * per_slot : MAX_BURST;
  uint64_t sent = 0, skipped = 0, errors = 0;
  uint64_t start = now_ns(), next = start;
  printf("Running!\n");
  fflush(stdout);
  while (!stop) {
    uint64_t t = now_ns();
    uint64_t due = (uint64_t)((double)(t - start) * pps / 1e9) - skipped;
    if (due > sent) {
      uint64_t n = due - sent;
      if (n > max_catch_up) {
        skipped += n - max_catch_up;
        n = max_catch_up;
      }
      int r = sendmmsg(fd, msgs, (unsigned)n, 0);
      if (r > 0) sent += (uint64_t)r;
      if (r < (int)n) {
        errors++;
        skipped += n - (r > 0 ? (uint64_t)r : 0); /* not retried: the next slot sends what is due then */
      }
    }
    next += slot_ns;
    if (next < t) next = t + slot_ns;
    struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u), .tv_nsec = (long)(next % 1000000000u)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
  }
  double secs = (double)(now_ns() - start) / 1e9;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"skipped\":%llu,\"errors\":%llu}\n", (unsigned long long)sent, secs,
         (double)sent / secs, (unsigned long long)skipped, (unsigned long long)errors);
  return 0;
}
