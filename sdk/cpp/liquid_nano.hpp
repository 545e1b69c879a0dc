// liquid_nano.hpp: the Liquid Nano guest library for C++ (clang-14 + libc++, wasm32-wasi,
// -std=c++17 -fno-exceptions). Built on the C library liquid_nano.h (sdk/c/), with standard types:
// std::string, std::vector, std::optional, and a small Result for WIT's result<T, E>.
//
// In exactly one .cpp file, define LIQUID_NANO_IMPLEMENTATION before including this header (and
// LIQUID_NANO_LIFECYCLE / LIQUID_NANO_STATE for the optional hooks), then export your plugin:
//
//     #define LIQUID_NANO_IMPLEMENTATION
//     #include "liquid_nano.hpp"
//     namespace ln = liquid_nano;
//
//     struct Echo {
//       static ln::Result<std::vector<ln::Event>> handle(ln::Event event) {
//         if (event.type == "fail") return ln::err(ln::Error::failed("asked to fail"));
//         return ln::ok(std::vector<ln::Event>{std::move(event)});
//       }
//     };
//     LIQUID_NANO_EXPORT(Echo)
//
// With LIQUID_NANO_LIFECYCLE the class also has
//   static ln::Result<void, std::string> init(std::vector<ln::Pair> config);  static void teardown();
// and with LIQUID_NANO_STATE
//   static ln::Bytes snapshot();  static ln::Result<void, std::string> restore(ln::Bytes state);
//
// Every host service is a function here: log, config_get, config_get_all, kv_get, kv_set,
// kv_delete, kv_list_keys, counter_add, gauge_set, histogram_observe, emit.
#ifndef LIQUID_NANO_HPP
#define LIQUID_NANO_HPP

#include "liquid_nano.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace liquid_nano {

/** `types.pair`. */
using Pair = std::pair<std::string, std::string>;
/** `list<u8>`. */
using Bytes = std::vector<uint8_t>;

/** `types.event`. */
struct Event {
  std::string id;
  std::string type;
  std::string source;
  std::optional<std::string> time;
  std::optional<std::string> datacontenttype;
  Bytes data;
  std::vector<Pair> extensions;
};

/** `types.error`. */
struct Error {
  enum class Kind : uint8_t { InvalidEvent = 0, Unsupported = 1, Unavailable = 2, Failed = 3 };
  Kind kind;
  std::string message;

  static Error invalid_event(std::string m) { return {Kind::InvalidEvent, std::move(m)}; }
  static Error unsupported(std::string m) { return {Kind::Unsupported, std::move(m)}; }
  static Error unavailable(std::string m) { return {Kind::Unavailable, std::move(m)}; }
  static Error failed(std::string m) { return {Kind::Failed, std::move(m)}; }
};

/** `kv.error`; `message` is empty for Denied. */
struct KvError {
  enum class Kind : uint8_t { Denied = 0, QuotaExceeded = 1, TooLarge = 2, Internal = 3 };
  Kind kind;
  std::string message;
};

