/*
 * Node-API glue for the igmpswitch packet I/O addon (igmpswitch_packet.node): each binding reads its arguments
 * (napi-util.h), calls the C side (igs.h) and renders the result. Policy lives elsewhere: sockets and rings in
 * packet.c / xdp.c, offload names in offload.c, threads and locks in process.c (native/README.md lists the files).
 *
 * Context-aware (NAPI_MODULE_INIT + instance data): every thread that loads the addon (the main thread, the
 * data-plane worker) gets its own igs_ctx — its own ports, eventfd and Wasm memory pointer. Only wake(fd)
 * crosses threads, and it does so through the kernel (an eventfd write).
 *
 * API (docs/packet-io.md, "API"; src/io/packet-addon.ts for the typed face):
 *   attach(buffer, layout)                 receive(maxFrames, timeoutMs) -> n     transmit() -> sent
 *   openPort(ifname, index, opts?) -> {..} closePort(index)                        inject(portOrMask, frame) -> n
 *   wakeFd() -> fd   wake(fd)              linkState(ifname, opts?) -> {..} | null portStats(index) -> {..} | null
 *   getOffloads(ifname)                    setOffloads(ifname, {gro, lro, ...})   features / setFeatures
 *   watchLinks(on)  linksPending()  linkEvents()                                    nowMs()  pinThread(cpu)
 *   receiveTuning(opts?)  rxStats()        yieldOtherThreads(nice)                 tryLock(fd) -> bool
 *   parentDeathSignal(signo)               rxPending() -> bool  takeWake() -> bool
 */
#define _GNU_SOURCE
#include "napi-util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct addon {
  igs_ctx ctx;
  napi_ref mem_ref; /* keeps the attached ArrayBuffer (and so the Wasm memory) alive */
} addon;

static addon *get_addon(napi_env env) {
  void *d = NULL;
  napi_get_instance_data(env, &d);
  return d;
}

static void mac_str(const uint8_t m[6], char out[18]) {
  snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Check the attached memory is still there (a grown Wasm memory detaches its old ArrayBuffer). */
static int memory_ok(napi_env env, addon *a, const char *fn) {
  if (!a->ctx.attached) {
    throw_arg(env, "%s: attach() the Wasm memory first", fn);
    return 0;
  }
  napi_value buf;
  bool detached = false;
  if (napi_get_reference_value(env, a->mem_ref, &buf) != napi_ok || buf == NULL ||
      napi_is_detached_arraybuffer(env, buf, &detached) != napi_ok || detached) {
    a->ctx.attached = 0;
    throw_arg(env, "%s: the attached memory was detached (grown?); Wasm memory must be non-growable", fn);
    return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------------------------------------------ */
/* attach / ports                                                                                          */

/* attach()'s layout object: where each region of the Wasm memory lives (src/io/packet-addon.ts PacketLayout). */
static const struct layout_field {
  const char *key;
  size_t offset; /* in igs_layout */
  int required;
} LAYOUT_FIELDS[] = {
#define REQUIRED(key, member) {key, offsetof(igs_layout, member), 1}
#define OPTIONAL(key, member) {key, offsetof(igs_layout, member), 0}
    REQUIRED("desc", desc), REQUIRED("descStride", desc_stride), REQUIRED("slots", slots),
    REQUIRED("slotStride", slot_stride), REQUIRED("slotHeadroom", slot_headroom), OPTIONAL("slotSize", slot_cap),
    REQUIRED("txCounts", tx_counts), REQUIRED("txLists", tx_lists), REQUIRED("txListStride", tx_list_stride),
    REQUIRED("maxBatch", max_batch),
    /* AF_XDP UMEM region (optional: without it every port is AF_PACKET). */
    OPTIONAL("umem", umem), OPTIONAL("umemChunks", umem_chunks), OPTIONAL("umemChunkSize", umem_chunk_size),
#undef REQUIRED
#undef OPTIONAL
};

static int get_layout(napi_env env, napi_value lo, igs_layout *L) {
  memset(L, 0, sizeof *L);
  for (size_t k = 0; k < sizeof LAYOUT_FIELDS / sizeof LAYOUT_FIELDS[0]; k++) {
    const struct layout_field *fd = &LAYOUT_FIELDS[k];
    napi_value v;
    if (fd->required && !get_present(env, lo, fd->key, &v)) {
      throw_arg(env, "attach: layout.%s is missing", fd->key);
      return -1;
    }
    if (opt_u32(env, lo, "attach: layout.", fd->key, (uint32_t *)((uint8_t *)L + fd->offset)) < 0) return -1;
  }
  /* Descriptor fields and flags: the memory contract (contract.h, generated from src/contract/memory.ts). */
  L->d_offset = IGS_DESC_FRAME;
  L->d_length = IGS_DESC_LENGTH;
  L->d_port = IGS_DESC_PORT;
  L->d_flags = IGS_DESC_FLAGS;
  L->d_time = IGS_DESC_TIME;
  L->d_vnet = IGS_DESC_VNET;
  L->f_truncated = IGS_DESC_FLAG_TRUNCATED;
  L->f_csum_partial = IGS_DESC_FLAG_CSUM_PARTIAL;
  L->f_gso = IGS_DESC_FLAG_GSO;
  return 0;
}

static napi_value js_attach(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  const char *usage = "attach(buffer, layout): buffer must be an ArrayBuffer (WebAssembly.Memory.buffer, non-shared)";
  if (get_args(env, info, argv, 2, 2, usage) < 0) return NULL;
  addon *a = get_addon(env);
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab) return throw_arg(env, "%s", usage);
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_object) return throw_arg(env, "%s", "attach(buffer, layout): layout must be an object");
  void *data = NULL;
  size_t len = 0;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &len));
  igs_layout L;
  if (get_layout(env, argv[1], &L) < 0) return NULL;
  igs_err e;
  if (a->ctx.pool) {
    for (int i = 0; i < IGS_MAX_PORTS; i++)
      if (a->ctx.ports[i].xsk)
        return throw_arg(env, "%s", "attach: AF_XDP ports use the attached memory as their UMEM; close them first");
  }
  if (igs_attach(&a->ctx, data, len, &L, &e) < 0) return throw_igs(env, &e);
  if (igs_xsk_pool_attach(&a->ctx, &e) < 0) return throw_igs(env, &e);
  if (a->mem_ref) napi_delete_reference(env, a->mem_ref);
  a->mem_ref = NULL;
  CHECK(napi_create_reference(env, argv[0], 1, &a->mem_ref));
  return NULL;
}

