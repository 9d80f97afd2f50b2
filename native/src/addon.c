/*
 * node-api glue for the igmpswitch packet I/O addon (igmpswitch_packet.node).
 *
 * Context-aware (NAPI_MODULE_INIT + instance data): every thread that loads the addon (the main thread, the
 * data-plane worker) gets its own igs_ctx — its own ports, eventfd and Wasm memory pointer. Only wake(fd)
 * crosses threads, and it does so through the kernel (an eventfd write).
 *
 * API (see native/README.md and src/io/packet-addon.ts for the typed face):
 *   attach(buffer, layout)                 receive(maxFrames, timeoutMs) -> n     transmit() -> sent
 *   openPort(ifname, index, opts?) -> {..} closePort(index)                        inject(portOrMask, frame) -> n
 *   wakeFd() -> fd   wake(fd)              linkState(ifname) -> {..} | null         portStats(index) -> {..} | null
 *   getOffloads(ifname) / offloads(ifname) setOffloads(ifname, {gro, lro, ...})   features / setFeatures
 *   watchLinks(on)  linksPending()  linkEvents()                                    nowMs()  pinThread(cpu)
 *   tryLock(fd) -> bool                    parentDeathSignal(signo)
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igs.h"

typedef struct addon {
  igs_ctx ctx;
  napi_ref mem_ref; /* keeps the attached ArrayBuffer (and so the Wasm memory) alive */
} addon;

/* ------------------------------------------------------------------------------------------------------ */
/* helpers                                                                                                 */

#define CHECK(call)                                                                                        \
  do {                                                                                                     \
    if ((call) != napi_ok) return throw_last(env, #call);                                                  \
  } while (0)

static napi_value throw_last(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    char msg[256];
    snprintf(msg, sizeof msg, "igmpswitch_packet: %s failed: %s", what,
             info && info->error_message ? info->error_message : "node-api error");
    napi_throw_error(env, NULL, msg);
  }
  return NULL;
}

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}
static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  set_prop(env, obj, key, x);
}
static void set_bool(napi_env env, napi_value obj, const char *key, int v) {
  napi_value x;
  napi_get_boolean(env, v != 0, &x);
  set_prop(env, obj, key, x);
}
static void set_str(napi_env env, napi_value obj, const char *key, const char *v) {
  napi_value x;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &x);
  set_prop(env, obj, key, x);
}

/* Throw an Error carrying .code (errno name, e.g. "ENODEV"), .errno and the message (which names the
 * interface). err == 0 means an argument/usage problem: plain TypeError-like Error with code ERR_IGS_ARG. */
static napi_value throw_igs(napi_env env, const igs_err *e) {
  napi_value msg, code, err;
  const char *cname = e->err ? strerrorname_np(e->err) : "ERR_IGS_ARG";
  napi_create_string_utf8(env, e->msg, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, cname ? cname : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &err);
  if (e->err) set_num(env, err, "errno", e->err);
  napi_throw(env, err);
  return NULL;
}

static napi_value throw_arg(napi_env env, const char *fmt, const char *a) {
  igs_err e;
  igs_set_err(&e, 0, fmt, a);
  return throw_igs(env, &e);
}

static addon *get_addon(napi_env env) {
  void *d = NULL;
  napi_get_instance_data(env, &d);
  return d;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t cap, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) {
    throw_arg(env, "%s must be a string", what);
    return -1;
  }
  if (len + 1 >= cap) {
    throw_arg(env, "%s is too long", what);
    return -1;
  }
  return 0;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out, const char *what) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  double d;
  if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 4294967295.0 ||
      d != (double)(uint32_t)d) {
    throw_arg(env, "%s must be an integer in 0..2^32-1", what);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

/* Layout property: required unless dflt is given (>= 0). */
static int get_layout_u32(napi_env env, napi_value obj, const char *key, uint32_t *out, int64_t dflt) {
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) {
    if (dflt >= 0) {
      *out = (uint32_t)dflt;
      return 0;
    }
    throw_arg(env, "attach: layout.%s is missing", key);
    return -1;
  }
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  char what[64];
  snprintf(what, sizeof what, "attach: layout.%s", key);
  return get_u32(env, v, out, what);
}

