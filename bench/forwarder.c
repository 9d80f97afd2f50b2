// forwarder.c: what bench's C forwarders share (forwarder.h).
#define _GNU_SOURCE
#include "forwarder.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fwd_state fwd = {.batch = 64, .cpu = -1};

static volatile sig_atomic_t stop_flag, dump_flag;

void fwd_die(const char *what, const char *ifname) {
  fprintf(stderr, "%s: %s%s%s: %s\n", fwd.prog, what, ifname ? " " : "", ifname ? ifname : "", strerror(errno));
  exit(1);
}

void fwd_usage(void) {
  fprintf(stderr, "usage: %s [-b BATCH] [-c CPU] %s%sIF1 IF2 [IF3 ...]\n", fwd.prog, fwd.usage, fwd.usage[0] ? " " : "");
  exit(2);
}

void fwd_parse(int argc, char **argv, const char *own_opts, int max_batch, int (*own)(int opt, const char *arg)) {
  char opts[64];
  snprintf(opts, sizeof opts, "b:c:%s", own_opts);
  int opt;
  while ((opt = getopt(argc, argv, opts)) != -1) {
    if (opt == 'b')
      fwd.batch = atoi(optarg);
    else if (opt == 'c')
      fwd.cpu = atoi(optarg);
    else if (opt == '?' || own(opt, optarg) < 0)
      fwd_usage();
  }
  fwd.nports = argc - optind;
  fwd.ifnames = argv + optind;
  if (fwd.batch < 1 || fwd.batch > max_batch || fwd.nports < 2 || fwd.nports > FWD_MAX_PORTS) fwd_usage();
  if (fwd.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(fwd.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) fwd_die("sched_setaffinity", NULL);
  }
}

static void on_signal(int sig) {
  if (sig == SIGUSR1)
    dump_flag = 1;
  else
    stop_flag = 1;
}

void fwd_ready(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  printf("{\"event\":\"ready\",\"mode\":\"%s\",\"batch\":%d,\"ports\":%d,\"pid\":%d}\n", fwd.mode, fwd.batch, fwd.nports,
         (int)getpid());
  fflush(stdout);
}

static void print_stats(const char *event) {
  unsigned long long rx = 0, tx = 0, err = 0, trunc = 0;
  printf("{\"event\":\"%s\",\"mode\":\"%s\",\"batch\":%d,\"batches\":%llu,\"polls\":%llu,\"ports\":[", event, fwd.mode,
         fwd.batch, (unsigned long long)fwd.batches, (unsigned long long)fwd.polls);
  for (int i = 0; i < fwd.nports; i++) {
    const fwd_port *p = fwd.ports[i];
    printf("%s{\"name\":\"%s\",\"rx\":%llu,\"tx\":%llu,\"txErrors\":%llu,\"truncated\":%llu}", i ? "," : "", p->name,
           (unsigned long long)p->rx, (unsigned long long)p->tx, (unsigned long long)p->tx_err,
           (unsigned long long)p->trunc);
    rx += p->rx, tx += p->tx, err += p->tx_err, trunc += p->trunc;
  }
  printf("],\"rx\":%llu,\"tx\":%llu,\"txErrors\":%llu,\"truncated\":%llu}\n", rx, tx, err, trunc);
  fflush(stdout);
}

void fwd_run(unsigned (*pass)(void), int poll_ms) {
  struct pollfd pfd[FWD_MAX_PORTS];
  for (int i = 0; i < fwd.nports; i++) pfd[i] = (struct pollfd){.fd = fwd.ports[i]->fd, .events = POLLIN};
  while (!stop_flag) {
    if (dump_flag) {
      dump_flag = 0;
      print_stats("stats");
    }
    if (pass()) continue;
    fwd.polls++;
    if (poll(pfd, (nfds_t)fwd.nports, poll_ms) < 0 && errno != EINTR) fwd_die("poll", NULL);
  }
  print_stats("exit");
}
