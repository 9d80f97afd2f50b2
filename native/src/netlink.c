/*
 * Link change notifications (rtnetlink RTMGRP_LINK). The socket joins receive()'s poll set, so a link going
 * down/up or an interface disappearing wakes the data-plane worker at once instead of at the next poll of
 * linkState(); the worker then drains the messages with linkEvents(). Polling linkState() stays the
 * fallback (and the source of truth): a netlink overrun (ENOBUFS) is reported as a "resync" event.
 */
#define _GNU_SOURCE
#include "igs.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int igs_watch_links(igs_ctx *c, int on, igs_err *e) {
  if (!on) {
    if (c->nl_fd >= 0) close(c->nl_fd);
    c->nl_fd = -1;
    c->nl_pending = 0;
    c->ep_dirty = 1;
    return 0;
  }
  if (c->nl_fd >= 0) return 0;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    int err = errno;
    igs_set_err(e, err, "watchLinks: socket(NETLINK_ROUTE): %s", strerror(err));
    return -1;
  }
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    close(fd);
    igs_set_err(e, err, "watchLinks: bind(RTMGRP_LINK): %s", strerror(err));
    return -1;
  }
  c->nl_fd = fd;
  c->nl_pending = 0;
  c->ep_dirty = 1;
  return 0;
}

int igs_drain_links(igs_ctx *c, igs_link_cb cb, void *arg) {
  if (c->nl_fd < 0) return 0;
  c->nl_pending = 0;
  /* Larger than NLMSG_GOODSIZE: one datagram always fits, and a message is never split across datagrams. */
  static __thread uint8_t buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
  int seen = 0;
  for (;;) {
    ssize_t n = recv(c->nl_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        /* We fell behind and the kernel dropped notifications: ask the caller to re-check everything. */
        cb(arg, 0, "", 0, -1);
        seen++;
        continue;
      }
      break; /* EAGAIN: drained */
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) continue;
      struct ifinfomsg *ifi = NLMSG_DATA(h);
      char name[IFNAMSIZ] = "";
      int alen = (int)IFLA_PAYLOAD(h);
      for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type == IFLA_IFNAME) {
          size_t l = RTA_PAYLOAD(a);
          if (l >= IFNAMSIZ) l = IFNAMSIZ - 1;
          memcpy(name, RTA_DATA(a), l);
          name[l] = 0;
        }
      }
      cb(arg, ifi->ifi_index, name, ifi->ifi_flags, h->nlmsg_type == RTM_DELLINK);
      seen++;
    }
  }
  return seen;
}