static int get_ifname(napi_env env, napi_value v, char name[IFNAMSIZ], const char *fn) {
  char buf[64];
  char what[48];
  snprintf(what, sizeof what, "%s: ifname", fn);
  if (get_string(env, v, buf, sizeof buf, what) < 0) return -1;
  if (buf[0] == 0 || strlen(buf) >= IFNAMSIZ) {
    igs_err e;
    igs_set_err(&e, 0, "%s: interface name '%s' must be 1..%d characters", fn, buf, IFNAMSIZ - 1);
    throw_igs(env, &e);
    return -1;
  }
  memcpy(name, buf, IFNAMSIZ);
  name[IFNAMSIZ - 1] = 0;
  return 0;
}

static int get_port_index(napi_env env, napi_value v, int *out, const char *fn) {
  uint32_t i;
  char what[48];
  snprintf(what, sizeof what, "%s: port index", fn);
  if (get_u32(env, v, &i, what) < 0) return -1;
  if (i >= IGS_MAX_PORTS) {
    igs_err e;
    igs_set_err(&e, 0, "%s: port index %u out of range 0..%d", fn, i, IGS_MAX_PORTS - 1);
    throw_igs(env, &e);
    return -1;
  }
  *out = (int)i;
  return 0;
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

static napi_value js_attach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  addon *a = get_addon(env);
  bool is_ab = false;
  if (argc < 2 || napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab)
    return throw_arg(env, "%s", "attach(buffer, layout): buffer must be an ArrayBuffer (WebAssembly.Memory.buffer, "
                                "non-shared)");
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_object) return throw_arg(env, "%s", "attach(buffer, layout): layout must be an object");
  void *data = NULL;
  size_t len = 0;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &len));
  igs_layout L;
  memset(&L, 0, sizeof L);
  napi_value lo = argv[1];
  if (get_layout_u32(env, lo, "desc", &L.desc, -1) < 0 || get_layout_u32(env, lo, "descStride", &L.desc_stride, -1) < 0 ||
      get_layout_u32(env, lo, "slots", &L.slots, -1) < 0 || get_layout_u32(env, lo, "slotStride", &L.slot_stride, -1) < 0 ||
      get_layout_u32(env, lo, "slotHeadroom", &L.slot_headroom, -1) < 0 ||
      get_layout_u32(env, lo, "slotSize", &L.slot_cap, 0) < 0 ||
      get_layout_u32(env, lo, "txCounts", &L.tx_counts, -1) < 0 ||
      get_layout_u32(env, lo, "txLists", &L.tx_lists, -1) < 0 ||
      get_layout_u32(env, lo, "txListStride", &L.tx_list_stride, -1) < 0 ||
      get_layout_u32(env, lo, "maxBatch", &L.max_batch, -1) < 0 ||
      /* AF_XDP UMEM region (optional: without it every port is AF_PACKET). */
      get_layout_u32(env, lo, "umem", &L.umem, 0) < 0 || get_layout_u32(env, lo, "umemChunks", &L.umem_chunks, 0) < 0 ||
      get_layout_u32(env, lo, "umemChunkSize", &L.umem_chunk_size, 0) < 0)
    return NULL;
  /* Descriptor fields and flags: the memory contract (contract.h, generated from src/contract/memory.ts). */
  L.d_offset = IGS_DESC_FRAME;
  L.d_length = IGS_DESC_LENGTH;
  L.d_port = IGS_DESC_PORT;
  L.d_flags = IGS_DESC_FLAGS;
  L.d_time = IGS_DESC_TIME;
  L.d_vnet = IGS_DESC_VNET;
  L.f_truncated = IGS_DESC_FLAG_TRUNCATED;
  L.f_csum_partial = IGS_DESC_FLAG_CSUM_PARTIAL;
  L.f_gso = IGS_DESC_FLAG_GSO;
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

static int get_opt_int(napi_env env, napi_value obj, const char *key, int *out) {
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return 0;
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    *out = b;
    return 0;
  }
  uint32_t u;
  char what[64];
  snprintf(what, sizeof what, "openPort: options.%s", key);
  if (get_u32(env, v, &u, what) < 0) return -1;
  *out = (int)(u > 0x7fffffff ? 0x7fffffff : u);
  return 0;
}

/* Optional string option: absent/undefined leaves out untouched (""). */
static int get_opt_str(napi_env env, napi_value obj, const char *key, char *out, size_t cap) {
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return 0;
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  size_t n = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, out, cap, &n) != napi_ok || n >= cap - 1) {
    throw_arg(env, "openPort: options.%s must be a short string", key);
    return -1;
  }
  return 0;
}

