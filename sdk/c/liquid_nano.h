/*
 * liquid_nano.h: the Liquid Nano guest library for C (and, through liquid_nano.hpp, C++).
 *
 * Canonical-ABI glue for the `liquid-nano:plugin@0.1.0` worlds of wit/plugin.wit, for plugins
 * compiled with clang --target=wasm32-wasi -mexec-model=reactor. It stands in for wit-bindgen
 * (not available offline): the WIT types as C structs laid out like the canonical ABI,
 * `cabi_realloc`, every import (log, config, kv, metrics, events) as a plain C function, and the
 * exports with their post-return functions.
 *
 * Single-header library: include it anywhere for the types and functions; in exactly one file
 * `#define LIQUID_NANO_IMPLEMENTATION` before including it. That file's plugin implements
 *
 *     bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err);
 *
 * and, when it also defines these before the include, the optional exports:
 *
 *   LIQUID_NANO_LIFECYCLE (world plugin-with-lifecycle):
 *     bool plugin_init(plugin_list_pair_t *config, plugin_string_t *err);
 *     void plugin_teardown(void);
 *   LIQUID_NANO_STATE (world stateful-plugin; needs LIQUID_NANO_LIFECYCLE too):
 *     void plugin_snapshot(plugin_list_u8_t *ret);
 *     bool plugin_restore(plugin_list_u8_t *state, plugin_string_t *err);
 *
 * `lnano build` picks the world from the exports the module ends up with.
 *
 * Ownership, as in wit-bindgen's C bindings:
 *  - An export owns its arguments (`*event`, `*config`, `*state`): free what you do not move into
 *    the result, with the plugin_*_free helpers.
 *  - Everything an export puts in `*ret` / `*err` must be heap memory (malloc,
 *    plugin_string_dup …): the post-return function frees it after the host has copied it out.
 *    Return true with `*ret` filled, or false with `*err` filled.
 *  - Import arguments are borrowed (string literals are fine: PLUGIN_STR("x")); what an import
 *    returns is the caller's to free.
 *
 * Canonical ABI facts this file relies on (wasm32: pointers and size_t are 4 bytes):
 *  - `event` flattens to exactly 16 core values, which is MAX_FLAT_PARAMS (only *more* spills to
 *    memory), so `handle` takes 16 i32 parameters and `events.emit` passes the event flat too.
 *  - A result that flattens to more than one value comes back through memory: exports return a
 *    pointer to a static return area; imports take a pointer to one as their last parameter.
 *  - In memory an `event` record is 64 bytes, align 4; the structs below match the canonical
 *    layout exactly (checked by static assertions), so a plugin_event_t array *is* a lowered
 *    list<event>, a plugin_pair_t array a list<pair>, a plugin_string_t array a list<string>.
 */
#ifndef LIQUID_NANO_H
#define LIQUID_NANO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "liquid_nano.h targets wasm32 (clang --target=wasm32-wasi)"
#endif

