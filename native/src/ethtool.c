/*
 * Interface queries and settings through ioctl: link state (SIOCGIFINDEX/SIOCGIFFLAGS + ETHTOOL_GLINK) and
 * offload features (ETHTOOL_GSSET_INFO/GSTRINGS for the feature names, ETHTOOL_GFEATURES/SFEATURES for the
 * bits). The feature API is the modern, complete one: it knows every netdev feature by the same name
 * `ethtool -k` prints (rx-gro, rx-lro, rx-gro-list, ...), which the legacy per-feature commands do not.
 */
#define _GNU_SOURCE
#include "igs.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int igs_ctl_fd(igs_ctx *c, igs_err *e) {
  if (c->ctl_fd >= 0) return c->ctl_fd;
  /* Any socket reaches dev_ioctl; AF_INET datagram needs no privilege, AF_UNIX works without IPv4. */
  c->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c->ctl_fd < 0) c->ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c->ctl_fd < 0) {
    int err = errno;
    igs_set_err(e, err, "control socket: %s", strerror(err));
    return -1;
  }
  return c->ctl_fd;
}

static void fill_ifr(struct ifreq *ifr, const char *ifname) {
  memset(ifr, 0, sizeof *ifr);
  strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
}

int igs_link_state(igs_ctx *c, const char *ifname, int with_carrier, igs_link *out, igs_err *e) {
  int fd = igs_ctl_fd(c, e);
  if (fd < 0) return -1;
  if (strlen(ifname) == 0 || strlen(ifname) >= IFNAMSIZ) return 0; /* cannot exist */
  struct ifreq ifr;
  fill_ifr(&ifr, ifname);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    if (errno == ENODEV) return 0;
    int err = errno;
    igs_set_err(e, err, "linkState(%s): SIOCGIFINDEX: %s", ifname, strerror(err));
    return -1;
  }
  memset(out, 0, sizeof *out);
  out->ifindex = ifr.ifr_ifindex;
  fill_ifr(&ifr, ifname);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
    if (errno == ENODEV) return 0; /* vanished between the two calls */
    int err = errno;
    igs_set_err(e, err, "linkState(%s): SIOCGIFFLAGS: %s", ifname, strerror(err));
    return -1;
  }
  unsigned flags = (unsigned short)ifr.ifr_flags;
  out->admin_up = !!(flags & IFF_UP);
  out->running = !!(flags & IFF_RUNNING); /* operstate up (carrier and not dormant) */
  out->up = out->admin_up && out->running;
  fill_ifr(&ifr, ifname);
  out->mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : 0;
  /* IFF_LOWER_UP does not fit in SIOCGIFFLAGS' 16 bits; ETHTOOL_GLINK is netif_carrier_ok() on most drivers, but
   * dev_ethtool() takes rtnl_lock, so a data-plane loop asks without it (IFF_RUNNING already follows the carrier). */
  if (!with_carrier) {
    out->carrier = out->running;
    return 1;
  }
  struct ethtool_value ev = {.cmd = ETHTOOL_GLINK};
  fill_ifr(&ifr, ifname);
  ifr.ifr_data = (void *)&ev;
  if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
    out->carrier = ev.data != 0;
  else
    out->carrier = out->running;
  return 1;
}

/* ------------------------------------------------------------------------------------------------------ */
/* features                                                                                                */

static int ethtool_ioctl(int fd, const char *ifname, void *data) {
  struct ifreq ifr;
  fill_ifr(&ifr, ifname);
  ifr.ifr_data = data;
  return ioctl(fd, SIOCETHTOOL, &ifr);
}

void igs_features_free(igs_features *f) {
  free(f->names);
  free(f->available);
  f->names = NULL;
  f->available = f->requested = f->active = NULL;
  f->count = 0;
}