/* openPort's options object: socket options, and which I/O method (AF_XDP beside the AF_PACKET socket or not). */
static int get_open_options(napi_env env, napi_value o, igs_open_opts *po, igs_xsk_opts *xo, int *use_xdp) {
  const char *what = "openPort: options.";
  char io[16] = "", mode[16] = "";
  if (opt_int(env, o, what, "qdiscBypass", &po->qdisc_bypass) < 0 || opt_int(env, o, what, "rcvbuf", &po->rcvbuf) < 0 ||
      opt_int(env, o, what, "sndbuf", &po->sndbuf) < 0 || opt_int(env, o, what, "zeroCopy", &xo->zero_copy) < 0 ||
      opt_int(env, o, what, "xdpWireOnly", &xo->wire_only) < 0 || opt_int(env, o, what, "rxRing", &po->rx_ring) < 0 ||
      opt_str(env, o, what, "io", io, sizeof io) < 0 || opt_str(env, o, what, "xdpMode", mode, sizeof mode) < 0)
    return -1;
  if (strcmp(io, "af_xdp") == 0)
    *use_xdp = 1;
  else if (io[0] && strcmp(io, "af_packet") != 0) {
    throw_arg(env, "openPort: options.io must be \"af_xdp\" or \"af_packet\", got \"%s\"", io);
    return -1;
  }
  if (strcmp(mode, "native") == 0)
    xo->mode = IGS_XDP_MODE_NATIVE;
  else if (strcmp(mode, "generic") == 0)
    xo->mode = IGS_XDP_MODE_GENERIC;
  else if (mode[0] && strcmp(mode, "auto") != 0) {
    throw_arg(env, "openPort: options.xdpMode must be \"auto\", \"native\" or \"generic\", got \"%s\"", mode);
    return -1;
  }
  return 0;
}