#ifdef __cplusplus
#define PLUGIN__STATIC_ASSERT(c, m) static_assert(c, m)
#define PLUGIN__ALIGNOF(t) alignof(t)
extern "C" {
#else
#define PLUGIN__STATIC_ASSERT(c, m) _Static_assert(c, m)
#define PLUGIN__ALIGNOF(t) _Alignof(t)
#endif

#if defined(LIQUID_NANO_STATE) && !defined(LIQUID_NANO_LIFECYCLE)
#error "LIQUID_NANO_STATE needs LIQUID_NANO_LIFECYCLE: the stateful-plugin world includes the lifecycle hooks"
#endif

/* ---- WIT types ------------------------------------------------------------------------------ */

/** `string`: UTF-8 bytes, not NUL-terminated. */
typedef struct plugin_string {
  uint8_t *ptr;
  size_t len;
} plugin_string_t;

/** `option<string>`. */
typedef struct plugin_option_string {
  bool is_some;
  plugin_string_t val;
} plugin_option_string_t;

/** `list<u8>`. */
typedef struct plugin_list_u8 {
  uint8_t *ptr;
  size_t len;
} plugin_list_u8_t;

/** `option<list<u8>>`. */
typedef struct plugin_option_list_u8 {
  bool is_some;
  plugin_list_u8_t val;
} plugin_option_list_u8_t;

/** `list<string>`. */
typedef struct plugin_list_string {
  plugin_string_t *ptr;
  size_t len;
} plugin_list_string_t;

/** `types.pair` = `tuple<string, string>`. */
typedef struct plugin_pair {
  plugin_string_t f0;
  plugin_string_t f1;
} plugin_pair_t;

/** `list<pair>`. */
typedef struct plugin_list_pair {
  plugin_pair_t *ptr;
  size_t len;
} plugin_list_pair_t;

/** `types.event`. */
typedef struct plugin_event {
  plugin_string_t id;
  plugin_string_t type;
  plugin_string_t source;
  plugin_option_string_t time;
  plugin_option_string_t datacontenttype;
  plugin_list_u8_t data;
  plugin_list_pair_t extensions;
} plugin_event_t;

/** `list<event>`. */
typedef struct plugin_list_event {
  plugin_event_t *ptr;
  size_t len;
} plugin_list_event_t;

/** Cases of `types.error`, in WIT order. */
typedef enum plugin_error_tag {
  PLUGIN_ERROR_INVALID_EVENT = 0,
  PLUGIN_ERROR_UNSUPPORTED = 1,
  PLUGIN_ERROR_UNAVAILABLE = 2,
  PLUGIN_ERROR_FAILED = 3,
} plugin_error_tag_t;

/** `types.error`: every case carries a message. */
typedef struct plugin_error {
  uint8_t tag; /* plugin_error_tag_t */
  plugin_string_t val;
} plugin_error_t;

/** `log.level`, in WIT order. */
typedef enum plugin_log_level {
  PLUGIN_LOG_TRACE = 0,
  PLUGIN_LOG_DEBUG = 1,
  PLUGIN_LOG_INFO = 2,
  PLUGIN_LOG_WARN = 3,
  PLUGIN_LOG_ERROR = 4,
} plugin_log_level_t;

/** Cases of `kv.error`, in WIT order. */
typedef enum plugin_kv_error_tag {
  PLUGIN_KV_ERROR_DENIED = 0,         /* no message */
  PLUGIN_KV_ERROR_QUOTA_EXCEEDED = 1,
  PLUGIN_KV_ERROR_TOO_LARGE = 2,
  PLUGIN_KV_ERROR_INTERNAL = 3,
} plugin_kv_error_tag_t;

/** `kv.error`; `val` is empty for `denied`. */
typedef struct plugin_kv_error {
  uint8_t tag; /* plugin_kv_error_tag_t */
  plugin_string_t val;
} plugin_kv_error_t;

PLUGIN__STATIC_ASSERT(sizeof(plugin_string_t) == 8, "string is (ptr, len)");
PLUGIN__STATIC_ASSERT(sizeof(plugin_option_string_t) == 12, "option<string> is 12 bytes");
PLUGIN__STATIC_ASSERT(offsetof(plugin_option_string_t, val) == 4, "option payload at offset 4");
PLUGIN__STATIC_ASSERT(sizeof(plugin_pair_t) == 16, "pair is 16 bytes");
PLUGIN__STATIC_ASSERT(sizeof(plugin_event_t) == 64, "event is 64 bytes");
PLUGIN__STATIC_ASSERT(PLUGIN__ALIGNOF(plugin_event_t) == 4, "event is 4-aligned");
PLUGIN__STATIC_ASSERT(offsetof(plugin_event_t, time) == 24, "event.time at 24");
PLUGIN__STATIC_ASSERT(offsetof(plugin_event_t, datacontenttype) == 36, "event.datacontenttype at 36");
PLUGIN__STATIC_ASSERT(offsetof(plugin_event_t, data) == 48, "event.data at 48");
PLUGIN__STATIC_ASSERT(offsetof(plugin_event_t, extensions) == 56, "event.extensions at 56");

/** A borrowed string of a literal, for import arguments: PLUGIN_STR("key"). */
#define PLUGIN_STR(lit) plugin_str(lit)

/* ---- what the plugin implements ------------------------------------------------------------- */

/** `handler.handle`; see the top of this file for the ownership rules. */
bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err);
#ifdef LIQUID_NANO_LIFECYCLE
/** `lifecycle.init`: owns `*config`; false with `*err` set refuses the instance. */
bool plugin_init(plugin_list_pair_t *config, plugin_string_t *err);
/** `lifecycle.teardown`. */
void plugin_teardown(void);
#endif
#ifdef LIQUID_NANO_STATE
/** `state.snapshot`: fills `*ret` with heap bytes. */
void plugin_snapshot(plugin_list_u8_t *ret);
/** `state.restore`: owns `*state`; false with `*err` set refuses the handoff. */
bool plugin_restore(plugin_list_u8_t *state, plugin_string_t *err);
#endif