static napi_value js_open_port(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_arg(env, "%s", "openPort(ifname, index[, options])");
  char name[IFNAMSIZ];
  int index;
  if (get_ifname(env, argv[0], name, "openPort") < 0 || get_port_index(env, argv[1], &index, "openPort") < 0)
    return NULL;
  igs_open_opts o = {0};
  igs_xsk_opts xo = {0};
  int use_xdp = 0;
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t == napi_object) {
      if (get_opt_int(env, argv[2], "qdiscBypass", &o.qdisc_bypass) < 0 ||
          get_opt_int(env, argv[2], "rcvbuf", &o.rcvbuf) < 0 || get_opt_int(env, argv[2], "sndbuf", &o.sndbuf) < 0 ||
          get_opt_int(env, argv[2], "zeroCopy", &xo.zero_copy) < 0 ||
          get_opt_int(env, argv[2], "xdpWireOnly", &xo.wire_only) < 0 ||
          get_opt_int(env, argv[2], "rxRing", &o.rx_ring) < 0)
        return NULL;
      char io[16] = "", mode[16] = "";
      if (get_opt_str(env, argv[2], "io", io, sizeof io) < 0 || get_opt_str(env, argv[2], "xdpMode", mode, sizeof mode) < 0)
        return NULL;
      if (strcmp(io, "af_xdp") == 0)
        use_xdp = 1;
      else if (io[0] && strcmp(io, "af_packet") != 0)
        return throw_arg(env, "openPort: options.io must be \"af_xdp\" or \"af_packet\", got \"%s\"", io);
      if (strcmp(mode, "native") == 0)
        xo.mode = IGS_XDP_MODE_NATIVE;
      else if (strcmp(mode, "generic") == 0)
        xo.mode = IGS_XDP_MODE_GENERIC;
      else if (mode[0] && strcmp(mode, "auto") != 0)
        return throw_arg(env, "openPort: options.xdpMode must be \"auto\", \"native\" or \"generic\", got \"%s\"", mode);
    } else if (t != napi_undefined) {
      return throw_arg(env, "%s", "openPort: options must be an object");
    }
  }
  addon *a = get_addon(env);
  igs_err e;
  if (igs_open_port(&a->ctx, name, index, &o, &e) < 0) return throw_igs(env, &e);
  if (use_xdp && igs_xsk_open(&a->ctx, index, &xo, &e) < 0) {
    igs_close_port(&a->ctx, index); /* all or nothing: the caller decides whether AF_PACKET alone will do */
    return throw_igs(env, &e);
  }
  igs_port *p = &a->ctx.ports[index];
  napi_value out;
  napi_create_object(env, &out);
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
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int index;
  if (argc < 1 || get_port_index(env, argv[0], &index, "closePort") < 0) return NULL;
  igs_close_port(&get_addon(env)->ctx, index);
  return NULL;
}

/* ------------------------------------------------------------------------------------------------------ */
/* hot path                                                                                                */

static napi_value js_receive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t max = 0;
  int32_t timeout = 0;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &max) != napi_ok ||
      napi_get_value_int32(env, argv[1], &timeout) != napi_ok)
    return throw_arg(env, "%s", "receive(maxFrames: number, timeoutMs: number)");
  addon *a = get_addon(env);
  if (!memory_ok(env, a, "receive")) return NULL;
  igs_err e;
  int n = igs_receive_all(&a->ctx, max, timeout, &e);
  if (n < 0) return throw_igs(env, &e);
  napi_value out;
  napi_create_uint32(env, (uint32_t)n, &out);
  return out;
}

/* receiveTuning({busyPollUs}) -> {busyPollUs}: how long receive() keeps polling without blocking after the last
 * frame (0 = block at once). Without an argument, returns the current setting. */
static napi_value js_receive_tuning(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  addon *a = get_addon(env);
  if (argc >= 1) {
    napi_valuetype t;
    napi_typeof(env, argv[0], &t);
    if (t != napi_object) return throw_arg(env, "%s", "receiveTuning({busyPollUs?: number})");
    bool has;
    napi_has_named_property(env, argv[0], "busyPollUs", &has);
    if (has) {
      napi_value v;
      uint32_t us;
      napi_get_named_property(env, argv[0], "busyPollUs", &v);
      if (get_u32(env, v, &us, "receiveTuning: busyPollUs") < 0) return NULL;
      if (us > 1000000) return throw_arg(env, "%s", "receiveTuning: busyPollUs must be 0..1000000");
      a->ctx.busy_poll_ns = (uint64_t)us * 1000u;
      a->ctx.last_rx_ns = 0;
    }
  }
  napi_value out;
  napi_create_object(env, &out);
  set_num(env, out, "busyPollUs", (double)(a->ctx.busy_poll_ns / 1000u));
  return out;
}

