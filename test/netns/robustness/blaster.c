// blaster: AF_PACKET frame generator for the robustness namespace tests (compiled by the tests into a temporary
// directory with `gcc -O2`; no dependencies).
//
//   blaster bad <ifname> <seconds> <seed> [pps]
//       Random and malformed frames, as fast as the socket takes them (pps 0) or paced, for <seconds>.
//       Kinds, round-robin over a shuffled schedule: random bytes of random length (random MACs), and one malformed
//       frame per drop reason the switch must count (see KINDS below). Prints {"type":"done",...} with counts.
//
//   blaster reports <ifname> <srcmac> <srcip> <first-group> <groups> <records-per-report> <seconds> [pps]
//       IGMPv3 membership reports (MODE_IS_EXCLUDE {} records, i.e. joins) for <groups> distinct groups starting at
//       <first-group>, <records-per-report> records per report, as fast as possible (or paced), once over the range
//       (or until <seconds>). Prints {"type":"done","sent":reports,"groups":n,...}.
//
// Output: one JSON line on stdout at the end; errors (ENOBUFS etc.) are counted, not fatal.

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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXLEN 1514

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

static int open_socket(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) { perror("socket"); exit(2); }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = if_nametoindex(ifname);
  if (!sll.sll_ifindex) { fprintf(stderr, "no interface %s\n", ifname); exit(2); }
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); exit(2); }
  int sz = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  return fd;
}

static const uint8_t SRC_MAC[6] = {0x02, 0xbb, 0xbb, 0x00, 0x00, 0x01};

/* Ethernet + IPv4 header with correct checksums; returns the L4 offset. */
static int ipv4_frame(uint8_t *f, const uint8_t group[4], uint8_t proto, int l4len, int ttl) {
  f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e; f[3] = group[1] & 0x7f; f[4] = group[2]; f[5] = group[3];
  memcpy(f + 6, SRC_MAC, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, 20 + l4len);
  ip[8] = ttl;
  ip[9] = proto;
  ip[12] = 192; ip[13] = 0; ip[14] = 2; ip[15] = 66;
  memcpy(ip + 16, group, 4);
  put16(ip + 10, csum(ip, 20, 0));
  return 34;
}

static void fix_ip(uint8_t *f) { f[24] = f[25] = 0; put16(f + 24, csum(f + 14, (f[14] & 0xf) * 4, 0)); }

enum {
  K_RANDOM, K_IGMP_CSUM, K_V3_RECORDS, K_BAD_IHL, K_IP_CSUM, K_TOTAL_LEN, K_FRAGMENT, K_MAC_MISMATCH, K_SRC_MAC,
  K_RESERVED, K_IPV6_LEN, K_MLD_CSUM, K_VLAN_CUT, K_COUNT
};
static const char *KIND_NAMES[K_COUNT] = {
  "random", "igmp_checksum", "igmp_length", "ipv4_header_ihl", "ipv4_checksum", "ipv4_header_total_length",
  "igmp_fragment", "mac_ip_mismatch", "bad_src_mac", "reserved_l2", "ipv6_header", "icmpv6_checksum", "vlan_header",
};

