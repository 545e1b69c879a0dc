/*
 * plugin-abi.h: hand-written canonical-ABI glue for the `liquid-nano:plugin@0.1.0` world `plugin`
 * (wit/plugin.wit), for C plugins compiled with clang --target=wasm32-wasi -mexec-model=reactor.
 * It stands in for wit-bindgen, which is not available offline here.
 *
 * Single-header library: every .c file may include it for the types and helpers; exactly one
 * must `#define PLUGIN_ABI_IMPLEMENTATION` before including it, which defines the core-wasm
 * exports (`cabi_realloc`, `liquid-nano:plugin/handler@0.1.0#handle` and its post-return).
 *
 * The plugin supplies one function:
 *
 *     bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err);
 *
 * It owns `*event` (free what it does not move into `*ret` with the plugin_*_free helpers).
 * On success it fills `*ret` and returns true; on failure it fills `*err` and returns false.
 * Everything placed in `*ret` / `*err` must be heap memory (malloc, plugin_string_dup …):
 * the post-return function frees it after the host has copied the result out.
 *
 * Canonical ABI facts this file relies on (wasm32: pointers and size_t are 4 bytes):
 *  - `event` flattens to exactly 16 core values (3 strings x 2, 2 option<string> x 3,
 *    list<u8> x 2, list<pair> x 2). MAX_FLAT_PARAMS is 16 and only *more* than 16 spills to a
 *    pointer, so `handle` takes 16 i32 parameters.
 *  - `result<list<event>, error>` flattens to 4 values > MAX_FLAT_RESULTS (1), so `handle`
 *    returns a pointer to a 16-byte return area:
 *      [0] u8 discriminant (0 ok, 1 err); ok: [4] list ptr, [8] list len;
 *      err: [4] u8 error case, [8] string ptr, [12] string len.
 *  - In memory an `event` record is 64 bytes, align 4; the structs below are laid out to match
 *    it exactly (checked by the static assertions), so a plugin_event_t array *is* a lowered
 *    list<event>.
 *  - Imports whose flat parameters fit in 16 values take them flat: `log.log` is
 *    (level i32, message ptr, message len, fields ptr, fields len) -> ().
 */
#ifndef LIQUID_NANO_PLUGIN_ABI_H
#define LIQUID_NANO_PLUGIN_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "plugin-abi.h targets wasm32 (clang --target=wasm32-wasi)"
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

_Static_assert(sizeof(plugin_string_t) == 8, "string is (ptr, len)");
_Static_assert(sizeof(plugin_option_string_t) == 12, "option<string> is 12 bytes");
_Static_assert(offsetof(plugin_option_string_t, val) == 4, "option payload at offset 4");
_Static_assert(sizeof(plugin_pair_t) == 16, "pair is 16 bytes");
_Static_assert(sizeof(plugin_event_t) == 64, "event is 64 bytes");
_Static_assert(_Alignof(plugin_event_t) == 4, "event is 4-aligned");
_Static_assert(offsetof(plugin_event_t, time) == 24, "event.time at 24");
_Static_assert(offsetof(plugin_event_t, datacontenttype) == 36, "event.datacontenttype at 36");
_Static_assert(offsetof(plugin_event_t, data) == 48, "event.data at 48");
_Static_assert(offsetof(plugin_event_t, extensions) == 56, "event.extensions at 56");

/* ---- what the plugin implements ------------------------------------------------------------- */

/** `handler.handle`; see the top of this file for the ownership rules. */
bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err);

/* ---- host imports ----------------------------------------------------------------------------- */

__attribute__((import_module("liquid-nano:plugin/log@0.1.0"), import_name("log")))
extern void __plugin_import_log_log(int32_t level, uint8_t *message, size_t message_len,
                                    plugin_pair_t *fields, size_t fields_len);

/* ---- helpers -------------------------------------------------------------------------------- */

/** `log.log(level, message, fields)`; everything is borrowed for the duration of the call. */
void plugin_log(plugin_log_level_t level, const char *message, const plugin_pair_t *fields,
                size_t fields_len);
/** A heap copy of `n` bytes (or of the NUL-terminated `s` when n is SIZE_MAX). */
plugin_string_t plugin_string_dup(const char *s, size_t n);
/** A heap string `a` followed by the NUL-terminated `suffix`. */
plugin_string_t plugin_string_concat(plugin_string_t a, const char *suffix);
/** Sets `*err` to the `tag` case with a heap copy of the NUL-terminated `message`. */
void plugin_error_set(plugin_error_t *err, plugin_error_tag_t tag, const char *message);

void plugin_string_free(plugin_string_t *s);
void plugin_option_string_free(plugin_option_string_t *s);
void plugin_list_u8_free(plugin_list_u8_t *l);
void plugin_list_pair_free(plugin_list_pair_t *l);
void plugin_event_free(plugin_event_t *e);
void plugin_list_event_free(plugin_list_event_t *l);
void plugin_error_free(plugin_error_t *e);

/* ---- implementation ------------------------------------------------------------------------- */
#ifdef PLUGIN_ABI_IMPLEMENTATION

#include <stdlib.h>
#include <string.h>

#define PLUGIN_EXPORT(name) __attribute__((export_name(name)))

/* The host allocates every lowered argument through this (canonical ABI `realloc`). A zero-size
 * request gets a non-null, aligned dangling pointer that is never freed. */
PLUGIN_EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *ret = realloc(ptr, new_size);
  if (!ret) abort();
  return ret;
}