/* ---- host imports: the raw core functions ---------------------------------------------------- */

#define PLUGIN__IMPORT(iface, fn) __attribute__((import_module("liquid-nano:plugin/" iface "@0.1.0"), import_name(fn)))

PLUGIN__IMPORT("log", "log")
extern void plugin__import_log(int32_t level, uint8_t *msg, size_t msg_len, plugin_pair_t *fields, size_t fields_len);
PLUGIN__IMPORT("config", "get")
extern void plugin__import_config_get(uint8_t *key, size_t key_len, uint8_t *ret);
PLUGIN__IMPORT("config", "get-all")
extern void plugin__import_config_get_all(uint8_t *ret);
PLUGIN__IMPORT("kv", "get")
extern void plugin__import_kv_get(uint8_t *key, size_t key_len, uint8_t *ret);
PLUGIN__IMPORT("kv", "set")
extern void plugin__import_kv_set(uint8_t *key, size_t key_len, uint8_t *value, size_t value_len, uint8_t *ret);
PLUGIN__IMPORT("kv", "delete")
extern void plugin__import_kv_delete(uint8_t *key, size_t key_len, uint8_t *ret);
PLUGIN__IMPORT("kv", "list-keys")
extern void plugin__import_kv_list_keys(uint8_t *prefix, size_t prefix_len, uint32_t limit, uint8_t *ret);
PLUGIN__IMPORT("metrics", "counter-add")
extern void plugin__import_counter_add(uint8_t *name, size_t name_len, double value, plugin_pair_t *labels, size_t labels_len);
PLUGIN__IMPORT("metrics", "gauge-set")
extern void plugin__import_gauge_set(uint8_t *name, size_t name_len, double value, plugin_pair_t *labels, size_t labels_len);
PLUGIN__IMPORT("metrics", "histogram-observe")
extern void plugin__import_histogram_observe(uint8_t *name, size_t name_len, double value, plugin_pair_t *labels, size_t labels_len);
PLUGIN__IMPORT("events", "emit")
extern void plugin__import_emit(uint8_t *id, size_t id_len, uint8_t *type, size_t type_len, uint8_t *source,
                                size_t source_len, int32_t time_is_some, uint8_t *time, size_t time_len,
                                int32_t dct_is_some, uint8_t *dct, size_t dct_len, uint8_t *data, size_t data_len,
                                plugin_pair_t *ext, size_t ext_len, uint8_t *ret);

/* ---- host imports: the functions to call ---------------------------------------------------- */

/** `log.log(level, message, fields)`; `fields` may be NULL when `fields_len` is 0. */
void plugin_log(plugin_log_level_t level, const char *message, const plugin_pair_t *fields, size_t fields_len);
/** `log.log` with a message that is not NUL-terminated. */
void plugin_log_string(plugin_log_level_t level, plugin_string_t message, const plugin_pair_t *fields, size_t fields_len);

/** `config.get(key)`: true and a heap `*value` when the manifest sets `key`. */
bool plugin_config_get(plugin_string_t key, plugin_string_t *value);
/** `config.get-all()`: every key and value, sorted by key (heap; plugin_list_pair_free). */
plugin_list_pair_t plugin_config_get_all(void);