static napi_value js_open_port(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, argv, 3, 2, "openPort(ifname, index[, options])") < 0) return NULL;
  char name[IFNAMSIZ];
  int index;
  if (get_ifname(env, argv[0], name, "openPort") < 0 || get_port_index(env, argv[1], &index, "openPort") < 0)
    return NULL;
  igs_open_opts o = {0};
  igs_xsk_opts xo = {0};
  int use_xdp = 0;
  int has_opts = get_options(env, argv[2], "openPort: options must be an object");
  if (has_opts < 0 || (has_opts && get_open_options(env, argv[2], &o, &xo, &use_xdp) < 0)) return NULL;
  addon *a = get_addon(env);
  igs_err e;
  if (igs_open_port(&a->ctx, name, index, &o, &e) < 0) return throw_igs(env, &e);
  if (use_xdp && igs_xsk_open(&a->ctx, index, &xo, &e) < 0) {
    igs_close_port(&a->ctx, index); /* all or nothing: the caller decides whether AF_PACKET alone will do */
    return throw_igs(env, &e);
  }
  igs_port *p = &a->ctx.ports[index];
  napi_value out = new_object(env);
  char mac[18];
  mac_str(p->mac, mac);
  set_num(env, out, "ifindex", p->ifindex);
  set_str(env, out, "mac", mac);
  set_num(env, out, "mtu", p->mtu);
  set_str(env, out, "io", p->xsk ? "af_xdp" : "af_packet");
  if (p->xsk) set_str(env, out, "xdpMode", igs_xsk_mode(&a->ctx, index));
  int rcvbuf = 0;
  socklen_t rl = sizeof rcvbuf;
  if (getsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rl) == 0) set_num(env, out, "rcvbuf", rcvbuf);
  set_num(env, out, "rxRingFrames", p->ring ? p->ring_frames : 0);
  return out;
}

static napi_value js_close_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int index;
  if (get_args(env, info, argv, 1, 1, "closePort(index)") < 0 || get_port_index(env, argv[0], &index, "closePort") < 0)
    return NULL;
  igs_close_port(&get_addon(env)->ctx, index);
  return NULL;
}

/* ------------------------------------------------------------------------------------------------------ */
/* hot path                                                                                                */

static napi_value js_receive(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  const char *usage = "receive(maxFrames: number, timeoutMs: number)";
  if (get_args(env, info, argv, 2, 2, usage) < 0) return NULL;
  uint32_t max = 0;
  int32_t timeout = 0;
  if (napi_get_value_uint32(env, argv[0], &max) != napi_ok || napi_get_value_int32(env, argv[1], &timeout) != napi_ok)
    return throw_arg(env, "%s", usage);
  addon *a = get_addon(env);
  if (!memory_ok(env, a, "receive")) return NULL;
  igs_err e;
  int n = igs_receive_timed(&a->ctx, max, timeout, &e);
  if (n < 0) return throw_igs(env, &e);
  return js_u32(env, (uint32_t)n);
}

/* rxPending() -> boolean: frames are waiting (an XSK RX ring, or a port that returned frames last time). */
static napi_value js_rx_pending(napi_env env, napi_callback_info info) {
  (void)info;
  return js_bool(env, igs_rx_pending(&get_addon(env)->ctx) != 0);
}

/* takeWake() -> boolean: a wake-up (eventfd) was consumed by receive() since the last call; clears it. A receive()
 * that finds frames and the wake together returns the frames, so the caller asks this before it puts off the
 * handling of its messages (otherwise they would wait for the next wake-up or the idle poll's timeout). */
static napi_value js_take_wake(napi_env env, napi_callback_info info) {
  (void)info;
  igs_ctx *c = &get_addon(env)->ctx;
  int seen = c->wake_seen;
  c->wake_seen = 0;
  return js_bool(env, seen != 0);
}

/* receiveTuning({busyPollUs}) -> {busyPollUs}: how long receive() keeps polling without blocking after the last
 * frame (0 = block at once). Without an argument, returns the current setting. */
static napi_value js_receive_tuning(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, argv, 1, 0, "receiveTuning({busyPollUs?: number})") < 0) return NULL;
  addon *a = get_addon(env);
  int has_opts = get_options(env, argv[0], "receiveTuning({busyPollUs?: number})");
  if (has_opts < 0) return NULL;
  napi_value v;
  if (has_opts && get_present(env, argv[0], "busyPollUs", &v)) {
    uint32_t us;
    if (get_u32(env, v, &us, "receiveTuning: busyPollUs") < 0) return NULL;
    if (us > 1000000) return throw_arg(env, "%s", "receiveTuning: busyPollUs must be 0..1000000");
    a->ctx.busy_poll_ns = (uint64_t)us * 1000u;
    a->ctx.last_rx_ns = a->ctx.prev_rx_ns = a->ctx.gap_ewma_ns = a->ctx.spin_ns = 0;
  }
  napi_value out = new_object(env);
  set_num(env, out, "busyPollUs", (double)(a->ctx.busy_poll_ns / 1000u));
  return out;
}