static int build_bad(uint8_t *f, int kind) {
  uint8_t g[4] = {239, (uint8_t)(rnd() & 0xff), (uint8_t)(rnd() & 0xff), (uint8_t)(1 + rnd() % 250)};
  switch (kind) {
  case K_RANDOM: {
    int n = 14 + rnd() % (MAXLEN - 13);
    for (int i = 0; i < n; i++) f[i] = rnd() & 0xff;
    return n;
  }
  case K_IGMP_CSUM: { /* IGMPv2 report, checksum wrong */
    int l4 = ipv4_frame(f, g, 2, 8, 1);
    f[l4] = 0x16; f[l4 + 1] = 0; memcpy(f + l4 + 4, g, 4);
    put16(f + l4 + 2, csum(f + l4, 8, 0) ^ (1 + rnd() % 0xfffe));
    return l4 + 8;
  }
  case K_V3_RECORDS: { /* IGMPv3 report announcing up to 65535 records in 16 bytes, checksum right */
    uint8_t dst[4] = {224, 0, 0, 22};
    int l4 = ipv4_frame(f, dst, 2, 16, 1);
    memset(f + l4, 0, 16);
    f[l4] = 0x22;
    put16(f + l4 + 6, 2 + rnd() % 0xfffe);
    f[l4 + 8] = 2; put16(f + l4 + 10, rnd() & 0xffff); memcpy(f + l4 + 12, g, 4);
    if (f[l4 + 10] == 0 && f[l4 + 11] == 0) f[l4 + 11] = 1;
    put16(f + l4 + 2, csum(f + l4, 16, 0));
    return l4 + 16;
  }
  case K_BAD_IHL: {
    int l4 = ipv4_frame(f, g, 17, 26, 64);
    memset(f + l4, 0, 26);
    f[14] = 0x40 | (rnd() % 5);
    return l4 + 26;
  }
  case K_IP_CSUM: {
    int l4 = ipv4_frame(f, g, 17, 26, 64);
    memset(f + l4, 0, 26);
    f[24] ^= 1 + rnd() % 255;
    return l4 + 26;
  }
  case K_TOTAL_LEN: {
    int l4 = ipv4_frame(f, g, 17, 26, 64);
    memset(f + l4, 0, 26);
    put16(f + 16, 20 + 26 + 1 + rnd() % 1400);
    fix_ip(f);
    return l4 + 26;
  }
  case K_FRAGMENT: {
    int l4 = ipv4_frame(f, g, 2, 8, 1);
    f[l4] = 0x16; memcpy(f + l4 + 4, g, 4); put16(f + l4 + 2, csum(f + l4, 8, 0));
    put16(f + 20, (rnd() & 1) ? 0x2000 : 1 + rnd() % 0x1fff);
    fix_ip(f);
    return l4 + 8;
  }
  case K_MAC_MISMATCH: {
    int l4 = ipv4_frame(f, g, 17, 26, 64);
    memset(f + l4, 0, 26);
    f[5] ^= 1 + rnd() % 255;
    return l4 + 26;
  }
  case K_SRC_MAC: {
    int l4 = ipv4_frame(f, g, 17, 26, 64);
    memset(f + l4, 0, 26);
    f[6] |= 1;
    return l4 + 26;
  }
  case K_RESERVED: {
    uint8_t d[6] = {0x01, 0x80, 0xc2, 0, 0, (uint8_t)(rnd() % 16)};
    memcpy(f, d, 6); memcpy(f + 6, SRC_MAC, 6); put16(f + 12, 0x88cc);
    memset(f + 14, 0, 46);
    return 60;
  }
  case K_IPV6_LEN: case K_MLD_CSUM: {
    /* IPv6 to ff02::16 with an MLDv2 report of one record; payload length too long, or checksum wrong. */
    uint8_t *ip = f + 14;
    f[0] = 0x33; f[1] = 0x33; f[2] = 0; f[3] = 0; f[4] = 0; f[5] = 0x16;
    memcpy(f + 6, SRC_MAC, 6); put16(f + 12, 0x86dd);
    memset(ip, 0, 40);
    ip[0] = 0x60; ip[6] = 58; ip[7] = 1;
    ip[8] = 0xfe; ip[9] = 0x80; ip[23] = 0x42;
    ip[24] = 0xff; ip[25] = 0x02; ip[39] = 0x16;
    uint8_t *m = ip + 40;
    memset(m, 0, 28);
    m[0] = 143; put16(m + 6, 1); m[8] = 2; m[12] = 0xff; m[13] = 0x0e; m[27] = (uint8_t)rnd();
    /* checksum with the pseudo-header */
    uint32_t s = 0;
    for (int i = 8; i < 40; i += 2) s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    s += 28 + 58;
    put16(m + 2, csum(m, 28, s));
    put16(ip + 4, 28);
    if (kind == K_IPV6_LEN) put16(ip + 4, 29 + rnd() % 1000);
    else m[2] ^= 1 + rnd() % 255;
    return 14 + 40 + 28;
  }
  case K_VLAN_CUT: default: { /* a tag cut short by the end of the frame */
    f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e; f[3] = 1; f[4] = 2; f[5] = 3;
    memcpy(f + 6, SRC_MAC, 6);
    put16(f + 12, (rnd() & 1) ? 0x8100 : 0x88a8);
    put16(f + 14, 10);
    put16(f + 16, 0x8100); /* the second tag lacks its TCI and EtherType */
    return 18 + rnd() % 4;
  }
  }
}

static int pace(double start, uint64_t sent, double pps) {
  if (pps <= 0) return 0;
  double due = start + sent / pps;
  double t = now_s();
  if (due > t) {
    struct timespec ts = {0, (long)((due - t) * 1e9)};
    if (ts.tv_nsec > 999999999) { ts.tv_sec = ts.tv_nsec / 1000000000; ts.tv_nsec %= 1000000000; }
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int parse_mac(const char *s, uint8_t m[6]) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) m[i] = (uint8_t)v[i];
  return 0;
}