/* rxStats() -> {polls, blockingPolls, drains, spins}: how receive() found its frames (since load). */
static napi_value js_rx_stats(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  napi_value out;
  napi_create_object(env, &out);
  set_num(env, out, "polls", (double)a->ctx.rx.polls);
  set_num(env, out, "blockingPolls", (double)a->ctx.rx.blocking_polls);
  set_num(env, out, "drains", (double)a->ctx.rx.drains);
  set_num(env, out, "spins", (double)a->ctx.rx.spins);
  return out;
}

static napi_value js_transmit(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  if (!memory_ok(env, a, "transmit")) return NULL;
  napi_value out;
  napi_create_uint32(env, igs_transmit(&a->ctx), &out);
  return out;
}

static napi_value js_inject(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_arg(env, "%s", "inject(portOrMask: number | bigint, frame: Uint8Array)");
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
  bool is_ta = false, is_dv = false, is_ab = false;
  napi_is_typedarray(env, argv[1], &is_ta);
  napi_is_dataview(env, argv[1], &is_dv);
  napi_is_arraybuffer(env, argv[1], &is_ab);
  if (is_ta) {
    napi_typedarray_type tt;
    size_t n;
    CHECK(napi_get_typedarray_info(env, argv[1], &tt, &n, &data, NULL, NULL));
    if (tt != napi_uint8_array && tt != napi_int8_array && tt != napi_uint8_clamped_array)
      return throw_arg(env, "%s", "inject: frame must be a Uint8Array/Buffer");
    len = n;
  } else if (is_dv) {
    CHECK(napi_get_dataview_info(env, argv[1], &len, &data, NULL, NULL));
  } else if (is_ab) {
    CHECK(napi_get_arraybuffer_info(env, argv[1], &data, &len));
  } else {
    return throw_arg(env, "%s", "inject: frame must be a Uint8Array, Buffer, DataView or ArrayBuffer");
  }
  if (len < 14 || len > 65535 + 14) return throw_arg(env, "%s", "inject: frame length must be 14..65549 bytes");
  napi_value out;
  napi_create_uint32(env, (uint32_t)igs_inject(&get_addon(env)->ctx, mask, data, len), &out);
  return out;
}

static napi_value js_wake_fd(napi_env env, napi_callback_info info) {
  (void)info;
  igs_err e;
  int fd = igs_wake_fd(&get_addon(env)->ctx, &e);
  if (fd < 0) return throw_igs(env, &e);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value js_wake(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0)
    return throw_arg(env, "%s", "wake(fd: number): fd from wakeFd()");
  igs_err e;
  if (igs_wake(fd, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

static napi_value js_now_ms(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_uint32(env, igs_now_ms(), &out);
  return out;
}

/* Pin the calling thread (e.g. the data-plane worker) to one CPU: keeps its cache warm and its softirq
 * partner predictable. Only this thread is affected (pthread_self), not the whole process. */
static napi_value js_pin_thread(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t cpu;
  if (argc < 1 || get_u32(env, argv[0], &cpu, "pinThread: cpu") < 0) return NULL;
  if (cpu >= CPU_SETSIZE) return throw_arg(env, "%s", "pinThread: cpu out of range");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (r != 0) {
    igs_err e;
    igs_set_err(&e, r, "pinThread(%u): %s", cpu, strerror(r));
    return throw_igs(env, &e);
  }
  return NULL;
}

/* Exclusive, non-blocking flock on a descriptor Node opened (fs.openSync): true = this process holds it now. */
static napi_value js_try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t fd;
  if (argc < 1 || get_u32(env, argv[0], &fd, "tryLock: fd") < 0) return NULL;
  igs_err e;
  int r = igs_try_lock((int)fd, &e);
  if (r < 0) return throw_igs(env, &e);
  napi_value out;
  napi_get_boolean(env, r == 1, &out);
  return out;
}

static napi_value js_parent_death_signal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t signo;
  if (argc < 1 || get_u32(env, argv[0], &signo, "parentDeathSignal: signo") < 0) return NULL;
  igs_err e;
  if (igs_parent_death_signal((int)signo, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

/*
 * yieldOtherThreads(nice) -> n: set every other thread of this process (the main thread with its timers and
 * GC, V8's platform workers, libuv's pool) to `nice` when it is less nice than that, so the calling data-plane
 * thread runs first when they share a CPU. Lowering priority needs no privilege, and nothing gets more CPU than
 * before: it decides what runs when. Threads created later inherit their creator's (lowered) value.
 */
static napi_value js_yield_other_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t nice_v;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &nice_v) != napi_ok || nice_v < -20 || nice_v > 19)
    return throw_arg(env, "%s", "yieldOtherThreads(nice: -20..19)");
  pid_t self = (pid_t)syscall(SYS_gettid);
  DIR *d = opendir("/proc/self/task");
  if (!d) {
    igs_err e;
    igs_set_err(&e, errno, "yieldOtherThreads: /proc/self/task: %s", strerror(errno));
    return throw_igs(env, &e);
  }
  int changed = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    pid_t tid = (pid_t)atoi(de->d_name);
    if (tid == self) continue;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno != 0 || cur >= nice_v) continue;
    if (setpriority(PRIO_PROCESS, (id_t)tid, nice_v) == 0) changed++;
  }
  closedir(d);
  napi_value out;
  napi_create_int32(env, changed, &out);
  return out;
}