/** `log.level`. */
enum class Level : int32_t { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

/** The success of a Result; make one with ok(value) or ok(). */
template <class T> struct Ok { T value; };
template <> struct Ok<void> {};
/** The failure of a Result; make one with err(error). */
template <class E> struct Err { E error; };

template <class T> Ok<std::decay_t<T>> ok(T &&value) { return {std::forward<T>(value)}; }
inline Ok<void> ok() { return {}; }
template <class E> Err<std::decay_t<E>> err(E &&error) { return {std::forward<E>(error)}; }

/** WIT's result<T, E>: converts from ok(...) and err(...). */
template <class T, class E = Error> class Result {
 public:
  template <class U> Result(Ok<U> o) : value_(std::in_place, std::move(o.value)) {}
  template <class F> Result(Err<F> e) : error_(std::in_place, std::move(e.error)) {}
  bool is_ok() const { return value_.has_value(); }
  T &value() { return *value_; }
  E &error() { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<E> error_;
};

template <class E> class Result<void, E> {
 public:
  Result(Ok<void>) {}
  template <class F> Result(Err<F> e) : error_(std::in_place, std::move(e.error)) {}
  bool is_ok() const { return !error_.has_value(); }
  E &error() { return *error_; }

 private:
  std::optional<E> error_;
};

namespace detail {

// C → C++ takes ownership (and frees the C side); C++ → C makes heap copies the post-return frees.

inline std::string take(plugin_string_t &s) {
  std::string out(reinterpret_cast<const char *>(s.ptr), s.len);
  plugin_string_free(&s);
  return out;
}

inline Bytes take(plugin_list_u8_t &l) {
  Bytes out(l.ptr, l.ptr + l.len);
  plugin_list_u8_free(&l);
  return out;
}

inline std::vector<Pair> take(plugin_list_pair_t &l) {
  std::vector<Pair> out;
  out.reserve(l.len);
  for (size_t i = 0; i < l.len; i++) {
    out.emplace_back(std::string(reinterpret_cast<const char *>(l.ptr[i].f0.ptr), l.ptr[i].f0.len),
                     std::string(reinterpret_cast<const char *>(l.ptr[i].f1.ptr), l.ptr[i].f1.len));
  }
  plugin_list_pair_free(&l);
  return out;
}

inline std::optional<std::string> take(plugin_option_string_t &o) {
  if (!o.is_some) return std::nullopt;
  o.is_some = false;
  return take(o.val);
}

inline Event take(plugin_event_t &e) {
  Event out;
  out.id = take(e.id);
  out.type = take(e.type);
  out.source = take(e.source);
  out.time = take(e.time);
  out.datacontenttype = take(e.datacontenttype);
  out.data = take(e.data);
  out.extensions = take(e.extensions);
  return out;
}

inline plugin_string_t copy(const std::string &s) { return plugin_string_dup(s.data(), s.size()); }

inline plugin_list_u8_t copy(const Bytes &b) {
  plugin_string_t s = plugin_string_dup(reinterpret_cast<const char *>(b.data()), b.size());
  return {s.ptr, s.len};
}

inline plugin_list_pair_t copy(const std::vector<Pair> &pairs) {
  if (pairs.empty()) return {nullptr, 0};
  auto *out = static_cast<plugin_pair_t *>(std::malloc(pairs.size() * sizeof(plugin_pair_t)));
  if (!out) std::abort();
  for (size_t i = 0; i < pairs.size(); i++) out[i] = {copy(pairs[i].first), copy(pairs[i].second)};
  return {out, pairs.size()};
}

inline plugin_option_string_t copy(const std::optional<std::string> &o) {
  if (!o) return {false, {nullptr, 0}};
  return {true, copy(*o)};
}

inline void copy_into(const Event &e, plugin_event_t *out) {
  out->id = copy(e.id);
  out->type = copy(e.type);
  out->source = copy(e.source);
  out->time = copy(e.time);
  out->datacontenttype = copy(e.datacontenttype);
  out->data = copy(e.data);
  out->extensions = copy(e.extensions);
}

/** A borrowed view (valid while `s` lives). */
inline plugin_string_t view(std::string_view s) {
  return {reinterpret_cast<uint8_t *>(const_cast<char *>(s.data())), s.size()};
}

inline std::vector<plugin_pair_t> view(const std::vector<Pair> &pairs) {
  std::vector<plugin_pair_t> out;
  out.reserve(pairs.size());
  for (const auto &p : pairs) out.push_back({view(p.first), view(p.second)});
  return out;
}

inline plugin_event_t view(const Event &e) {
  plugin_event_t out;
  out.id = view(e.id);
  out.type = view(e.type);
  out.source = view(e.source);
  out.time = e.time ? plugin_option_string_t{true, view(*e.time)} : plugin_option_string_t{false, {nullptr, 0}};
  out.datacontenttype =
      e.datacontenttype ? plugin_option_string_t{true, view(*e.datacontenttype)} : plugin_option_string_t{false, {nullptr, 0}};
  out.data = {const_cast<uint8_t *>(e.data.data()), e.data.size()};
  out.extensions = {nullptr, 0}; // filled by the caller, which owns the pair array
  return out;
}

inline KvError take(plugin_kv_error_t &e) { return {static_cast<KvError::Kind>(e.tag), take(e.val)}; }

// The bodies of the plugin_* functions LIQUID_NANO_EXPORT defines.

template <class P> bool handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err) {
  Result<std::vector<Event>> result = P::handle(take(*event));
  if (!result.is_ok()) {
    err->tag = static_cast<uint8_t>(result.error().kind);
    err->val = copy(result.error().message);
    return false;
  }
  std::vector<Event> &events = result.value();
  ret->len = events.size();
  ret->ptr = nullptr;
  if (!events.empty()) {
    ret->ptr = static_cast<plugin_event_t *>(std::calloc(events.size(), sizeof(plugin_event_t)));
    if (!ret->ptr) std::abort();
    for (size_t i = 0; i < events.size(); i++) copy_into(events[i], &ret->ptr[i]);
  }
  return true;
}

inline bool unit_result(Result<void, std::string> result, plugin_string_t *err) {
  if (result.is_ok()) return true;
  *err = copy(result.error());
  return false;
}

template <class P> bool init(plugin_list_pair_t *config, plugin_string_t *err) {
  return unit_result(P::init(take(*config)), err);
}

template <class P> void snapshot(plugin_list_u8_t *ret) { *ret = copy(P::snapshot()); }

template <class P> bool restore(plugin_list_u8_t *state, plugin_string_t *err) {
  return unit_result(P::restore(take(*state)), err);
}

} // namespace detail

// ---- host services -------------------------------------------------------------------------

/** `log.log(level, message, fields)`. */
inline void log(Level level, std::string_view message, const std::vector<Pair> &fields = {}) {
  std::vector<plugin_pair_t> f = detail::view(fields);
  plugin_log_string(static_cast<plugin_log_level_t>(level), detail::view(message), f.data(), f.size());
}

/** `config.get(key)`. */
inline std::optional<std::string> config_get(std::string_view key) {
  plugin_string_t value;
  if (!plugin_config_get(detail::view(key), &value)) return std::nullopt;
  return detail::take(value);
}

/** `config.get-all()`, sorted by key. */
inline std::vector<Pair> config_get_all() {
  plugin_list_pair_t all = plugin_config_get_all();
  return detail::take(all);
}

/** `kv.get(key)`. */
inline Result<std::optional<Bytes>, KvError> kv_get(std::string_view key) {
  plugin_option_list_u8_t value;
  plugin_kv_error_t e;
  if (!plugin_kv_get(detail::view(key), &value, &e)) return err(detail::take(e));
  if (!value.is_some) return ok(std::optional<Bytes>());
  return ok(std::optional<Bytes>(detail::take(value.val)));
}

/** `kv.set(key, value)`. */
inline Result<void, KvError> kv_set(std::string_view key, const Bytes &value) {
  plugin_kv_error_t e;
  plugin_list_u8_t v = {const_cast<uint8_t *>(value.data()), value.size()};
  if (!plugin_kv_set(detail::view(key), v, &e)) return err(detail::take(e));
  return ok();
}

/** `kv.delete(key)`: whether it existed. */
inline Result<bool, KvError> kv_delete(std::string_view key) {
  bool existed = false;
  plugin_kv_error_t e;
  if (!plugin_kv_delete(detail::view(key), &existed, &e)) return err(detail::take(e));
  return ok(existed);
}

/** `kv.list-keys(prefix, limit)`. */
inline Result<std::vector<std::string>, KvError> kv_list_keys(std::string_view prefix, uint32_t limit) {
  plugin_list_string_t keys;
  plugin_kv_error_t e;
  if (!plugin_kv_list_keys(detail::view(prefix), limit, &keys, &e)) return err(detail::take(e));
  std::vector<std::string> out;
  out.reserve(keys.len);
  for (size_t i = 0; i < keys.len; i++) out.emplace_back(reinterpret_cast<const char *>(keys.ptr[i].ptr), keys.ptr[i].len);
  plugin_list_string_free(&keys);
  return ok(std::move(out));
}

/** `metrics.counter-add(name, value, labels)`. */
inline void counter_add(std::string_view name, double value, const std::vector<Pair> &labels = {}) {
  std::vector<plugin_pair_t> l = detail::view(labels);
  plugin_metrics_counter_add(detail::view(name), value, l.data(), l.size());
}

/** `metrics.gauge-set(name, value, labels)`. */
inline void gauge_set(std::string_view name, double value, const std::vector<Pair> &labels = {}) {
  std::vector<plugin_pair_t> l = detail::view(labels);
  plugin_metrics_gauge_set(detail::view(name), value, l.data(), l.size());
}

/** `metrics.histogram-observe(name, value, labels)`. */
inline void histogram_observe(std::string_view name, double value, const std::vector<Pair> &labels = {}) {
  std::vector<plugin_pair_t> l = detail::view(labels);
  plugin_metrics_histogram_observe(detail::view(name), value, l.data(), l.size());
}

/** `events.emit(event)`. */
inline Result<void, std::string> emit(const Event &event) {
  plugin_event_t e = detail::view(event);
  std::vector<plugin_pair_t> ext = detail::view(event.extensions);
  e.extensions = {ext.data(), ext.size()};
  plugin_string_t reason;
  if (!plugin_events_emit(&e, &reason)) return err(detail::take(reason));
  return ok();
}

} // namespace liquid_nano

