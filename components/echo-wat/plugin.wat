;; echo-wat: a Liquid Nano plugin written directly in WebAssembly text.
;;
;; This is a *core* module. `lnano build` turns it into a component for the `plugin` world of
;; liquid-nano:plugin@0.1.0 (wasm-tools `component embed` + `component new`): the import and
;; export names below are how the component model's canonical ABI names WIT functions.
;;
;; What it does (the echo contract): handle(event) replies with one event — the same source,
;; data and datacontenttype, type + ".echoed", id + "-echo", no time, no extensions — and logs
;; "echo" at info level. An event of type "fail" is answered with err(failed("asked to fail")).
;; An event that is itself an echo (type ending in ".echoed") is answered with no events: the
;; host routes replies again (follow-up events), and echoing echoes would loop.
(module
  ;; --- imports ----------------------------------------------------------------------------
  ;; log: func(level: level, message: string, fields: list<pair>)
  ;; Flattened: the enum is an i32 (info = 2), a string is (ptr, len), a list is (ptr, len).
  (import "liquid-nano:plugin/log@0.1.0" "log"
    (func $log (param $level i32) (param $msg i32) (param $msg_len i32) (param $fields i32) (param $fields_len i32)))

  ;; --- memory -----------------------------------------------------------------------------
  ;; One page of constants, then the heap. The host reads and writes strings and lists here.
  (memory (export "memory") 1)
  (data (i32.const 16) "echo")           ;; the log message, 4 bytes
  (data (i32.const 24) "fail")           ;; the event type that asks for an error, 4 bytes
  (data (i32.const 32) "asked to fail")  ;; the error message, 13 bytes
  (data (i32.const 48) "-echo")          ;; suffix of the reply's id, 5 bytes
  (data (i32.const 56) ".echoed")        ;; suffix of the reply's type, 7 bytes
  ;; 64..79: the return area of `handle` (16 bytes, see below).

  ;; --- allocation -------------------------------------------------------------------------
  ;; A bump allocator that is reset after every call: everything the host passes in and
  ;; everything handed back lives only until the post-return function runs. So nothing leaks,
  ;; and nothing needs freeing one by one.
  (global $heap_base i32 (i32.const 1024))
  (global $bump (mut i32) (i32.const 1024))

  ;; `size` bytes aligned to `align` (a power of two); grows the memory when needed, traps when
  ;; it cannot (the host's memory cap).
  (func $alloc (param $size i32) (param $align i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    ;; ptr = (bump + align - 1) & ~(align - 1)
    (local.set $ptr
      (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
               (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                                      (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $bump (local.get $end))
    (local.get $ptr))

  ;; cabi_realloc(old_ptr, old_size, align, new_size): how the host allocates the arguments it
  ;; lowers into this module. A resize copies into a fresh block (the old one is freed with the
  ;; rest at post-return).
  (func (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (call $alloc (local.get $new_size) (local.get $align)))
    (if (local.get $old)
      (then
        (memory.copy (local.get $ptr) (local.get $old)
          (select (local.get $old_size) (local.get $new_size)
                  (i32.lt_u (local.get $old_size) (local.get $new_size))))))
    (local.get $ptr))

  ;; A new string: the bytes at (a, a_len) followed by those at (b, b_len). Returns its pointer.
  (func $concat (param $a i32) (param $a_len i32) (param $b i32) (param $b_len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (call $alloc (i32.add (local.get $a_len) (local.get $b_len)) (i32.const 1)))
    (memory.copy (local.get $ptr) (local.get $a) (local.get $a_len))
    (memory.copy (i32.add (local.get $ptr) (local.get $a_len)) (local.get $b) (local.get $b_len))
    (local.get $ptr))

  ;; --- the export ---------------------------------------------------------------------------
  ;; handle: func(event: event) -> result<list<event>, error>
  ;;
  ;; The `event` record flattens to 16 i32s, which is exactly MAX_FLAT_PARAMS (16), so it is
  ;; passed flat: id, type, source as (ptr, len); time and datacontenttype as option<string> =
  ;; (is_some, ptr, len); data as (ptr, len); extensions as (ptr, len).
  ;;
  ;; The result does not fit one core value, so `handle` returns a pointer to a 16-byte area:
  ;;   [0] u8 0 = ok, 1 = err
  ;;   ok:  [4] pointer to the list's elements, [8] element count
  ;;   err: [4] u8 error case (invalid-event 0, unsupported 1, unavailable 2, failed 3),
  ;;        [8] message pointer, [12] message length
  ;;
  ;; An `event` in memory is 64 bytes, align 4: id @0, type @8, source @16, time @24
  ;; (u8 is_some, ptr @28, len @32), datacontenttype @36 (u8 is_some, ptr @40, len @44),
  ;; data @48 (ptr, len), extensions @56 (ptr, len).
  (func (export "liquid-nano:plugin/handler@0.1.0#handle")
    (param $id i32) (param $id_len i32)
    (param $type i32) (param $type_len i32)
    (param $source i32) (param $source_len i32)
    (param $time_some i32) (param $time i32) (param $time_len i32)
    (param $ct_some i32) (param $ct i32) (param $ct_len i32)
    (param $data i32) (param $data_len i32)
    (param $ext i32) (param $ext_len i32)
    (result i32)
    (local $reply i32)
    ;; log(info, "echo", [])
    (call $log (i32.const 2) (i32.const 16) (i32.const 4) (i32.const 0) (i32.const 0))

    ;; type == "fail"  →  err(failed("asked to fail"))
    (if (i32.and (i32.eq (local.get $type_len) (i32.const 4))
                 (i32.eq (i32.load align=1 (local.get $type)) (i32.load (i32.const 24))))
      (then
        (i32.store8 (i32.const 64) (i32.const 1))
        (i32.store8 (i32.const 68) (i32.const 3))
        (i32.store (i32.const 72) (i32.const 32))
        (i32.store (i32.const 76) (i32.const 13))
        (return (i32.const 64))))

    ;; type ends in ".echoed"  →  ok([]). The 7 suffix bytes are compared as two overlapping
    ;; 4-byte words: bytes 0..3 and 3..6 of the suffix (the constant at 56).
    (if (i32.ge_u (local.get $type_len) (i32.const 7))
      (then
        (if (i32.and
              (i32.eq (i32.load align=1 (i32.sub (i32.add (local.get $type) (local.get $type_len)) (i32.const 7)))
                      (i32.load align=1 (i32.const 56)))
              (i32.eq (i32.load align=1 (i32.sub (i32.add (local.get $type) (local.get $type_len)) (i32.const 4)))
                      (i32.load align=1 (i32.const 59))))
          (then
            (i32.store8 (i32.const 64) (i32.const 0))
            (i32.store (i32.const 68) (i32.const 0))  ;; an empty list: pointer 0, length 0
            (i32.store (i32.const 72) (i32.const 0))
            (return (i32.const 64))))))

    ;; ok([reply]): one 64-byte event record on the heap. Source, datacontenttype and data point
    ;; at the argument buffers the host gave us: they stay valid until post-return.
    (local.set $reply (call $alloc (i32.const 64) (i32.const 4)))
    (i32.store offset=0 (local.get $reply)
      (call $concat (local.get $id) (local.get $id_len) (i32.const 48) (i32.const 5)))
    (i32.store offset=4 (local.get $reply) (i32.add (local.get $id_len) (i32.const 5)))
    (i32.store offset=8 (local.get $reply)
      (call $concat (local.get $type) (local.get $type_len) (i32.const 56) (i32.const 7)))
    (i32.store offset=12 (local.get $reply) (i32.add (local.get $type_len) (i32.const 7)))
    (i32.store offset=16 (local.get $reply) (local.get $source))
    (i32.store offset=20 (local.get $reply) (local.get $source_len))
    (i32.store8 offset=24 (local.get $reply) (i32.const 0))          ;; time: none
    (i32.store8 offset=36 (local.get $reply) (local.get $ct_some))   ;; datacontenttype: as given
    (i32.store offset=40 (local.get $reply) (local.get $ct))
    (i32.store offset=44 (local.get $reply) (local.get $ct_len))
    (i32.store offset=48 (local.get $reply) (local.get $data))
    (i32.store offset=52 (local.get $reply) (local.get $data_len))
    (i32.store offset=56 (local.get $reply) (i32.const 0))           ;; extensions: empty list
    (i32.store offset=60 (local.get $reply) (i32.const 0))
    (i32.store8 (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (local.get $reply))
    (i32.store (i32.const 72) (i32.const 1))
    (i32.const 64))

  ;; The post-return function: the host has copied the result out, so every allocation of this
  ;; call (arguments and result) is released at once.
  (func (export "cabi_post_liquid-nano:plugin/handler@0.1.0#handle") (param $ret i32)
    (global.set $bump (global.get $heap_base)))
)