/* ------------------------------------------------------------------------------------------------------ */
/* stats / link state                                                                                      */

static napi_value js_port_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int index;
  if (argc < 1 || get_port_index(env, argv[0], &index, "portStats") < 0) return NULL;
  addon *a = get_addon(env);
  igs_port *p = &a->ctx.ports[index];
  napi_value out;
  if (p->ifname[0] == 0) {
    napi_get_null(env, &out);
    return out;
  }
  igs_port_stats_refresh(&a->ctx, index);
  igs_xsk_stats_refresh(&a->ctx, index);
  const igs_port_stats *s = &p->st;
  napi_create_object(env, &out);
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
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[64];
  if (argc < 1 || get_string(env, argv[0], name, sizeof name, "linkState: ifname") < 0) return NULL;
  /* linkState(ifname, {carrier: false}): skip ETHTOOL_GLINK (rtnl_lock) — for the data-plane thread. */
  int with_carrier = 1;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_object) {
      bool has;
      napi_has_named_property(env, argv[1], "carrier", &has);
      if (has) {
        napi_value v;
        bool b;
        napi_get_named_property(env, argv[1], "carrier", &v);
        if (napi_get_value_bool(env, v, &b) != napi_ok) return throw_arg(env, "%s", "linkState: options.carrier must be a boolean");
        with_carrier = b;
      }
    } else if (t != napi_undefined) {
      return throw_arg(env, "%s", "linkState(ifname[, {carrier: boolean}])");
    }
  }
  igs_link l;
  igs_err e;
  int r = igs_link_state(&get_addon(env)->ctx, name, with_carrier, &l, &e);
  if (r < 0) return throw_igs(env, &e);
  napi_value out;
  if (r == 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_object(env, &out);
  set_num(env, out, "ifindex", l.ifindex);
  set_bool(env, out, "up", l.up);
  set_bool(env, out, "adminUp", l.admin_up);
  set_bool(env, out, "running", l.running);
  set_bool(env, out, "carrier", l.carrier);
  set_num(env, out, "mtu", l.mtu);
  return out;
}

/* ------------------------------------------------------------------------------------------------------ */
/* offloads                                                                                                */

/*
 * Friendly offload names -> kernel feature names (as `ethtool -k` prints them). The first name of a group is
 * the one reported; setting a group sets every member the driver lets us change.
 */
typedef struct offload_group {
  const char *key;
  const char *names[6];
} offload_group;