/** `kv.get(key)`: true with `*value` (none when the key is absent), or false with `*err`. */
bool plugin_kv_get(plugin_string_t key, plugin_option_list_u8_t *value, plugin_kv_error_t *err);
/** `kv.set(key, value)`: true, or false with `*err`. */
bool plugin_kv_set(plugin_string_t key, plugin_list_u8_t value, plugin_kv_error_t *err);
/** `kv.delete(key)`: true with `*existed`, or false with `*err`. */
bool plugin_kv_delete(plugin_string_t key, bool *existed, plugin_kv_error_t *err);
/** `kv.list-keys(prefix, limit)`: true with the sorted `*keys`, or false with `*err`. */
bool plugin_kv_list_keys(plugin_string_t prefix, uint32_t limit, plugin_list_string_t *keys, plugin_kv_error_t *err);

/** `metrics.counter-add(name, value, labels)`. */
void plugin_metrics_counter_add(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len);
/** `metrics.gauge-set(name, value, labels)`. */
void plugin_metrics_gauge_set(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len);
/** `metrics.histogram-observe(name, value, labels)`. */
void plugin_metrics_histogram_observe(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len);

/** `events.emit(event)`: true, or false with the host's reason in `*err` (heap). */
bool plugin_events_emit(const plugin_event_t *event, plugin_string_t *err);

/* ---- helpers -------------------------------------------------------------------------------- */

/** A borrowed view of the NUL-terminated `s` (no copy). */
plugin_string_t plugin_str(const char *s);
/** Whether `s` holds exactly the NUL-terminated `c`. */
bool plugin_string_equals(plugin_string_t s, const char *c);
/** Whether `s` ends with the NUL-terminated `suffix`. */
bool plugin_string_ends_with(plugin_string_t s, const char *suffix);
/** A heap copy of `n` bytes (or of the NUL-terminated `s` when n is SIZE_MAX). */
plugin_string_t plugin_string_dup(const char *s, size_t n);
/** A heap string `a` followed by the NUL-terminated `suffix`. */
plugin_string_t plugin_string_concat(plugin_string_t a, const char *suffix);
/** A heap, NUL-terminated copy of `s` (free with free()). */
char *plugin_string_to_cstr(plugin_string_t s);
/** Sets `*err` to the `tag` case with a heap copy of the NUL-terminated `message`. */
void plugin_error_set(plugin_error_t *err, plugin_error_tag_t tag, const char *message);

void plugin_string_free(plugin_string_t *s);
void plugin_option_string_free(plugin_option_string_t *s);
void plugin_list_u8_free(plugin_list_u8_t *l);
void plugin_option_list_u8_free(plugin_option_list_u8_t *l);
void plugin_list_string_free(plugin_list_string_t *l);
void plugin_list_pair_free(plugin_list_pair_t *l);
void plugin_event_free(plugin_event_t *e);
void plugin_list_event_free(plugin_list_event_t *l);
void plugin_error_free(plugin_error_t *e);
void plugin_kv_error_free(plugin_kv_error_t *e);

#ifdef __cplusplus
}
#endif

/* ---- implementation ------------------------------------------------------------------------- */
#ifdef LIQUID_NANO_IMPLEMENTATION

#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLUGIN__EXPORT(name) __attribute__((export_name(name)))

/* Loads and stores into a return area at a byte offset. */
#define PLUGIN__AT(area, off, type) (*(type *)((area) + (off)))

/* A pointer the canonical ABI accepts for a list of `len` elements: an empty list still needs a
 * non-null pointer aligned for its elements, and `ptr` may be NULL then. */
static void *plugin__list_ptr(const void *ptr, size_t len, size_t align) {
  return len ? (void *)ptr : (void *)align;
}

/* The host allocates every lowered argument and import result through this (canonical ABI
 * `realloc`). A zero-size request gets a non-null, aligned dangling pointer that is never freed. */
PLUGIN__EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *ret = realloc(ptr, new_size);
  if (!ret) abort();
  return ret;
}

static void plugin__free_bytes(void *ptr, size_t len) {
  if (len > 0) free(ptr);
}

void plugin_string_free(plugin_string_t *s) {
  plugin__free_bytes(s->ptr, s->len);
  s->ptr = NULL;
  s->len = 0;
}

void plugin_option_string_free(plugin_option_string_t *s) {
  if (s->is_some) plugin_string_free(&s->val);
  s->is_some = false;
}

