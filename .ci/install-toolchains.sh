#!/bin/sh
# Installs the Debian packages the example plugins in components/ need to build from source
# (`node components/build.mjs`). Idempotent and quiet on success: apt runs only when a package
# is missing, and its output is shown only when it fails.
#
#   clang-14                   C compiler with the wasm32 backend (components/echo-c)
#   lld-14                     wasm-ld-14, the wasm linker clang-14 drives
#   wasi-libc                  libc, headers and crt1-reactor.o for --target=wasm32-wasi
#   libclang-rt-14-dev-wasm32  compiler-rt builtins for wasm32 (libclang_rt.builtins-wasm32.a)
#   libc++-14-dev-wasm32, libc++abi-14-dev-wasm32   the C++ standard library for wasm32-wasi (C++ plugins)
#   rustc, libstd-rust-dev-wasm32                   Debian's Rust compiler and its wasm32 std (Rust plugins)
#   wabt                       wat2wasm/wasm-validate, for inspecting and fuzzing modules
#   chromium                   headless browser for the web console's end-to-end tests
#   prometheus                 promtool, which checks a real /metrics scrape (test/integration/metrics-promtool.test.ts)
#   nats-server                NATS with JetStream, started by the cluster tests on loopback ports
#   mosquitto                  MQTT broker, started by the MQTT bridge tests on loopback ports
#
# The TypeScript example (components/echo-ts) needs no system package: esbuild and
# componentize-js come from npm.
set -eu

PACKAGES="clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 rustc libstd-rust-dev-wasm32 wabt chromium prometheus nats-server mosquitto"

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
    missing="$missing $pkg"
  fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086 # $missing is a word list on purpose
if ! { $SUDO apt-get update -qq &&
       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-toolchains: failed to install:$missing" >&2
  exit 1
fi
