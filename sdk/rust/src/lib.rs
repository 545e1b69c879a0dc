//! Liquid Nano guest library for Rust: the `plugin` worlds of `liquid-nano:plugin@0.1.0`
//! (wit/plugin.wit) without wit-bindgen and without any dependency, for rustc 1.63 and the
//! `wasm32-unknown-unknown` target (no WASI imports at all).
//!
//! ```ignore
//! use liquid_nano::{export_plugin, log, Error, Event, Level, Plugin};
//!
//! struct Echo;
//! impl Plugin for Echo {
//!     fn handle(event: Event) -> Result<Vec<Event>, Error> {
//!         log(Level::Info, "echo", &[]);
//!         Ok(vec![event])
//!     }
//! }
//! export_plugin!(Echo);
//! ```
//!
//! `export_plugin!(T)` exports the handler; `export_plugin!(T, lifecycle)` also exports
//! [`Lifecycle`] (world `plugin-with-lifecycle`), and `export_plugin!(T, lifecycle, state)` also
//! [`State`] (world `stateful-plugin`). `lnano build` picks the world from the exports.
//!
//! Every host service is a function here: [`log`], [`config_get`], [`config_get_all`],
//! [`kv_get`], [`kv_set`], [`kv_delete`], [`kv_list_keys`], [`counter_add`], [`gauge_set`],
//! [`histogram_observe`], [`emit`].
//!
//! A panic traps the instance; the host answers the call with an error and replaces the instance.

use std::alloc::{self, Layout};

/// `types.pair`.
pub type Pair = (String, String);

/// `types.event`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// The WIT field `type` (a Rust keyword).
    pub type_: String,
    pub source: String,
    pub time: Option<String>,
    pub datacontenttype: Option<String>,
    pub data: Vec<u8>,
    pub extensions: Vec<Pair>,
}

/// `types.error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    InvalidEvent(String),
    Unsupported(String),
    Unavailable(String),
    Failed(String),
}

/// `kv.error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    Denied,
    QuotaExceeded(String),
    TooLarge(String),
    Internal(String),
}

/// `log.level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// `handler`: every plugin implements it.
pub trait Plugin {
    /// Handles one event: the events to reply with, or an error.
    fn handle(event: Event) -> Result<Vec<Event>, Error>;
}

/// `lifecycle`: exported with `export_plugin!(T, lifecycle)`.
pub trait Lifecycle {
    /// Prepares the instance with the manifest's `config`; an error refuses the instance.
    fn init(config: Vec<Pair>) -> Result<(), String>;
    /// Releases what the instance holds (best effort).
    fn teardown() {}
}

/// `state`: exported with `export_plugin!(T, lifecycle, state)`.
pub trait State {
    /// The instance's state, in a format of the plugin's choosing.
    fn snapshot() -> Vec<u8>;
    /// Takes over state from `snapshot` of this or an earlier version.
    fn restore(state: Vec<u8>) -> Result<(), String>;
}

/// Canonical-ABI glue; public only for `export_plugin!`.
#[doc(hidden)]
pub mod rt {
    use super::*;