static const offload_group OFFLOADS[] = {
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
#define N_OFFLOADS (sizeof OFFLOADS / sizeof OFFLOADS[0])

/* Reported state of a group: active bit of the first member the kernel knows; -1 when none exists. */
static int group_state(const igs_features *f, const offload_group *g) {
  for (int k = 0; k < 6 && g->names[k]; k++) {
    int i = igs_feature_index(f, g->names[k]);
    if (i >= 0) return igs_fbit(f->active, i);
  }
  return -1;
}

static napi_value offloads_object(napi_env env, const igs_features *f) {
  napi_value out;
  napi_create_object(env, &out);
  for (size_t g = 0; g < N_OFFLOADS; g++) {
    int s = group_state(f, &OFFLOADS[g]);
    napi_value v;
    if (s < 0)
      napi_get_null(env, &v);
    else
      napi_get_boolean(env, s, &v);
    set_prop(env, out, OFFLOADS[g].key, v);
  }
  return out;
}

/* Every feature by its kernel name: { active, requested, changeable }. */
static napi_value features_object(napi_env env, const igs_features *f) {
  napi_value out;
  napi_create_object(env, &out);
  for (uint32_t i = 0; i < f->count; i++) {
    if (f->names[i][0] == 0) continue;
    napi_value o;
    napi_create_object(env, &o);
    set_bool(env, o, "active", igs_fbit(f->active, (int)i));
    set_bool(env, o, "requested", igs_fbit(f->requested, (int)i));
    set_bool(env, o, "changeable", igs_fbit(f->available, (int)i));
    set_prop(env, out, f->names[i], o);
  }
  return out;
}

/* Shared by getOffloads and features: read an interface's features and render them. */
static napi_value read_features(napi_env env, napi_callback_info info, const char *fn,
                                napi_value (*render)(napi_env, const igs_features *)) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || get_ifname(env, argv[0], name, fn) < 0) return NULL;
  igs_features f;
  igs_err e;
  if (igs_features_get(&get_addon(env)->ctx, name, &f, &e) < 0) return throw_igs(env, &e);
  napi_value out = render(env, &f);
  igs_features_free(&f);
  return out;
}

static napi_value js_get_offloads(napi_env env, napi_callback_info info) {
  return read_features(env, info, "getOffloads", offloads_object);
}

static napi_value js_features(napi_env env, napi_callback_info info) {
  return read_features(env, info, "features", features_object);
}

/*
 * Shared by setOffloads (friendly keys) and setFeatures (kernel names). Only features whose requested state
 * differs are touched; asking for a fixed feature to change throws (naming the feature and interface).
 * Returns the features as they are afterwards (kernel may refuse a wish because of a dependency).
 */
static napi_value set_features_common(napi_env env, napi_callback_info info, int friendly) {
  const char *fn = friendly ? "setOffloads" : "setFeatures";
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 2 || get_ifname(env, argv[0], name, fn) < 0) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_object) return throw_arg(env, "%s: settings must be an object of booleans", fn);
  addon *a = get_addon(env);
  igs_features f;
  igs_err e;
  if (igs_features_get(&a->ctx, name, &f, &e) < 0) return throw_igs(env, &e);
  uint32_t words = (f.count + 31) / 32;
  uint32_t *valid = calloc(words * 2, sizeof(uint32_t));
  if (!valid) {
    igs_features_free(&f);
    return throw_arg(env, "%s: out of memory", fn);
  }
  uint32_t *req = valid + words;
  napi_value keys;
  napi_get_property_names(env, argv[1], &keys);
  uint32_t nk = 0;
  napi_get_array_length(env, keys, &nk);
  int changes = 0;
  for (uint32_t k = 0; k < nk; k++) {
    napi_value kv, vv;
    napi_get_element(env, keys, k, &kv);
    char key[64];
    if (get_string(env, kv, key, sizeof key, "setOffloads: key") < 0) goto out_err;
    napi_get_property(env, argv[1], kv, &vv);
    napi_valuetype vt;
    napi_typeof(env, vv, &vt);
    if (vt == napi_undefined || vt == napi_null) continue;
    if (vt != napi_boolean) {
      igs_set_err(&e, 0, "%s(%s): %s must be a boolean", fn, name, key);
      throw_igs(env, &e);
      goto out_err;
    }
    bool want;
    napi_get_value_bool(env, vv, &want);
    const char *const *members = NULL;
    const char *single[2] = {key, NULL};
    if (friendly) {
      for (size_t g = 0; g < N_OFFLOADS; g++)
        if (strcmp(OFFLOADS[g].key, key) == 0) members = OFFLOADS[g].names;
      if (!members) {
        igs_set_err(&e, 0, "%s(%s): unknown offload '%s'", fn, name, key);
        throw_igs(env, &e);
        goto out_err;
      }
    } else {
      members = single;
    }
    int known = 0, settable = 0, fixed_wrong = 0;
    for (int m = 0; m < 6 && members[m]; m++) {
      int i = igs_feature_index(&f, members[m]);
      if (i < 0) continue;
      known++;
      if (igs_fbit(f.available, i)) {
        settable++;
        if (igs_fbit(f.requested, i) != (int)want || igs_fbit(f.active, i) != (int)want) {
          valid[i / 32] |= 1u << (i % 32);
          if (want) req[i / 32] |= 1u << (i % 32);
          changes++;
        }
      } else if (igs_fbit(f.active, i) != (int)want) {
        fixed_wrong = 1;
      }
    }
    if (!known && want) {
      igs_set_err(&e, EOPNOTSUPP, "%s(%s): the kernel has no feature '%s'", fn, name, key);
      throw_igs(env, &e);
      goto out_err;
    }
    if (fixed_wrong && !settable) {
      igs_set_err(&e, EOPNOTSUPP, "%s(%s): %s is fixed %s by the driver and cannot be changed", fn, name, key,
                  want ? "off" : "on");
      throw_igs(env, &e);
      goto out_err;
    }
  }
  if (changes) {
    if (igs_features_set(&a->ctx, name, &f, valid, req, &e) < 0) {
      throw_igs(env, &e);
      goto out_err;
    }
  }
  free(valid);
  igs_features_free(&f);
  if (igs_features_get(&a->ctx, name, &f, &e) < 0) return throw_igs(env, &e);
  napi_value out;
  if (friendly) {
    out = offloads_object(env, &f);
  } else {
    napi_create_object(env, &out);
    for (uint32_t i = 0; i < f.count; i++)
      if (f.names[i][0]) set_bool(env, out, f.names[i], igs_fbit(f.active, (int)i));
  }
  igs_features_free(&f);
  return out;