void plugin_list_u8_free(plugin_list_u8_t *l) {
  plugin__free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_option_list_u8_free(plugin_option_list_u8_t *l) {
  if (l->is_some) plugin_list_u8_free(&l->val);
  l->is_some = false;
}

void plugin_list_string_free(plugin_list_string_t *l) {
  for (size_t i = 0; i < l->len; i++) plugin_string_free(&l->ptr[i]);
  plugin__free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_list_pair_free(plugin_list_pair_t *l) {
  for (size_t i = 0; i < l->len; i++) {
    plugin_string_free(&l->ptr[i].f0);
    plugin_string_free(&l->ptr[i].f1);
  }
  plugin__free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_event_free(plugin_event_t *e) {
  plugin_string_free(&e->id);
  plugin_string_free(&e->type);
  plugin_string_free(&e->source);
  plugin_option_string_free(&e->time);
  plugin_option_string_free(&e->datacontenttype);
  plugin_list_u8_free(&e->data);
  plugin_list_pair_free(&e->extensions);
}

void plugin_list_event_free(plugin_list_event_t *l) {
  for (size_t i = 0; i < l->len; i++) plugin_event_free(&l->ptr[i]);
  plugin__free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_error_free(plugin_error_t *e) { plugin_string_free(&e->val); }

void plugin_kv_error_free(plugin_kv_error_t *e) { plugin_string_free(&e->val); }

plugin_string_t plugin_str(const char *s) {
  plugin_string_t out = {(uint8_t *)s, strlen(s)};
  return out;
}

bool plugin_string_equals(plugin_string_t s, const char *c) {
  size_t n = strlen(c);
  return s.len == n && (n == 0 || memcmp(s.ptr, c, n) == 0);
}

bool plugin_string_ends_with(plugin_string_t s, const char *suffix) {
  size_t n = strlen(suffix);
  return s.len >= n && (n == 0 || memcmp(s.ptr + s.len - n, suffix, n) == 0);
}

plugin_string_t plugin_string_dup(const char *s, size_t n) {
  if (n == SIZE_MAX) n = strlen(s);
  plugin_string_t out = {(uint8_t *)1, 0};
  if (n == 0) return out;
  out.ptr = (uint8_t *)malloc(n);
  if (!out.ptr) abort();
  memcpy(out.ptr, s, n);
  out.len = n;
  return out;
}

plugin_string_t plugin_string_concat(plugin_string_t a, const char *suffix) {
  size_t n = strlen(suffix);
  plugin_string_t out = {(uint8_t *)1, 0};
  if (a.len + n == 0) return out;
  out.ptr = (uint8_t *)malloc(a.len + n);
  if (!out.ptr) abort();
  if (a.len) memcpy(out.ptr, a.ptr, a.len);
  memcpy(out.ptr + a.len, suffix, n);
  out.len = a.len + n;
  return out;
}

char *plugin_string_to_cstr(plugin_string_t s) {
  char *out = (char *)malloc(s.len + 1);
  if (!out) abort();
  if (s.len) memcpy(out, s.ptr, s.len);
  out[s.len] = 0;
  return out;
}

void plugin_error_set(plugin_error_t *err, plugin_error_tag_t tag, const char *message) {
  err->tag = (uint8_t)tag;
  err->val = plugin_string_dup(message, SIZE_MAX);
}

/* -- imports -- */

/* Import return areas are on the caller's stack: imports may be called from any export. */
#define PLUGIN__RET_AREA(name, size) uint8_t name[size] __attribute__((aligned(8)))

void plugin_log_string(plugin_log_level_t level, plugin_string_t message, const plugin_pair_t *fields, size_t fields_len) {
  plugin__import_log((int32_t)level, (uint8_t *)plugin__list_ptr(message.ptr, message.len, 1), message.len,
                     (plugin_pair_t *)plugin__list_ptr(fields, fields_len, 4), fields_len);
}

void plugin_log(plugin_log_level_t level, const char *message, const plugin_pair_t *fields, size_t fields_len) {
  plugin_log_string(level, plugin_str(message), fields, fields_len);
}

bool plugin_config_get(plugin_string_t key, plugin_string_t *value) {
  PLUGIN__RET_AREA(ret, 12);
  plugin__import_config_get((uint8_t *)plugin__list_ptr(key.ptr, key.len, 1), key.len, ret);
  if (ret[0] == 0) return false;
  value->ptr = PLUGIN__AT(ret, 4, uint8_t *);
  value->len = PLUGIN__AT(ret, 8, size_t);
  return true;
}

plugin_list_pair_t plugin_config_get_all(void) {
  PLUGIN__RET_AREA(ret, 8);
  plugin__import_config_get_all(ret);
  plugin_list_pair_t out = {PLUGIN__AT(ret, 0, plugin_pair_t *), PLUGIN__AT(ret, 4, size_t)};
  return out;
}

/* `kv.error` at offset 4 of a result's return area: [4] case, [8] ptr, [12] len. */
static void plugin__kv_error_read(const uint8_t *ret, plugin_kv_error_t *err) {
  err->tag = ret[4];
  if (err->tag == PLUGIN_KV_ERROR_DENIED) {
    err->val.ptr = NULL;
    err->val.len = 0;
  } else {
    err->val.ptr = PLUGIN__AT(ret, 8, uint8_t *);
    err->val.len = PLUGIN__AT(ret, 12, size_t);
  }
}

bool plugin_kv_get(plugin_string_t key, plugin_option_list_u8_t *value, plugin_kv_error_t *err) {
  PLUGIN__RET_AREA(ret, 16);
  plugin__import_kv_get((uint8_t *)plugin__list_ptr(key.ptr, key.len, 1), key.len, ret);
  if (ret[0] != 0) {
    plugin__kv_error_read(ret, err);
    return false;
  }
  value->is_some = ret[4] != 0;
  value->val.ptr = value->is_some ? PLUGIN__AT(ret, 8, uint8_t *) : NULL;
  value->val.len = value->is_some ? PLUGIN__AT(ret, 12, size_t) : 0;
  return true;
}

bool plugin_kv_set(plugin_string_t key, plugin_list_u8_t value, plugin_kv_error_t *err) {
  PLUGIN__RET_AREA(ret, 16);
  plugin__import_kv_set((uint8_t *)plugin__list_ptr(key.ptr, key.len, 1), key.len,
                        (uint8_t *)plugin__list_ptr(value.ptr, value.len, 1), value.len, ret);
  if (ret[0] == 0) return true;
  plugin__kv_error_read(ret, err);
  return false;
}

bool plugin_kv_delete(plugin_string_t key, bool *existed, plugin_kv_error_t *err) {
  PLUGIN__RET_AREA(ret, 16);
  plugin__import_kv_delete((uint8_t *)plugin__list_ptr(key.ptr, key.len, 1), key.len, ret);
  if (ret[0] != 0) {
    plugin__kv_error_read(ret, err);
    return false;
  }
  *existed = ret[4] != 0;
  return true;
}

bool plugin_kv_list_keys(plugin_string_t prefix, uint32_t limit, plugin_list_string_t *keys, plugin_kv_error_t *err) {
  PLUGIN__RET_AREA(ret, 16);
  plugin__import_kv_list_keys((uint8_t *)plugin__list_ptr(prefix.ptr, prefix.len, 1), prefix.len, limit, ret);
  if (ret[0] != 0) {
    plugin__kv_error_read(ret, err);
    return false;
  }
  keys->ptr = PLUGIN__AT(ret, 4, plugin_string_t *);
  keys->len = PLUGIN__AT(ret, 8, size_t);
  return true;
}

void plugin_metrics_counter_add(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len) {
  plugin__import_counter_add((uint8_t *)plugin__list_ptr(name.ptr, name.len, 1), name.len, value,
                             (plugin_pair_t *)plugin__list_ptr(labels, labels_len, 4), labels_len);
}

void plugin_metrics_gauge_set(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len) {
  plugin__import_gauge_set((uint8_t *)plugin__list_ptr(name.ptr, name.len, 1), name.len, value,
                           (plugin_pair_t *)plugin__list_ptr(labels, labels_len, 4), labels_len);
}

void plugin_metrics_histogram_observe(plugin_string_t name, double value, const plugin_pair_t *labels, size_t labels_len) {
  plugin__import_histogram_observe((uint8_t *)plugin__list_ptr(name.ptr, name.len, 1), name.len, value,
                                   (plugin_pair_t *)plugin__list_ptr(labels, labels_len, 4), labels_len);
}

bool plugin_events_emit(const plugin_event_t *e, plugin_string_t *err) {
  PLUGIN__RET_AREA(ret, 12);
  const plugin_option_string_t *t = &e->time, *d = &e->datacontenttype;
  plugin__import_emit(
      (uint8_t *)plugin__list_ptr(e->id.ptr, e->id.len, 1), e->id.len,
      (uint8_t *)plugin__list_ptr(e->type.ptr, e->type.len, 1), e->type.len,
      (uint8_t *)plugin__list_ptr(e->source.ptr, e->source.len, 1), e->source.len,
      t->is_some, (uint8_t *)(t->is_some ? plugin__list_ptr(t->val.ptr, t->val.len, 1) : NULL), t->is_some ? t->val.len : 0,
      d->is_some, (uint8_t *)(d->is_some ? plugin__list_ptr(d->val.ptr, d->val.len, 1) : NULL), d->is_some ? d->val.len : 0,
      (uint8_t *)plugin__list_ptr(e->data.ptr, e->data.len, 1), e->data.len,
      (plugin_pair_t *)plugin__list_ptr(e->extensions.ptr, e->extensions.len, 4), e->extensions.len, ret);
  if (ret[0] == 0) return true;
  err->ptr = PLUGIN__AT(ret, 4, uint8_t *);
  err->len = PLUGIN__AT(ret, 8, size_t);
  return false;
}

/* -- exports -- */

/* Export return areas are static: a component instance is not reentrant, and post-return runs
 * before the next call. */
static PLUGIN__RET_AREA(plugin__handle_ret, 16);

PLUGIN__EXPORT("liquid-nano:plugin/handler@0.1.0#handle")
uint8_t *plugin__export_handle(uint8_t *id_ptr, size_t id_len, uint8_t *type_ptr, size_t type_len,
                               uint8_t *source_ptr, size_t source_len, int32_t time_is_some, uint8_t *time_ptr,
                               size_t time_len, int32_t dct_is_some, uint8_t *dct_ptr, size_t dct_len,
                               uint8_t *data_ptr, size_t data_len, plugin_pair_t *ext_ptr, size_t ext_len) {
  plugin_event_t event;
  event.id.ptr = id_ptr;
  event.id.len = id_len;
  event.type.ptr = type_ptr;
  event.type.len = type_len;
  event.source.ptr = source_ptr;
  event.source.len = source_len;
  event.time.is_some = time_is_some != 0;
  event.time.val.ptr = time_is_some ? time_ptr : NULL;
  event.time.val.len = time_is_some ? time_len : 0;
  event.datacontenttype.is_some = dct_is_some != 0;
  event.datacontenttype.val.ptr = dct_is_some ? dct_ptr : NULL;
  event.datacontenttype.val.len = dct_is_some ? dct_len : 0;
  event.data.ptr = data_ptr;
  event.data.len = data_len;
  event.extensions.ptr = ext_ptr;
  event.extensions.len = ext_len;
  plugin_list_event_t ok = {NULL, 0};
  plugin_error_t err = {PLUGIN_ERROR_FAILED, {NULL, 0}};
  uint8_t *ret = plugin__handle_ret;
  memset(ret, 0, 16);
  if (plugin_handle(&event, &ok, &err)) {
    ret[0] = 0;
    PLUGIN__AT(ret, 4, plugin_event_t *) = (plugin_event_t *)plugin__list_ptr(ok.ptr, ok.len, 4);
    PLUGIN__AT(ret, 8, size_t) = ok.len;
  } else {
    ret[0] = 1;
    ret[4] = err.tag;
    PLUGIN__AT(ret, 8, uint8_t *) = (uint8_t *)plugin__list_ptr(err.val.ptr, err.val.len, 1);
    PLUGIN__AT(ret, 12, size_t) = err.val.len;
  }
  return ret;
}

/* Runs after the host has copied the result out of guest memory: frees it. */
PLUGIN__EXPORT("cabi_post_liquid-nano:plugin/handler@0.1.0#handle")
void plugin__post_handle(uint8_t *ret) {
  if (ret[0] == 0) {
    plugin_list_event_t ok = {PLUGIN__AT(ret, 4, plugin_event_t *), PLUGIN__AT(ret, 8, size_t)};
    plugin_list_event_free(&ok);
  } else {
    plugin_error_t err = {ret[4], {PLUGIN__AT(ret, 8, uint8_t *), PLUGIN__AT(ret, 12, size_t)}};
    plugin_error_free(&err);
  }
}

#ifdef LIQUID_NANO_LIFECYCLE
/* result<_, string>: [0] discriminant, [4] ptr, [8] len. */
static PLUGIN__RET_AREA(plugin__unit_result_ret, 12);

static uint8_t *plugin__unit_result(bool ok, plugin_string_t err) {
  uint8_t *ret = plugin__unit_result_ret;
  memset(ret, 0, 12);
  if (!ok) {
    ret[0] = 1;
    PLUGIN__AT(ret, 4, uint8_t *) = (uint8_t *)plugin__list_ptr(err.ptr, err.len, 1);
    PLUGIN__AT(ret, 8, size_t) = err.len;
  }
  return ret;
}

static void plugin__unit_result_free(uint8_t *ret) {
  if (ret[0] == 0) return;
  plugin_string_t err = {PLUGIN__AT(ret, 4, uint8_t *), PLUGIN__AT(ret, 8, size_t)};
  plugin_string_free(&err);
}

PLUGIN__EXPORT("liquid-nano:plugin/lifecycle@0.1.0#init")
uint8_t *plugin__export_init(plugin_pair_t *config_ptr, size_t config_len) {
  plugin_list_pair_t config = {config_ptr, config_len};
  plugin_string_t err = {NULL, 0};
  bool ok = plugin_init(&config, &err);
  return plugin__unit_result(ok, err);
}

PLUGIN__EXPORT("cabi_post_liquid-nano:plugin/lifecycle@0.1.0#init")
void plugin__post_init(uint8_t *ret) { plugin__unit_result_free(ret); }

PLUGIN__EXPORT("liquid-nano:plugin/lifecycle@0.1.0#teardown")
void plugin__export_teardown(void) { plugin_teardown(); }
#endif /* LIQUID_NANO_LIFECYCLE */

#ifdef LIQUID_NANO_STATE
/* list<u8>: [0] ptr, [4] len. */
static PLUGIN__RET_AREA(plugin__snapshot_ret, 8);

PLUGIN__EXPORT("liquid-nano:plugin/state@0.1.0#snapshot")
uint8_t *plugin__export_snapshot(void) {
  plugin_list_u8_t bytes = {NULL, 0};
  plugin_snapshot(&bytes);
  PLUGIN__AT(plugin__snapshot_ret, 0, uint8_t *) = (uint8_t *)plugin__list_ptr(bytes.ptr, bytes.len, 1);
  PLUGIN__AT(plugin__snapshot_ret, 4, size_t) = bytes.len;
  return plugin__snapshot_ret;
}

PLUGIN__EXPORT("cabi_post_liquid-nano:plugin/state@0.1.0#snapshot")
void plugin__post_snapshot(uint8_t *ret) {
  plugin_list_u8_t bytes = {PLUGIN__AT(ret, 0, uint8_t *), PLUGIN__AT(ret, 4, size_t)};
  plugin_list_u8_free(&bytes);
}

PLUGIN__EXPORT("liquid-nano:plugin/state@0.1.0#restore")
uint8_t *plugin__export_restore(uint8_t *ptr, size_t len) {
  plugin_list_u8_t state = {ptr, len};
  plugin_string_t err = {NULL, 0};
  bool ok = plugin_restore(&state, &err);
  return plugin__unit_result(ok, err);
}

PLUGIN__EXPORT("cabi_post_liquid-nano:plugin/state@0.1.0#restore")
void plugin__post_restore(uint8_t *ret) { plugin__unit_result_free(ret); }
#endif /* LIQUID_NANO_STATE */

#ifdef __cplusplus
}
#endif

#endif /* LIQUID_NANO_IMPLEMENTATION */
#endif /* LIQUID_NANO_H */