static int run_bad(int argc, char **argv) {
  if (argc < 5) return 2;
  int fd = open_socket(argv[2]);
  double seconds = atof(argv[3]);
  rng_state = strtoull(argv[4], NULL, 0) * 2654435761ULL + 88172645463325252ULL;
  double pps = argc > 5 ? atof(argv[5]) : 0;
  static uint8_t frames[BATCH][MAXLEN];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint64_t by_kind[K_COUNT] = {0}, sent = 0, errors = 0, calls = 0;
  int kinds[BATCH];
  double start = now_s(), end = start + seconds;
  while (now_s() < end) {
    for (int i = 0; i < BATCH; i++) {
      /* Random bytes a third of the time, every malformed kind equally often otherwise. */
      kinds[i] = (rnd() % 3 == 0) ? K_RANDOM : 1 + rnd() % (K_COUNT - 1);
      int n = build_bad(frames[i], kinds[i]);
      iov[i].iov_base = frames[i];
      iov[i].iov_len = n;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, msgs, BATCH, 0);
    calls++;
    if (r < 0) { errors += BATCH; continue; }
    for (int i = 0; i < r; i++) by_kind[kinds[i]]++;
    sent += r;
    errors += BATCH - r;
    pace(start, sent, pps);
  }
  double el = now_s() - start;
  printf("{\"type\":\"done\",\"sent\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"byKind\":{",
    (unsigned long long)sent, (unsigned long long)errors, el, sent / el);
  for (int k = 0; k < K_COUNT; k++) printf("%s\"%s\":%llu", k ? "," : "", KIND_NAMES[k], (unsigned long long)by_kind[k]);
  printf("}}\n");
  return 0;
}

static int run_reports(int argc, char **argv) {
  if (argc < 9) return 2;
  int fd = open_socket(argv[2]);
  uint8_t mac[6];
  struct in_addr src, first;
  if (parse_mac(argv[3], mac) || !inet_aton(argv[4], &src) || !inet_aton(argv[5], &first)) return 2;
  uint64_t groups = strtoull(argv[6], NULL, 0);
  int per = atoi(argv[7]);
  if (per < 1) per = 1;
  if (per > 180) per = 180; /* 24 + 8·180 = 1464 octets of IP: one untagged 1500-byte MTU */
  double seconds = atof(argv[8]);
  double pps = argc > 9 ? atof(argv[9]) : 0;
  static uint8_t frames[BATCH][MAXLEN];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t g0 = ntohl(first.s_addr);
  uint64_t next = 0, sent = 0, errors = 0, groups_sent = 0;
  double start = now_s(), end = start + seconds;
  while (next < groups && now_s() < end) {
    int b = 0;
    uint64_t batch_first = next;
    for (; b < BATCH && next < groups; b++) {
      uint8_t *f = frames[b];
      int records = (int)((groups - next) < (uint64_t)per ? (groups - next) : (uint64_t)per);
      int l4len = 8 + 8 * records;
      /* Ethernet, IPv4 with Router Alert (RFC 3376 §4), to 224.0.0.22, TTL 1. */
      f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e; f[3] = 0; f[4] = 0; f[5] = 22;
      memcpy(f + 6, mac, 6);
      put16(f + 12, 0x0800);
      uint8_t *ip = f + 14;
      memset(ip, 0, 24);
      ip[0] = 0x46; put16(ip + 2, 24 + l4len); ip[6] = 0x40; ip[8] = 1; ip[9] = 2;
      memcpy(ip + 12, &src.s_addr, 4);
      ip[16] = 224; ip[19] = 22;
      ip[20] = 0x94; ip[21] = 0x04;
      put16(ip + 10, csum(ip, 24, 0));
      uint8_t *m = ip + 24;
      memset(m, 0, l4len);
      m[0] = 0x22;
      put16(m + 6, records);
      for (int r = 0; r < records; r++) {
        uint8_t *rec = m + 8 + 8 * r;
        rec[0] = 2; /* MODE_IS_EXCLUDE, no sources: "all sources" */
        uint32_t g = htonl(g0 + (uint32_t)(next + r));
        memcpy(rec + 4, &g, 4);
      }
      put16(m + 2, csum(m, l4len, 0));
      next += records;
      iov[b].iov_base = f;
      iov[b].iov_len = 14 + 24 + l4len;
      memset(&msgs[b], 0, sizeof msgs[b]);
      msgs[b].msg_hdr.msg_iov = &iov[b];
      msgs[b].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, msgs, b, 0);
    if (r < 0) r = 0;
    if (r < b) {
      /* Not taken (ENOBUFS): send those reports again rather than skipping their groups. */
      errors += b - r;
      uint64_t resend = batch_first;
      for (int i = 0; i < r; i++) resend += (iov[i].iov_len - 14 - 24 - 8) / 8;
      next = resend;
    }
    for (int i = 0; i < r; i++) groups_sent += (iov[i].iov_len - 14 - 24 - 8) / 8;
    sent += r;
    pace(start, sent, pps);
    if (r < b) usleep(200);
  }
  double el = now_s() - start;
  printf("{\"type\":\"done\",\"sent\":%llu,\"groups\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"groupsPerSecond\":%.0f}\n",
    (unsigned long long)sent, (unsigned long long)groups_sent, (unsigned long long)errors, el, sent / el, groups_sent / el);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rc = 2;
  if (argc > 1 && !strcmp(argv[1], "bad")) rc = run_bad(argc, argv);
  else if (argc > 1 && !strcmp(argv[1], "reports")) rc = run_reports(argc, argv);
  if (rc == 2) fprintf(stderr, "usage: blaster bad IF SECONDS SEED [PPS] | blaster reports IF SRCMAC SRCIP FIRSTGROUP GROUPS PER SECONDS [PPS]\n");
  return rc;
}