    /// `string` / `list<u8>` in linear memory.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct RawStr {
        pub ptr: *mut u8,
        pub len: usize,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct RawPair {
        pub k: RawStr,
        pub v: RawStr,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct RawOptStr {
        pub is_some: u8,
        pub val: RawStr,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct RawEvent {
        pub id: RawStr,
        pub type_: RawStr,
        pub source: RawStr,
        pub time: RawOptStr,
        pub datacontenttype: RawOptStr,
        pub data: RawStr,
        pub ext_ptr: *mut RawPair,
        pub ext_len: usize,
    }

    const _: () = assert!(std::mem::size_of::<RawEvent>() == 64 && std::mem::size_of::<RawPair>() == 16);

    /// A return area: 16 bytes, 8-aligned.
    #[repr(C, align(8))]
    pub struct RetArea(pub [u8; 16]);

    pub static mut RET: RetArea = RetArea([0; 16]);

    /// The canonical ABI's `realloc`: every argument the host lowers and every import result is
    /// allocated through it. A zero-size request gets a dangling, aligned pointer.
    pub unsafe fn realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
        if new_len == 0 {
            return align as *mut u8;
        }
        let ptr = if old_len == 0 {
            alloc::alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            alloc::realloc(old, Layout::from_size_align_unchecked(old_len, align), new_len)
        };
        if ptr.is_null() {
            alloc::handle_alloc_error(Layout::from_size_align_unchecked(new_len, align));
        }
        ptr
    }

    pub unsafe fn read_u8(area: *const u8, off: usize) -> u8 {
        *area.add(off)
    }
    pub unsafe fn read_usize(area: *const u8, off: usize) -> usize {
        *(area.add(off) as *const usize)
    }
    pub unsafe fn write_usize(area: *mut u8, off: usize, v: usize) {
        *(area.add(off) as *mut usize) = v;
    }

    // ---- host → guest: take ownership of what the host allocated through `realloc` ----

    pub unsafe fn take_bytes(ptr: *mut u8, len: usize) -> Vec<u8> {
        if len == 0 {
            return Vec::new(); // nothing was allocated; `ptr` may be anything
        }
        Vec::from_raw_parts(ptr, len, len)
    }
    pub unsafe fn take_string(ptr: *mut u8, len: usize) -> String {
        // The host writes valid UTF-8 for a WIT string.
        String::from_utf8_unchecked(take_bytes(ptr, len))
    }
    pub unsafe fn take_pairs(ptr: *mut RawPair, len: usize) -> Vec<Pair> {
        if len == 0 {
            return Vec::new();
        }
        let raw = Vec::from_raw_parts(ptr, len, len);
        raw.iter().map(|p| (take_string(p.k.ptr, p.k.len), take_string(p.v.ptr, p.v.len))).collect()
    }

    // ---- guest → host: heap copies the post-return functions free ----

    pub fn give_bytes(bytes: Vec<u8>) -> RawStr {
        let len = bytes.len();
        let ptr = Box::into_raw(bytes.into_boxed_slice()) as *mut u8;
        RawStr { ptr, len }
    }
    pub fn give_string(s: String) -> RawStr {
        give_bytes(s.into_bytes())
    }
    pub fn give_opt(s: Option<String>) -> RawOptStr {
        match s {
            Some(s) => RawOptStr { is_some: 1, val: give_string(s) },
            None => RawOptStr { is_some: 0, val: RawStr { ptr: std::ptr::null_mut(), len: 0 } },
        }
    }
    pub fn give_event(e: Event) -> RawEvent {
        let ext: Vec<RawPair> = e.extensions.into_iter().map(|(k, v)| RawPair { k: give_string(k), v: give_string(v) }).collect();
        let ext_len = ext.len();
        RawEvent {
            id: give_string(e.id),
            type_: give_string(e.type_),
            source: give_string(e.source),
            time: give_opt(e.time),
            datacontenttype: give_opt(e.datacontenttype),
            data: give_bytes(e.data),
            ext_ptr: Box::into_raw(ext.into_boxed_slice()) as *mut RawPair,
            ext_len,
        }
    }

    pub unsafe fn free_bytes(s: RawStr) {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(s.ptr, s.len)));
    }
    pub unsafe fn free_opt(s: RawOptStr) {
        if s.is_some != 0 {
            free_bytes(s.val);
        }
    }
    pub unsafe fn free_event(e: &RawEvent) {
        for f in [e.id, e.type_, e.source, e.data] {
            free_bytes(f);
        }
        free_opt(e.time);
        free_opt(e.datacontenttype);
        let ext = Box::from_raw(std::ptr::slice_from_raw_parts_mut(e.ext_ptr, e.ext_len));
        for p in ext.iter() {
            free_bytes(p.k);
            free_bytes(p.v);
        }
    }

    // ---- exports ----

    #[allow(clippy::too_many_arguments)]
    pub unsafe fn handle<P: Plugin>(
        id: *mut u8, id_len: usize, ty: *mut u8, ty_len: usize, src: *mut u8, src_len: usize,
        time_some: i32, time: *mut u8, time_len: usize, dct_some: i32, dct: *mut u8, dct_len: usize,
        data: *mut u8, data_len: usize, ext: *mut RawPair, ext_len: usize,
    ) -> *mut u8 {
        let event = Event {
            id: take_string(id, id_len),
            type_: take_string(ty, ty_len),
            source: take_string(src, src_len),
            time: if time_some != 0 { Some(take_string(time, time_len)) } else { None },
            datacontenttype: if dct_some != 0 { Some(take_string(dct, dct_len)) } else { None },
            data: take_bytes(data, data_len),
            extensions: take_pairs(ext, ext_len),
        };
        let area = RET.0.as_mut_ptr();
        RET.0 = [0; 16];
        match P::handle(event) {
            Ok(events) => {
                let raw: Vec<RawEvent> = events.into_iter().map(give_event).collect();
                let len = raw.len();
                write_usize(area, 4, Box::into_raw(raw.into_boxed_slice()) as *mut RawEvent as usize);
                write_usize(area, 8, len);
            }
            Err(err) => {
                let (tag, msg) = match err {
                    Error::InvalidEvent(m) => (0, m),
                    Error::Unsupported(m) => (1, m),
                    Error::Unavailable(m) => (2, m),
                    Error::Failed(m) => (3, m),
                };
                let s = give_string(msg);
                *area = 1;
                *area.add(4) = tag;
                write_usize(area, 8, s.ptr as usize);
                write_usize(area, 12, s.len);
            }
        }
        area
    }

    pub unsafe fn post_handle(area: *mut u8) {
        if read_u8(area, 0) == 0 {
            let ptr = read_usize(area, 4) as *mut RawEvent;
            let events = Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, read_usize(area, 8)));
            for e in events.iter() {
                free_event(e);
            }
        } else {
            free_bytes(RawStr { ptr: read_usize(area, 8) as *mut u8, len: read_usize(area, 12) });
        }
    }

    /// `result<_, string>` into the return area: [0] discriminant, [4] ptr, [8] len.
    pub unsafe fn unit_result(r: Result<(), String>) -> *mut u8 {
        let area = RET.0.as_mut_ptr();
        RET.0 = [0; 16];
        if let Err(msg) = r {
            let s = give_string(msg);
            *area = 1;
            write_usize(area, 4, s.ptr as usize);
            write_usize(area, 8, s.len);
        }
        area
    }

    pub unsafe fn post_unit_result(area: *mut u8) {
        if read_u8(area, 0) != 0 {
            free_bytes(RawStr { ptr: read_usize(area, 4) as *mut u8, len: read_usize(area, 8) });
        }
    }

    pub unsafe fn init<L: Lifecycle>(ptr: *mut RawPair, len: usize) -> *mut u8 {
        unit_result(L::init(take_pairs(ptr, len)))
    }

    pub unsafe fn snapshot<S: State>() -> *mut u8 {
        let area = RET.0.as_mut_ptr();
        let s = give_bytes(S::snapshot());
        write_usize(area, 0, s.ptr as usize);
        write_usize(area, 4, s.len);
        area
    }

    pub unsafe fn post_snapshot(area: *mut u8) {
        free_bytes(RawStr { ptr: read_usize(area, 0) as *mut u8, len: read_usize(area, 4) });
    }

    pub unsafe fn restore<S: State>(ptr: *mut u8, len: usize) -> *mut u8 {
        unit_result(S::restore(take_bytes(ptr, len)))
    }

    // ---- imports ----

    #[link(wasm_import_module = "liquid-nano:plugin/log@0.1.0")]
    extern "C" {
        #[link_name = "log"]
        pub fn log_log(level: i32, msg: *const u8, msg_len: usize, fields: *const RawPair, n: usize);
    }
    #[link(wasm_import_module = "liquid-nano:plugin/config@0.1.0")]
    extern "C" {
        #[link_name = "get"]
        pub fn config_get(key: *const u8, key_len: usize, ret: *mut u8);
        #[link_name = "get-all"]
        pub fn config_get_all(ret: *mut u8);
    }
    #[link(wasm_import_module = "liquid-nano:plugin/kv@0.1.0")]
    extern "C" {
        #[link_name = "get"]
        pub fn kv_get(key: *const u8, key_len: usize, ret: *mut u8);
        #[link_name = "set"]
        pub fn kv_set(key: *const u8, key_len: usize, val: *const u8, val_len: usize, ret: *mut u8);
        #[link_name = "delete"]
        pub fn kv_delete(key: *const u8, key_len: usize, ret: *mut u8);
        #[link_name = "list-keys"]
        pub fn kv_list_keys(prefix: *const u8, prefix_len: usize, limit: u32, ret: *mut u8);
    }
    #[link(wasm_import_module = "liquid-nano:plugin/metrics@0.1.0")]
    extern "C" {
        #[link_name = "counter-add"]
        pub fn counter_add(name: *const u8, name_len: usize, value: f64, labels: *const RawPair, n: usize);
        #[link_name = "gauge-set"]
        pub fn gauge_set(name: *const u8, name_len: usize, value: f64, labels: *const RawPair, n: usize);
        #[link_name = "histogram-observe"]
        pub fn histogram_observe(name: *const u8, name_len: usize, value: f64, labels: *const RawPair, n: usize);
    }
    #[link(wasm_import_module = "liquid-nano:plugin/events@0.1.0")]
    extern "C" {
        #[link_name = "emit"]
        pub fn emit(
            id: *const u8, id_len: usize, ty: *const u8, ty_len: usize, src: *const u8, src_len: usize,
            time_some: i32, time: *const u8, time_len: usize, dct_some: i32, dct: *const u8, dct_len: usize,
            data: *const u8, data_len: usize, ext: *const RawPair, ext_len: usize, ret: *mut u8,
        );
    }

    /// A borrowed view of `s`, for import arguments.
    pub fn view(s: &[u8]) -> RawStr {
        RawStr { ptr: s.as_ptr() as *mut u8, len: s.len() }
    }
    pub fn view_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Vec<RawPair> {
        pairs.iter().map(|(k, v)| RawPair { k: view(k.as_ref().as_bytes()), v: view(v.as_ref().as_bytes()) }).collect()
    }

    /// `kv.error` at offset 4 of a return area.
    pub unsafe fn kv_error(area: *const u8) -> KvError {
        let msg = || take_string(read_usize(area, 8) as *mut u8, read_usize(area, 12));
        match read_u8(area, 4) {
            0 => KvError::Denied,
            1 => KvError::QuotaExceeded(msg()),
            2 => KvError::TooLarge(msg()),
            _ => KvError::Internal(msg()),
        }
    }
}