static void plugin_free_bytes(void *ptr, size_t len) {
  if (len > 0) free(ptr);
}

void plugin_string_free(plugin_string_t *s) {
  plugin_free_bytes(s->ptr, s->len);
  s->ptr = NULL;
  s->len = 0;
}

void plugin_option_string_free(plugin_option_string_t *s) {
  if (s->is_some) plugin_string_free(&s->val);
  s->is_some = false;
}

void plugin_list_u8_free(plugin_list_u8_t *l) {
  plugin_free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_list_pair_free(plugin_list_pair_t *l) {
  for (size_t i = 0; i < l->len; i++) {
    plugin_string_free(&l->ptr[i].f0);
    plugin_string_free(&l->ptr[i].f1);
  }
  plugin_free_bytes(l->ptr, l->len);
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
  plugin_free_bytes(l->ptr, l->len);
  l->ptr = NULL;
  l->len = 0;
}

void plugin_error_free(plugin_error_t *e) { plugin_string_free(&e->val); }

plugin_string_t plugin_string_dup(const char *s, size_t n) {
  if (n == SIZE_MAX) n = strlen(s);
  plugin_string_t out = {(uint8_t *)1, 0};
  if (n == 0) return out;
  out.ptr = malloc(n);
  if (!out.ptr) abort();
  memcpy(out.ptr, s, n);
  out.len = n;
  return out;
}

plugin_string_t plugin_string_concat(plugin_string_t a, const char *suffix) {
  size_t n = strlen(suffix);
  plugin_string_t out = {(uint8_t *)1, 0};
  if (a.len + n == 0) return out;
  out.ptr = malloc(a.len + n);
  if (!out.ptr) abort();
  if (a.len) memcpy(out.ptr, a.ptr, a.len);
  memcpy(out.ptr + a.len, suffix, n);
  out.len = a.len + n;
  return out;
}

void plugin_error_set(plugin_error_t *err, plugin_error_tag_t tag, const char *message) {
  err->tag = (uint8_t)tag;
  err->val = plugin_string_dup(message, SIZE_MAX);
}

void plugin_log(plugin_log_level_t level, const char *message, const plugin_pair_t *fields,
                size_t fields_len) {
  /* An empty list still needs an aligned pointer; `fields` may be NULL then. */
  plugin_pair_t *f = fields_len ? (plugin_pair_t *)fields : (plugin_pair_t *)4;
  __plugin_import_log_log((int32_t)level, (uint8_t *)message, strlen(message), f, fields_len);
}

/* Return area of `handle`: result<list<event>, error>, 16 bytes, align 4. Static is fine: a
 * component instance is not reentrant, and post-return runs before the next call. */
static _Alignas(4) uint8_t plugin_handle_ret_area[16];

PLUGIN_EXPORT("liquid-nano:plugin/handler@0.1.0#handle")
uint8_t *__plugin_export_handle(uint8_t *id_ptr, size_t id_len, uint8_t *type_ptr,
                                size_t type_len, uint8_t *source_ptr, size_t source_len,
                                int32_t time_is_some, uint8_t *time_ptr, size_t time_len,
                                int32_t dct_is_some, uint8_t *dct_ptr, size_t dct_len,
                                uint8_t *data_ptr, size_t data_len, plugin_pair_t *ext_ptr,
                                size_t ext_len) {
  plugin_event_t event = {
      .id = {id_ptr, id_len},
      .type = {type_ptr, type_len},
      .source = {source_ptr, source_len},
      .time = {time_is_some != 0, {time_is_some ? time_ptr : NULL, time_is_some ? time_len : 0}},
      .datacontenttype = {dct_is_some != 0,
                          {dct_is_some ? dct_ptr : NULL, dct_is_some ? dct_len : 0}},
      .data = {data_ptr, data_len},
      .extensions = {ext_ptr, ext_len},
  };
  plugin_list_event_t ok = {NULL, 0};
  plugin_error_t err = {PLUGIN_ERROR_FAILED, {NULL, 0}};
  uint8_t *ret = plugin_handle_ret_area;
  memset(ret, 0, sizeof plugin_handle_ret_area);
  if (plugin_handle(&event, &ok, &err)) {
    ret[0] = 0;
    *(plugin_event_t **)(ret + 4) = ok.len ? ok.ptr : (plugin_event_t *)4;
    *(size_t *)(ret + 8) = ok.len;
  } else {
    ret[0] = 1;
    ret[4] = err.tag;
    *(uint8_t **)(ret + 8) = err.val.len ? err.val.ptr : (uint8_t *)1;
    *(size_t *)(ret + 12) = err.val.len;
  }
  return ret;
}

/* Runs after the host has copied the result out of guest memory: frees it. */
PLUGIN_EXPORT("cabi_post_liquid-nano:plugin/handler@0.1.0#handle")
void __plugin_post_return_handle(uint8_t *ret) {
  if (ret[0] == 0) {
    plugin_list_event_t ok = {*(plugin_event_t **)(ret + 4), *(size_t *)(ret + 8)};
    plugin_list_event_free(&ok);
  } else {
    plugin_error_t err = {ret[4], {*(uint8_t **)(ret + 8), *(size_t *)(ret + 12)}};
    plugin_error_free(&err);
  }
}

#endif /* PLUGIN_ABI_IMPLEMENTATION */
#endif /* LIQUID_NANO_PLUGIN_ABI_H */