out_err:
  free(valid);
  igs_features_free(&f);
  return NULL;
}

static napi_value js_set_offloads(napi_env env, napi_callback_info info) { return set_features_common(env, info, 1); }
static napi_value js_set_features(napi_env env, napi_callback_info info) { return set_features_common(env, info, 0); }

/* ------------------------------------------------------------------------------------------------------ */
/* link notifications                                                                                      */

static napi_value js_watch_links(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool on = true;
  if (argc >= 1) napi_get_value_bool(env, argv[0], &on);
  igs_err e;
  if (igs_watch_links(&get_addon(env)->ctx, on, &e) < 0) return throw_igs(env, &e);
  return NULL;
}

static napi_value js_links_pending(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_boolean(env, get_addon(env)->ctx.nl_pending != 0, &out);
  return out;
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
  napi_value o;
  napi_create_object(s->env, &o);
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

static void add_const(napi_env env, napi_value obj, const char *key, double v) { set_num(env, obj, key, v); }

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
      {"attach", NULL, js_attach, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPort", NULL, js_open_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closePort", NULL, js_close_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receive", NULL, js_receive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"transmit", NULL, js_transmit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"inject", NULL, js_inject, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wakeFd", NULL, js_wake_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wake", NULL, js_wake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receiveTuning", NULL, js_receive_tuning, NULL, NULL, NULL, napi_enumerable, NULL},
      {"yieldOtherThreads", NULL, js_yield_other_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxStats", NULL, js_rx_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pinThread", NULL, js_pin_thread, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nowMs", NULL, js_now_ms, NULL, NULL, NULL, napi_enumerable, NULL},
      {"portStats", NULL, js_port_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linkState", NULL, js_link_state, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getOffloads", NULL, js_get_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"offloads", NULL, js_get_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setOffloads", NULL, js_set_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"features", NULL, js_features, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setFeatures", NULL, js_set_features, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchLinks", NULL, js_watch_links, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linksPending", NULL, js_links_pending, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linkEvents", NULL, js_link_events, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tryLock", NULL, js_try_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"parentDeathSignal", NULL, js_parent_death_signal, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value k;
  napi_create_object(env, &k);
  add_const(env, k, "MAX_PORTS", IGS_MAX_PORTS);
  add_const(env, k, "VNET_HDR_LEN", IGS_VNET_LEN);
  add_const(env, k, "DISCOVER_EVERY", IGS_DISCOVER_EVERY);
  napi_object_freeze(env, k);
  set_prop(env, exports, "constants", k);
  return exports;
}