/* rxStats() -> {polls, blockingPolls, drains, spins, xskParks, ...}: how receive() found its frames (since load). */
static napi_value js_rx_stats(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  napi_value out = new_object(env);
  set_num(env, out, "polls", (double)a->ctx.rx.polls);
  set_num(env, out, "blockingPolls", (double)a->ctx.rx.blocking_polls);
  set_num(env, out, "drains", (double)a->ctx.rx.drains);
  set_num(env, out, "spins", (double)a->ctx.rx.spins);
  set_num(env, out, "xskParks", (double)a->ctx.rx.xsk_parks);
  set_num(env, out, "awayMaxMs", (double)a->ctx.rx.away_max_ns / 1e6);
  set_num(env, out, "awayOver1ms", (double)a->ctx.rx.away_over_1ms);
  set_num(env, out, "awayOver4ms", (double)a->ctx.rx.away_over_4ms);
  set_num(env, out, "fillLow", (double)a->ctx.rx.fill_low);
  if (a->ctx.pool) set_num(env, out, "freeChunksMin", (double)a->ctx.rx.free_min);
  return out;
}

static napi_value js_transmit(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  if (!memory_ok(env, a, "transmit")) return NULL;
  return js_u32(env, igs_transmit(&a->ctx));
}

/* The bytes of a Uint8Array/Buffer, DataView or ArrayBuffer (no copy). */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len, const char *fn) {
  bool is_ta = false, is_dv = false, is_ab = false;
  napi_is_typedarray(env, v, &is_ta);
  napi_is_dataview(env, v, &is_dv);
  napi_is_arraybuffer(env, v, &is_ab);
  napi_status s = napi_invalid_arg;
  if (is_ta) {
    napi_typedarray_type tt;
    s = napi_get_typedarray_info(env, v, &tt, len, data, NULL, NULL);
    if (s == napi_ok && tt != napi_uint8_array && tt != napi_int8_array && tt != napi_uint8_clamped_array) {
      throw_arg(env, "%s: frame must be a Uint8Array/Buffer", fn);
      return -1;
    }
  } else if (is_dv) {
    s = napi_get_dataview_info(env, v, len, data, NULL, NULL);
  } else if (is_ab) {
    s = napi_get_arraybuffer_info(env, v, data, len);
  } else {
    throw_arg(env, "%s: frame must be a Uint8Array, Buffer, DataView or ArrayBuffer", fn);
    return -1;
  }
  if (s != napi_ok) {
    throw_last(env, "reading the frame's bytes");
    return -1;
  }
  return 0;
}

static napi_value js_inject(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, argv, 2, 2, "inject(portOrMask: number | bigint, frame: Uint8Array)") < 0) return NULL;
  uint64_t mask = 0;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t == napi_bigint) {
    bool lossless = false;
    napi_get_value_bigint_uint64(env, argv[0], &mask, &lossless);
    if (!lossless) return throw_arg(env, "%s", "inject: port mask must fit in 64 bits");
  } else {
    int index;
    if (get_port_index(env, argv[0], &index, "inject") < 0) return NULL;
    mask = 1ULL << index;
  }
  void *data = NULL;
  size_t len = 0;
  if (get_bytes(env, argv[1], &data, &len, "inject") < 0) return NULL;
  if (len < 14 || len > 65535 + 14) return throw_arg(env, "%s", "inject: frame length must be 14..65549 bytes");
  return js_u32(env, (uint32_t)igs_inject(&get_addon(env)->ctx, mask, data, len));
}

static napi_value js_wake_fd(napi_env env, napi_callback_info info) {
  (void)info;
  igs_err e;
  int fd = igs_wake_fd(&get_addon(env)->ctx, &e);
  if (fd < 0) return throw_igs(env, &e);
  return js_i32(env, fd);
}

