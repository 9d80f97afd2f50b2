/*
 * Offload policy: the friendly offload names the switch speaks of (gro, lro, tso, ...) as groups of kernel
 * features (the names `ethtool -k` prints), what state a group reports, and which feature bits a wish changes.
 * Reading and writing the bits is ethtool.c's; turning objects into wishes and results is addon.c's.
 */
#define _GNU_SOURCE
#include "igs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The first name of a group is the one reported; setting a group sets every member the driver lets us change. */
const igs_offload_group IGS_OFFLOADS[] = {
    {"gro", {"rx-gro"}},
    {"lro", {"rx-lro"}},
    {"groList", {"rx-gro-list"}},
    {"udpGroForwarding", {"rx-udp-gro-forwarding"}},
    {"hwGro", {"rx-gro-hw"}},
    {"gso", {"tx-generic-segmentation"}},
    {"tso", {"tx-tcp-segmentation", "tx-tcp6-segmentation", "tx-tcp-ecn-segmentation",
             "tx-tcp-mangleid-segmentation"}},
    {"sg", {"tx-scatter-gather"}},
    {"rxcsum", {"rx-checksum"}},
    {"txcsum", {"tx-checksum-ip-generic", "tx-checksum-ipv4", "tx-checksum-ipv6", "tx-checksum-sctp"}},
    {"rxvlan", {"rx-vlan-hw-parse"}},
    {"txvlan", {"tx-vlan-hw-insert"}},
    {"rxvlanFilter", {"rx-vlan-filter"}},
};
const size_t IGS_N_OFFLOADS = sizeof IGS_OFFLOADS / sizeof IGS_OFFLOADS[0];

const igs_offload_group *igs_offload_find(const char *key) {
  for (size_t g = 0; g < IGS_N_OFFLOADS; g++)
    if (strcmp(IGS_OFFLOADS[g].key, key) == 0) return &IGS_OFFLOADS[g];
  return NULL;
}

int igs_offload_state(const igs_features *f, const igs_offload_group *g) {
  for (int k = 0; k < IGS_OFFLOAD_MEMBERS && g->names[k]; k++) {
    int i = igs_feature_index(f, g->names[k]);
    if (i >= 0) return igs_fbit(f->active, i);
  }
  return -1;
}

int igs_feature_change_init(igs_feature_change *ch, const igs_features *f, const char *fn, const char *ifname,
                            igs_err *e) {
  uint32_t words = (f->count + 31) / 32;
  memset(ch, 0, sizeof *ch);
  ch->fn = fn;
  ch->ifname = ifname;
  ch->valid = calloc(words * 2, sizeof(uint32_t)); /* igs_features_get refuses count 0 */
  if (!ch->valid) {
    igs_set_err(e, 0, "%s: out of memory", fn);
    return -1;
  }
  ch->requested = ch->valid + words;
  return 0;
}

void igs_feature_change_free(igs_feature_change *ch) {
  free(ch->valid);
  ch->valid = ch->requested = NULL;
}

/*
 * Only features whose requested or active state differs are marked. A key the kernel does not know is an error
 * only when asked on (off is already true); a feature the driver fixes in the wrong state is an error unless
 * another member of the group can change.
 */
int igs_feature_change_want(igs_feature_change *ch, const igs_features *f, const char *key,
                            const char *const *members, int want, igs_err *e) {
  int known = 0, settable = 0, fixed_wrong = 0;
  for (int m = 0; m < IGS_OFFLOAD_MEMBERS && members[m]; m++) {
    int i = igs_feature_index(f, members[m]);
    if (i < 0) continue;
    known++;
    if (igs_fbit(f->available, i)) {
      settable++;
      if (igs_fbit(f->requested, i) != want || igs_fbit(f->active, i) != want) {
        ch->valid[i / 32] |= 1u << (i % 32);
        if (want) ch->requested[i / 32] |= 1u << (i % 32);
        ch->changes++;
      }
    } else if (igs_fbit(f->active, i) != want) {
      fixed_wrong = 1;
    }
  }
  if (!known && want) {
    igs_set_err(e, EOPNOTSUPP, "%s(%s): the kernel has no feature '%s'", ch->fn, ch->ifname, key);
    return -1;
  }
  if (fixed_wrong && !settable) {
    igs_set_err(e, EOPNOTSUPP, "%s(%s): %s is fixed %s by the driver and cannot be changed", ch->fn, ch->ifname, key,
                want ? "off" : "on");
    return -1;
  }
  return 0;
}

int igs_feature_change_apply(igs_ctx *c, const igs_features *f, const igs_feature_change *ch, igs_err *e) {
  if (!ch->changes) return 0;
  return igs_features_set(c, ch->ifname, f, ch->valid, ch->requested, e) < 0 ? -1 : 0;
}