// ---- host services ---------------------------------------------------------------------------

/// `log.log(level, message, fields)`: fields appear under the host log entry's `guest` key.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let f = rt::view_pairs(fields);
    unsafe { rt::log_log(level as i32, message.as_ptr(), message.len(), f.as_ptr(), f.len()) }
}

/// `config.get(key)`: the manifest's `config` value, if set.
pub fn config_get(key: &str) -> Option<String> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::config_get(key.as_ptr(), key.len(), a);
        if rt::read_u8(a, 0) == 0 {
            return None;
        }
        Some(rt::take_string(rt::read_usize(a, 4) as *mut u8, rt::read_usize(a, 8)))
    }
}

/// `config.get-all()`: every configured key and value, sorted by key.
pub fn config_get_all() -> Vec<Pair> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::config_get_all(a);
        rt::take_pairs(rt::read_usize(a, 0) as *mut rt::RawPair, rt::read_usize(a, 4))
    }
}

/// `kv.get(key)`.
pub fn kv_get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::kv_get(key.as_ptr(), key.len(), a);
        if rt::read_u8(a, 0) != 0 {
            return Err(rt::kv_error(a));
        }
        if rt::read_u8(a, 4) == 0 {
            return Ok(None);
        }
        Ok(Some(rt::take_bytes(rt::read_usize(a, 8) as *mut u8, rt::read_usize(a, 12))))
    }
}