static napi_value js_wake(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const char *usage = "wake(fd: number): fd from wakeFd()";
  if (get_args(env, info, argv, 1, 1, usage) < 0) return NULL;
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_arg(env, "%s", usage);
  igs_err e;
  if (igs_wake(fd, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

static napi_value js_now_ms(napi_env env, napi_callback_info info) {
  (void)info;
  return js_u32(env, igs_now_ms());
}

/* ------------------------------------------------------------------------------------------------------ */
/* process and threads (process.c)                                                                         */

static napi_value js_pin_thread(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t cpu;
  if (get_args(env, info, argv, 1, 1, "pinThread(cpu)") < 0 || get_u32(env, argv[0], &cpu, "pinThread: cpu") < 0)
    return NULL;
  igs_err e;
  if (igs_pin_thread(cpu, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

/* Exclusive, non-blocking flock on a descriptor Node opened (fs.openSync): true = this process holds it now. */
static napi_value js_try_lock(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  if (get_args(env, info, argv, 1, 1, "tryLock(fd)") < 0 || get_u32(env, argv[0], &fd, "tryLock: fd") < 0) return NULL;
  igs_err e;
  int r = igs_try_lock((int)fd, &e);
  if (r < 0) return throw_igs(env, &e);
  return js_bool(env, r == 1);
}

static napi_value js_parent_death_signal(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t signo;
  if (get_args(env, info, argv, 1, 1, "parentDeathSignal(signo)") < 0 ||
      get_u32(env, argv[0], &signo, "parentDeathSignal: signo") < 0)
    return NULL;
  igs_err e;
  if (igs_parent_death_signal((int)signo, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

static napi_value js_yield_other_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const char *usage = "yieldOtherThreads(nice: -20..19)";
  if (get_args(env, info, argv, 1, 1, usage) < 0) return NULL;
  int32_t nice_v;
  if (napi_get_value_int32(env, argv[0], &nice_v) != napi_ok || nice_v < -20 || nice_v > 19)
    return throw_arg(env, "%s", usage);
  igs_err e;
  int changed = igs_yield_other_threads(nice_v, &e);
  if (changed < 0) return throw_igs(env, &e);
  return js_i32(env, changed);
}

/* ------------------------------------------------------------------------------------------------------ */
/* stats / link state                                                                                      */

static napi_value js_port_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int index;
  if (get_args(env, info, argv, 1, 1, "portStats(index)") < 0 || get_port_index(env, argv[0], &index, "portStats") < 0)
    return NULL;
  addon *a = get_addon(env);
  igs_port *p = &a->ctx.ports[index];
  if (p->ifname[0] == 0) return js_null(env);
  igs_port_stats_refresh(&a->ctx, index);
  igs_xsk_stats_refresh(&a->ctx, index);
  const igs_port_stats *s = &p->st;
  napi_value out = new_object(env);
  char mac[18];
  mac_str(p->mac, mac);
  set_str(env, out, "ifname", p->ifname);
  set_num(env, out, "ifindex", p->ifindex);
  set_str(env, out, "mac", mac);
  set_num(env, out, "mtu", p->mtu);
  set_bool(env, out, "open", p->fd >= 0);
  set_bool(env, out, "qdiscBypass", p->qdisc_bypass);
  set_num(env, out, "rxFrames", (double)s->rx_frames);
  set_num(env, out, "rxBytes", (double)s->rx_bytes);
  set_num(env, out, "rxTruncated", (double)s->rx_truncated);
  set_num(env, out, "rxVlanRestored", (double)s->rx_vlan_restored);
  set_num(env, out, "rxGso", (double)s->rx_gso);
  set_num(env, out, "rxCsumPartial", (double)s->rx_csum_partial);
  set_num(env, out, "rxErrors", (double)s->rx_errors);
  set_num(env, out, "rxDown", (double)s->rx_down);
  set_num(env, out, "txFrames", (double)s->tx_frames);
  set_num(env, out, "txBytes", (double)s->tx_bytes);
  set_num(env, out, "txDrops", (double)s->tx_drops);
  set_num(env, out, "txErrors", (double)s->tx_errors);
  set_num(env, out, "txDown", (double)s->tx_down);
  set_num(env, out, "txInvalid", (double)s->tx_invalid);
  set_num(env, out, "injectFrames", (double)s->inject_frames);
  set_num(env, out, "injectErrors", (double)s->inject_errors);
  set_num(env, out, "kernelPackets", (double)s->kernel_packets);
  set_num(env, out, "kernelDrops", (double)s->kernel_drops);
  set_str(env, out, "lastRxError", s->last_rx_errno ? strerrorname_np(s->last_rx_errno) : "");
  set_str(env, out, "lastTxError", s->last_tx_errno ? strerrorname_np(s->last_tx_errno) : "");
  set_str(env, out, "io", p->xsk ? "af_xdp" : "af_packet");
  if (p->xsk) set_str(env, out, "xdpMode", igs_xsk_mode(&a->ctx, index));
  set_num(env, out, "xskRxFrames", (double)s->xsk_rx_frames);
  set_num(env, out, "xskTxFrames", (double)s->xsk_tx_frames);
  set_num(env, out, "xskTxDrops", (double)s->xsk_tx_drops);
  set_num(env, out, "xskRxDropped", (double)s->xsk_rx_dropped);
  set_num(env, out, "xskRxRingFull", (double)s->xsk_rx_ring_full);
  set_num(env, out, "xskFillEmpty", (double)s->xsk_fill_empty);
  set_num(env, out, "xskTxInvalid", (double)s->xsk_tx_invalid);
  return out;
}

static napi_value js_link_state(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  const char *usage = "linkState(ifname[, {carrier: boolean}])";
  if (get_args(env, info, argv, 2, 1, usage) < 0) return NULL;
  char name[64];
  if (get_string(env, argv[0], name, sizeof name, "linkState: ifname") < 0) return NULL;
  /* linkState(ifname, {carrier: false}): skip ETHTOOL_GLINK (rtnl_lock) — for the data-plane thread. */
  int with_carrier = 1;
  int has_opts = get_options(env, argv[1], usage);
  if (has_opts < 0 || (has_opts && opt_bool(env, argv[1], "linkState: options.", "carrier", &with_carrier) < 0))
    return NULL;
  igs_link l;
  igs_err e;
  int r = igs_link_state(&get_addon(env)->ctx, name, with_carrier, &l, &e);
  if (r < 0) return throw_igs(env, &e);
  if (r == 0) return js_null(env);
  napi_value out = new_object(env);
  set_num(env, out, "ifindex", l.ifindex);
  set_bool(env, out, "up", l.up);
  set_bool(env, out, "adminUp", l.admin_up);
  set_bool(env, out, "running", l.running);
  set_bool(env, out, "carrier", l.carrier);
  set_num(env, out, "mtu", l.mtu);
  return out;
}

/* ------------------------------------------------------------------------------------------------------ */
/* offloads and features (names and policy: offload.c; the bits: ethtool.c)                               */

/* Every friendly offload: true/false, null when the kernel has none of its features. */
static napi_value offloads_object(napi_env env, const igs_features *f) {
  napi_value out = new_object(env);
  for (size_t g = 0; g < IGS_N_OFFLOADS; g++) {
    int s = igs_offload_state(f, &IGS_OFFLOADS[g]);
    set_prop(env, out, IGS_OFFLOADS[g].key, s < 0 ? js_null(env) : js_bool(env, s));
  }
  return out;
}

/* Every feature by its kernel name: { active, requested, changeable }. */
static napi_value features_object(napi_env env, const igs_features *f) {
  napi_value out = new_object(env);
  for (uint32_t i = 0; i < f->count; i++) {
    if (f->names[i][0] == 0) continue;
    napi_value o = new_object(env);
    set_bool(env, o, "active", igs_fbit(f->active, (int)i));
    set_bool(env, o, "requested", igs_fbit(f->requested, (int)i));
    set_bool(env, o, "changeable", igs_fbit(f->available, (int)i));
    set_prop(env, out, f->names[i], o);
  }
  return out;
}

/* Every feature by its kernel name: active. */
static napi_value features_active_object(napi_env env, const igs_features *f) {
  napi_value out = new_object(env);
  for (uint32_t i = 0; i < f->count; i++)
    if (f->names[i][0]) set_bool(env, out, f->names[i], igs_fbit(f->active, (int)i));
  return out;
}

/* Read an interface's features and render them. */
static napi_value render_features(napi_env env, igs_ctx *c, const char *ifname,
                                  napi_value (*render)(napi_env, const igs_features *)) {
  igs_features f;
  igs_err e;
  if (igs_features_get(c, ifname, &f, &e) < 0) return throw_igs(env, &e);
  napi_value out = render(env, &f);
  igs_features_free(&f);
  return out;
}

/* Shared by getOffloads and features. */
static napi_value read_features(napi_env env, napi_callback_info info, const char *fn, const char *usage,
                                napi_value (*render)(napi_env, const igs_features *)) {
  napi_value argv[1];
  char name[IFNAMSIZ];
  if (get_args(env, info, argv, 1, 1, usage) < 0 || get_ifname(env, argv[0], name, fn) < 0) return NULL;
  return render_features(env, &get_addon(env)->ctx, name, render);
}

static napi_value js_get_offloads(napi_env env, napi_callback_info info) {
  return read_features(env, info, "getOffloads", "getOffloads(ifname)", offloads_object);
}

static napi_value js_features(napi_env env, napi_callback_info info) {
  return read_features(env, info, "features", "features(ifname)", features_object);
}

/* settings[key] for each own key: undefined/null skipped, anything but a boolean refused; each wish is added to ch
 * (friendly: key is an offload group of offload.c; else a kernel feature name). */
static int get_feature_wishes(napi_env env, napi_value settings, const igs_features *f, igs_feature_change *ch,
                              int friendly) {
  napi_value keys;
  uint32_t nk = 0;
  napi_get_property_names(env, settings, &keys);
  napi_get_array_length(env, keys, &nk);
  igs_err e;
  for (uint32_t k = 0; k < nk; k++) {
    napi_value kv, vv;
    napi_get_element(env, keys, k, &kv);
    char key[64], what[32];
    snprintf(what, sizeof what, "%s: key", ch->fn);
    if (get_string(env, kv, key, sizeof key, what) < 0) return -1;
    napi_get_property(env, settings, kv, &vv);
    napi_valuetype vt;
    napi_typeof(env, vv, &vt);
    if (vt == napi_undefined || vt == napi_null) continue;
    if (vt != napi_boolean) {
      igs_set_err(&e, 0, "%s(%s): %s must be a boolean", ch->fn, ch->ifname, key);
      throw_igs(env, &e);
      return -1;
    }
    bool want;
    napi_get_value_bool(env, vv, &want);
    const char *const *members;
    const char *single[2] = {key, NULL};
    if (friendly) {
      const igs_offload_group *g = igs_offload_find(key);
      if (!g) {
        igs_set_err(&e, 0, "%s(%s): unknown offload '%s'", ch->fn, ch->ifname, key);
        throw_igs(env, &e);
        return -1;
      }
      members = g->names;
    } else {
      members = single;
    }
    if (igs_feature_change_want(ch, f, key, members, want, &e) < 0) {
      throw_igs(env, &e);
      return -1;
    }
  }
  return 0;
}

/*
 * Shared by setOffloads (friendly keys) and setFeatures (kernel names). Only features whose requested state
 * differs are touched; asking for a fixed feature to change throws (naming the feature and interface).
 * Returns the features as they are afterwards (kernel may refuse a wish because of a dependency).
 */
static napi_value set_features_common(napi_env env, napi_callback_info info, int friendly) {
  const char *fn = friendly ? "setOffloads" : "setFeatures";
  napi_value argv[2];
  char name[IFNAMSIZ];
  if (get_args(env, info, argv, 2, 2, friendly ? "setOffloads(ifname, settings)" : "setFeatures(ifname, settings)") < 0 ||
      get_ifname(env, argv[0], name, fn) < 0)
    return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_object) return throw_arg(env, "%s: settings must be an object of booleans", fn);
  addon *a = get_addon(env);
  igs_features f;
  igs_feature_change ch;
  igs_err e;
  if (igs_features_get(&a->ctx, name, &f, &e) < 0) return throw_igs(env, &e);
  if (igs_feature_change_init(&ch, &f, fn, name, &e) < 0) {
    igs_features_free(&f);
    return throw_igs(env, &e);
  }
  int r = get_feature_wishes(env, argv[1], &f, &ch, friendly);
  if (r == 0 && igs_feature_change_apply(&a->ctx, &f, &ch, &e) < 0) {
    throw_igs(env, &e);
    r = -1;
  }
  igs_feature_change_free(&ch);
  igs_features_free(&f);
  if (r < 0) return NULL;
  return render_features(env, &a->ctx, name, friendly ? offloads_object : features_active_object);
}

static napi_value js_set_offloads(napi_env env, napi_callback_info info) { return set_features_common(env, info, 1); }
static napi_value js_set_features(napi_env env, napi_callback_info info) { return set_features_common(env, info, 0); }

/* ------------------------------------------------------------------------------------------------------ */
/* link notifications (netlink.c)                                                                          */

static napi_value js_watch_links(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, argv, 1, 0, "watchLinks(on?: boolean)") < 0) return NULL;
  bool on = true;
  napi_get_value_bool(env, argv[0], &on); /* undefined (no argument) leaves it on */
  igs_err e;
  if (igs_watch_links(&get_addon(env)->ctx, on, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

static napi_value js_links_pending(napi_env env, napi_callback_info info) {
  (void)info;
  return js_bool(env, get_addon(env)->ctx.nl_pending != 0);
}

typedef struct link_cb_state {
  napi_env env;
  napi_value arr;
  uint32_t n;
} link_cb_state;

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

static void link_cb(void *arg, int ifindex, const char *ifname, unsigned flags, int deleted) {
  link_cb_state *s = arg;
  napi_value o = new_object(s->env);
  if (deleted < 0) {
    set_bool(s->env, o, "resync", 1);
  } else {
    set_num(s->env, o, "ifindex", ifindex);
    set_str(s->env, o, "ifname", ifname);
    set_bool(s->env, o, "deleted", deleted);
    set_bool(s->env, o, "up", (flags & IFF_UP) && (flags & IFF_RUNNING) && !deleted);
    set_bool(s->env, o, "carrier", (flags & IFF_LOWER_UP) != 0);
  }
  napi_set_element(s->env, s->arr, s->n++, o);
}

static napi_value js_link_events(napi_env env, napi_callback_info info) {
  (void)info;
  link_cb_state s = {.env = env, .n = 0};
  napi_create_array(env, &s.arr);
  igs_drain_links(&get_addon(env)->ctx, link_cb, &s);
  return s.arr;
}

/* ------------------------------------------------------------------------------------------------------ */
/* module                                                                                                  */

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)hint;
  addon *a = data;
  igs_ctx_destroy(&a->ctx);
  igs_xsk_pool_free(&a->ctx);
  if (a->mem_ref) napi_delete_reference(env, a->mem_ref);
  free(a);
}

#define BINDING(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  addon *a = calloc(1, sizeof *a);
  if (!a) {
    napi_throw_error(env, NULL, "igmpswitch_packet: out of memory");
    return NULL;
  }
  igs_ctx_init(&a->ctx);
  if (napi_set_instance_data(env, a, finalize_instance, NULL) != napi_ok) {
    free(a);
    napi_throw_error(env, NULL, "igmpswitch_packet: napi_set_instance_data failed");
    return NULL;
  }
  napi_property_descriptor props[] = {
      BINDING("attach", js_attach),
      BINDING("openPort", js_open_port),
      BINDING("closePort", js_close_port),
      BINDING("receive", js_receive),
      BINDING("rxPending", js_rx_pending),
      BINDING("takeWake", js_take_wake),
      BINDING("transmit", js_transmit),
      BINDING("inject", js_inject),
      BINDING("wakeFd", js_wake_fd),
      BINDING("wake", js_wake),
      BINDING("receiveTuning", js_receive_tuning),
      BINDING("yieldOtherThreads", js_yield_other_threads),
      BINDING("rxStats", js_rx_stats),
      BINDING("pinThread", js_pin_thread),
      BINDING("nowMs", js_now_ms),
      BINDING("portStats", js_port_stats),
      BINDING("linkState", js_link_state),
      BINDING("getOffloads", js_get_offloads),
      BINDING("setOffloads", js_set_offloads),
      BINDING("features", js_features),
      BINDING("setFeatures", js_set_features),
      BINDING("watchLinks", js_watch_links),
      BINDING("linksPending", js_links_pending),
      BINDING("linkEvents", js_link_events),
      BINDING("tryLock", js_try_lock),
      BINDING("parentDeathSignal", js_parent_death_signal),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value k = new_object(env);
  set_num(env, k, "MAX_PORTS", IGS_MAX_PORTS);
  set_num(env, k, "VNET_HDR_LEN", IGS_VNET_LEN);
  set_num(env, k, "DISCOVER_EVERY", IGS_DISCOVER_EVERY);
  napi_object_freeze(env, k);
  set_prop(env, exports, "constants", k);
  return exports;
}
