/* Node-API helper library for addon.c: argument readers, result builders, errors (napi-util.h). */
#define _GNU_SOURCE
#include "napi-util.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------------ */
/* errors                                                                                                  */

napi_value throw_last(napi_env env, const char *what) {
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

napi_value throw_igs(napi_env env, const igs_err *e) {
  napi_value msg, code, err;
  const char *cname = e->err ? strerrorname_np(e->err) : "ERR_IGS_ARG";
  napi_create_string_utf8(env, e->msg, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, cname ? cname : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &err);
  if (e->err) set_num(env, err, "errno", e->err);
  napi_throw(env, err);
  return NULL;
}

napi_value throw_arg(napi_env env, const char *fmt, const char *a) {
  igs_err e;
  igs_set_err(&e, 0, fmt, a);
  return throw_igs(env, &e);
}

/* ------------------------------------------------------------------------------------------------------ */
/* arguments                                                                                               */

int get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max, size_t min, const char *usage) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last(env, "napi_get_cb_info");
    return -1;
  }
  if (argc < min) {
    throw_arg(env, "%s", usage);
    return -1;
  }
  return (int)argc;
}

int get_present(napi_env env, napi_value obj, const char *key, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, key, out) != napi_ok) return 0;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  return t != napi_undefined;
}

int get_string(napi_env env, napi_value v, char *buf, size_t cap, const char *what) {
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

int get_u32(napi_env env, napi_value v, uint32_t *out, const char *what) {
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

int get_ifname(napi_env env, napi_value v, char name[IFNAMSIZ], const char *fn) {
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

int get_port_index(napi_env env, napi_value v, int *out, const char *fn) {
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

int get_options(napi_env env, napi_value v, const char *usage) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_object) return 1;
  if (t == napi_undefined) return 0;
  throw_arg(env, "%s", usage);
  return -1;
}

/* ------------------------------------------------------------------------------------------------------ */
/* options                                                                                                 */

int opt_u32(napi_env env, napi_value obj, const char *what, const char *key, uint32_t *out) {
  napi_value v;
  if (!get_present(env, obj, key, &v)) return 0;
  char name[96];
  snprintf(name, sizeof name, "%s%s", what, key);
  return get_u32(env, v, out, name);
}

int opt_int(napi_env env, napi_value obj, const char *what, const char *key, int *out) {
  napi_value v;
  if (!get_present(env, obj, key, &v)) return 0;
  bool b;
  if (napi_get_value_bool(env, v, &b) == napi_ok) {
    *out = b;
    return 0;
  }
  char name[96];
  snprintf(name, sizeof name, "%s%s", what, key);
  uint32_t u;
  if (get_u32(env, v, &u, name) < 0) return -1;
  *out = (int)(u > 0x7fffffff ? 0x7fffffff : u);
  return 0;
}

int opt_bool(napi_env env, napi_value obj, const char *what, const char *key, int *out) {
  napi_value v;
  if (!get_present(env, obj, key, &v)) return 0;
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    igs_err e;
    igs_set_err(&e, 0, "%s%s must be a boolean", what, key);
    throw_igs(env, &e);
    return -1;
  }
  *out = b;
  return 0;
}

int opt_str(napi_env env, napi_value obj, const char *what, const char *key, char *out, size_t cap) {
  napi_value v;
  if (!get_present(env, obj, key, &v)) return 0;
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, out, cap, &n) != napi_ok || n >= cap - 1) {
    igs_err e;
    igs_set_err(&e, 0, "%s%s must be a short string", what, key);
    throw_igs(env, &e);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------------------ */
/* results                                                                                                 */

napi_value new_object(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  return o;
}

void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) { napi_set_named_property(env, obj, key, v); }
void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  set_prop(env, obj, key, x);
}
void set_bool(napi_env env, napi_value obj, const char *key, int v) { set_prop(env, obj, key, js_bool(env, v)); }
void set_str(napi_env env, napi_value obj, const char *key, const char *v) {
  napi_value x;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &x);
  set_prop(env, obj, key, x);
}

napi_value js_null(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}
napi_value js_bool(napi_env env, int b) {
  napi_value v;
  napi_get_boolean(env, b != 0, &v);
  return v;
}
napi_value js_u32(napi_env env, uint32_t n) {
  napi_value v;
  napi_create_uint32(env, n, &v);
  return v;
}
napi_value js_i32(napi_env env, int32_t n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}