/// `kv.set(key, value)`.
pub fn kv_set(key: &str, value: &[u8]) -> Result<(), KvError> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::kv_set(key.as_ptr(), key.len(), value.as_ptr(), value.len(), a);
        if rt::read_u8(a, 0) != 0 {
            return Err(rt::kv_error(a));
        }
    }
    Ok(())
}

/// `kv.delete(key)`: whether the key existed.
pub fn kv_delete(key: &str) -> Result<bool, KvError> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::kv_delete(key.as_ptr(), key.len(), a);
        if rt::read_u8(a, 0) != 0 {
            return Err(rt::kv_error(a));
        }
        Ok(rt::read_u8(a, 4) != 0)
    }
}

/// `kv.list-keys(prefix, limit)`: sorted.
pub fn kv_list_keys(prefix: &str, limit: u32) -> Result<Vec<String>, KvError> {
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::kv_list_keys(prefix.as_ptr(), prefix.len(), limit, a);
        if rt::read_u8(a, 0) != 0 {
            return Err(rt::kv_error(a));
        }
        let len = rt::read_usize(a, 8);
        if len == 0 {
            return Ok(Vec::new());
        }
        let raw = Vec::from_raw_parts(rt::read_usize(a, 4) as *mut rt::RawStr, len, len);
        Ok(raw.iter().map(|s| rt::take_string(s.ptr, s.len)).collect())
    }
}

/// `metrics.counter-add(name, value, labels)`.
pub fn counter_add(name: &str, value: f64, labels: &[(&str, &str)]) {
    let l = rt::view_pairs(labels);
    unsafe { rt::counter_add(name.as_ptr(), name.len(), value, l.as_ptr(), l.len()) }
}

/// `metrics.gauge-set(name, value, labels)`.
pub fn gauge_set(name: &str, value: f64, labels: &[(&str, &str)]) {
    let l = rt::view_pairs(labels);
    unsafe { rt::gauge_set(name.as_ptr(), name.len(), value, l.as_ptr(), l.len()) }
}

/// `metrics.histogram-observe(name, value, labels)`.
pub fn histogram_observe(name: &str, value: f64, labels: &[(&str, &str)]) {
    let l = rt::view_pairs(labels);
    unsafe { rt::histogram_observe(name.as_ptr(), name.len(), value, l.as_ptr(), l.len()) }
}