#ifdef LIQUID_NANO_LIFECYCLE
#define LIQUID_NANO__LIFECYCLE(P)                                                                      \
  extern "C" bool plugin_init(plugin_list_pair_t *config, plugin_string_t *err) {                      \
    return ::liquid_nano::detail::init<P>(config, err);                                                \
  }                                                                                                    \
  extern "C" void plugin_teardown(void) { P::teardown(); }
#else
#define LIQUID_NANO__LIFECYCLE(P)
#endif

#ifdef LIQUID_NANO_STATE
#define LIQUID_NANO__STATE(P)                                                                          \
  extern "C" void plugin_snapshot(plugin_list_u8_t *ret) { ::liquid_nano::detail::snapshot<P>(ret); } \
  extern "C" bool plugin_restore(plugin_list_u8_t *state, plugin_string_t *err) {                      \
    return ::liquid_nano::detail::restore<P>(state, err);                                              \
  }
#else
#define LIQUID_NANO__STATE(P)
#endif

/** Exports the class `P` as the plugin (once, in the file that defines LIQUID_NANO_IMPLEMENTATION). */
#define LIQUID_NANO_EXPORT(P)                                                                          \
  extern "C" bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err) { \
    return ::liquid_nano::detail::handle<P>(event, ret, err);                                          \
  }                                                                                                    \
  LIQUID_NANO__LIFECYCLE(P)                                                                            \
  LIQUID_NANO__STATE(P)

#endif // LIQUID_NANO_HPP
