/*
 * A small Node-API helper library for the addon's glue (addon.c): read a call's arguments and options with a
 * clear error for bad input, build result objects, and turn an igs_err into a thrown Error.
 *
 * Every reader returns 0 on success and -1 with a JavaScript exception pending (the caller returns NULL), so a
 * binding reads as a list of its arguments. Errors carry .code (an errno name such as "ENODEV", or ERR_IGS_ARG
 * for a usage problem), .errno when there is one, and a message naming the call (docs/packet-io.md, "API").
 */
#ifndef IGS_NAPI_UTIL_H
#define IGS_NAPI_UTIL_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include "igs.h"

/* Return from a binding with a thrown Error when a Node-API call itself fails (not expected; names the call). */
#define CHECK(call)                                                                                        \
  do {                                                                                                     \
    if ((call) != napi_ok) return throw_last(env, #call);                                                  \
  } while (0)

napi_value throw_last(napi_env env, const char *what);
/* Throw e as an Error (code = errno name, or ERR_IGS_ARG when e->err is 0). Returns NULL for `return throw_...`. */
napi_value throw_igs(napi_env env, const igs_err *e);
/* Throw a usage error (ERR_IGS_ARG): fmt with one string argument. */
napi_value throw_arg(napi_env env, const char *fmt, const char *a);

/*
 * The call's arguments: the first `max` into argv (those not given read as undefined). Fewer than `min` throws
 * `usage` (the call's signature, e.g. "closePort(index)"). Returns how many were given, or -1.
 */
int get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max, size_t min, const char *usage);

/* obj[key] into *out when obj has it and it is not undefined: 1 = present, 0 = absent. */
int get_present(napi_env env, napi_value obj, const char *key, napi_value *out);

/* Argument readers; `what` / `fn` name the argument / call in the error message. */
int get_string(napi_env env, napi_value v, char *buf, size_t cap, const char *what);
int get_u32(napi_env env, napi_value v, uint32_t *out, const char *what);
int get_ifname(napi_env env, napi_value v, char name[IFNAMSIZ], const char *fn);
int get_port_index(napi_env env, napi_value v, int *out, const char *fn);
/* undefined, object (1) or anything else (0, usage thrown): for an optional options argument. */
int get_options(napi_env env, napi_value v, const char *usage);

/*
 * Optional properties of an options object (`what` names it in errors, e.g. "openPort: options"). Absent or
 * undefined leaves *out as it is. opt_int takes a boolean (0/1) or an integer 0..2^32-1 (clamped to INT_MAX);
 * opt_u32 an integer 0..2^32-1; opt_bool a boolean; opt_str a string shorter than cap.
 */
int opt_int(napi_env env, napi_value obj, const char *what, const char *key, int *out);
int opt_u32(napi_env env, napi_value obj, const char *what, const char *key, uint32_t *out);
int opt_bool(napi_env env, napi_value obj, const char *what, const char *key, int *out);
int opt_str(napi_env env, napi_value obj, const char *what, const char *key, char *out, size_t cap);

/* Result objects. */
napi_value new_object(napi_env env);
void set_prop(napi_env env, napi_value obj, const char *key, napi_value v);
void set_num(napi_env env, napi_value obj, const char *key, double v);
void set_bool(napi_env env, napi_value obj, const char *key, int v);
void set_str(napi_env env, napi_value obj, const char *key, const char *v);
napi_value js_null(napi_env env);
napi_value js_bool(napi_env env, int v);
napi_value js_u32(napi_env env, uint32_t v);
napi_value js_i32(napi_env env, int32_t v);

#endif