/// `events.emit(event)`: queues a follow-up event; Err with the host's reason past its limits.
pub fn emit(event: &Event) -> Result<(), String> {
    let ext = rt::view_pairs(&event.extensions);
    let (ts, t) = match &event.time {
        Some(t) => (1, rt::view(t.as_bytes())),
        None => (0, rt::view(&[])),
    };
    let (ds, d) = match &event.datacontenttype {
        Some(d) => (1, rt::view(d.as_bytes())),
        None => (0, rt::view(&[])),
    };
    let mut area = rt::RetArea([0; 16]);
    let a = area.0.as_mut_ptr();
    unsafe {
        rt::emit(
            event.id.as_ptr(), event.id.len(), event.type_.as_ptr(), event.type_.len(),
            event.source.as_ptr(), event.source.len(), ts, t.ptr, t.len, ds, d.ptr, d.len,
            event.data.as_ptr(), event.data.len(), ext.as_ptr(), ext.len(), a,
        );
        if rt::read_u8(a, 0) == 0 {
            return Ok(());
        }
        Err(rt::take_string(rt::read_usize(a, 4) as *mut u8, rt::read_usize(a, 8)))
    }
}

/// Exports a type as the plugin: `export_plugin!(T)` (handler), `export_plugin!(T, lifecycle)`
/// (+ [`Lifecycle`]), `export_plugin!(T, lifecycle, state)` (+ [`State`]). Use it once, in the
/// plugin's crate (a cdylib): the exports and `cabi_realloc` are defined there.
#[macro_export]
macro_rules! export_plugin {
    ($t:ty) => {
        #[export_name = "cabi_realloc"]
        pub unsafe extern "C" fn __liquid_nano_realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
            $crate::rt::realloc(old, old_len, align, new_len)
        }
        #[export_name = "liquid-nano:plugin/handler@0.1.0#handle"]
        pub unsafe extern "C" fn __liquid_nano_handle(
            a0: *mut u8, a1: usize, a2: *mut u8, a3: usize, a4: *mut u8, a5: usize, a6: i32, a7: *mut u8,
            a8: usize, a9: i32, a10: *mut u8, a11: usize, a12: *mut u8, a13: usize,
            a14: *mut $crate::rt::RawPair, a15: usize,
        ) -> *mut u8 {
            $crate::rt::handle::<$t>(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
        }
        #[export_name = "cabi_post_liquid-nano:plugin/handler@0.1.0#handle"]
        pub unsafe extern "C" fn __liquid_nano_post_handle(area: *mut u8) {
            $crate::rt::post_handle(area)
        }
    };
    ($t:ty, lifecycle) => {
        $crate::export_plugin!($t);
        #[export_name = "liquid-nano:plugin/lifecycle@0.1.0#init"]
        pub unsafe extern "C" fn __liquid_nano_init(ptr: *mut $crate::rt::RawPair, len: usize) -> *mut u8 {
            $crate::rt::init::<$t>(ptr, len)
        }
        #[export_name = "cabi_post_liquid-nano:plugin/lifecycle@0.1.0#init"]
        pub unsafe extern "C" fn __liquid_nano_post_init(area: *mut u8) {
            $crate::rt::post_unit_result(area)
        }
        #[export_name = "liquid-nano:plugin/lifecycle@0.1.0#teardown"]
        pub extern "C" fn __liquid_nano_teardown() {
            <$t as $crate::Lifecycle>::teardown()
        }
    };
    ($t:ty, lifecycle, state) => {
        $crate::export_plugin!($t, lifecycle);
        #[export_name = "liquid-nano:plugin/state@0.1.0#snapshot"]
        pub unsafe extern "C" fn __liquid_nano_snapshot() -> *mut u8 {
            $crate::rt::snapshot::<$t>()
        }
        #[export_name = "cabi_post_liquid-nano:plugin/state@0.1.0#snapshot"]
        pub unsafe extern "C" fn __liquid_nano_post_snapshot(area: *mut u8) {
            $crate::rt::post_snapshot(area)
        }
        #[export_name = "liquid-nano:plugin/state@0.1.0#restore"]
        pub unsafe extern "C" fn __liquid_nano_restore(ptr: *mut u8, len: usize) -> *mut u8 {
            $crate::rt::restore::<$t>(ptr, len)
        }
        #[export_name = "cabi_post_liquid-nano:plugin/state@0.1.0#restore"]
        pub unsafe extern "C" fn __liquid_nano_post_restore(area: *mut u8) {
            $crate::rt::post_unit_result(area)
        }
    };
}