int igs_features_get(igs_ctx *c, const char *ifname, igs_features *f, igs_err *e) {
  memset(f, 0, sizeof *f);
  int fd = igs_ctl_fd(c, e);
  if (fd < 0) return -1;
  if (strlen(ifname) == 0 || strlen(ifname) >= IFNAMSIZ) {
    igs_set_err(e, ENODEV, "%s: no such network interface", ifname);
    return -1;
  }
  struct {
    struct ethtool_sset_info hdr;
    uint32_t len;
  } ssi;
  memset(&ssi, 0, sizeof ssi);
  ssi.hdr.cmd = ETHTOOL_GSSET_INFO;
  ssi.hdr.sset_mask = 1ULL << ETH_SS_FEATURES;
  if (ethtool_ioctl(fd, ifname, &ssi) < 0) {
    int err = errno;
    if (err == ENODEV)
      igs_set_err(e, err, "%s: no such network interface", ifname);
    else
      igs_set_err(e, err, "%s: ETHTOOL_GSSET_INFO: %s", ifname, strerror(err));
    return -1;
  }
  uint32_t count = (ssi.hdr.sset_mask & (1ULL << ETH_SS_FEATURES)) ? ssi.len : 0;
  if (count == 0 || count > 4096) {
    igs_set_err(e, EOPNOTSUPP, "%s: kernel reports no feature names", ifname);
    return -1;
  }
  uint32_t words = (count + 31) / 32;
  struct ethtool_gstrings *gs = calloc(1, sizeof *gs + (size_t)count * ETH_GSTRING_LEN);
  struct ethtool_gfeatures *gf = calloc(1, sizeof *gf + words * sizeof(struct ethtool_get_features_block));
  f->names = calloc(count, 32);
  f->available = calloc((size_t)words * 3, sizeof(uint32_t));
  if (!gs || !gf || !f->names || !f->available) {
    free(gs);
    free(gf);
    igs_features_free(f);
    igs_set_err(e, ENOMEM, "%s: out of memory", ifname);
    return -1;
  }
  f->requested = f->available + words;
  f->active = f->requested + words;
  gs->cmd = ETHTOOL_GSTRINGS;
  gs->string_set = ETH_SS_FEATURES;
  gs->len = count;
  gf->cmd = ETHTOOL_GFEATURES;
  gf->size = words;
  if (ethtool_ioctl(fd, ifname, gs) < 0 || ethtool_ioctl(fd, ifname, gf) < 0) {
    int err = errno;
    free(gs);
    free(gf);
    igs_features_free(f);
    igs_set_err(e, err, "%s: ETHTOOL_GSTRINGS/GFEATURES: %s", ifname, strerror(err));
    return -1;
  }
  f->count = count;
  for (uint32_t i = 0; i < count; i++) {
    memcpy(f->names[i], gs->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
    f->names[i][31] = 0;
  }
  for (uint32_t w = 0; w < words; w++) {
    f->available[w] = gf->features[w].available;
    f->requested[w] = gf->features[w].requested;
    f->active[w] = gf->features[w].active;
  }
  free(gs);
  free(gf);
  return 0;
}

int igs_feature_index(const igs_features *f, const char *name) {
  for (uint32_t i = 0; i < f->count; i++)
    if (strcmp(f->names[i], name) == 0) return (int)i;
  return -1;
}

int igs_features_set(igs_ctx *c, const char *ifname, const igs_features *f, const uint32_t *valid,
                     const uint32_t *requested, igs_err *e) {
  int fd = igs_ctl_fd(c, e);
  if (fd < 0) return -1;
  uint32_t words = (f->count + 31) / 32;
  struct ethtool_sfeatures *sf = calloc(1, sizeof *sf + words * sizeof(struct ethtool_set_features_block));
  if (!sf) {
    igs_set_err(e, ENOMEM, "%s: out of memory", ifname);
    return -1;
  }
  sf->cmd = ETHTOOL_SFEATURES;
  sf->size = words;
  for (uint32_t w = 0; w < words; w++) {
    sf->features[w].valid = valid[w];
    sf->features[w].requested = requested[w];
  }
  int r = ethtool_ioctl(fd, ifname, sf);
  int err = errno;
  free(sf);
  if (r < 0) {
    igs_set_err(e, err, "%s: ETHTOOL_SFEATURES: %s%s", ifname, strerror(err),
                err == EPERM ? " (needs CAP_NET_ADMIN)" : "");
    return -1;
  }
  return r; /* ETHTOOL_F_WISH / ETHTOOL_F_UNSUPPORTED / ETHTOOL_F_COMPAT bits */
}
