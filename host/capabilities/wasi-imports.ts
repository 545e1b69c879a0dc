/**
 * WASI 0.2 imports for one instance, built from its grants. Runs inside the instance's worker,
 * where the shim's module-global state belongs to this one instance alone.
 *
 * Closed by default: only granted environment variables, the given argv, no initial cwd, no
 * preopens, no network (sockets and outgoing HTTP refused with WASI error values), stdin at end
 * of stream unless bytes are given, stdout/stderr handed to the host with each write (see `stdio.ts`), and `exit` unwinds as a result
 * instead of `process.exit`.
 */
import * as shim from '@bytecodealliance/preview2-shim';
import { guestExit } from '../sandbox/guest-exit.js';
import type { HostBridge } from '../sandbox/protocol.js';
import { createFilesystem } from './filesystem/wasi-filesystem.js';
import type { WasiGrants } from './grants.js';
import { outgoingHandler } from './http/http-outgoing.js';
import { outputImports, stdinImport } from './stdio/stdio-streams.js';

/**
 * The parts of the Node.js build of preview2-shim we use. Its package's `types` condition points
 * at the browser declarations, so the Node-only factories are declared here.
 */
interface NodeShim {
  readonly cli: Record<string, unknown> & {
    _setEnv(env: Record<string, string>): void;
    _setArgs(args: string[]): void;
    terminalInput: unknown; terminalOutput: unknown;
  };
  readonly clocks: { monotonicClock: unknown; wallClock: unknown };
  readonly random: { random: unknown; insecure: unknown; insecureSeed: unknown };
  readonly io: { error: unknown; poll: unknown; streams: unknown };
  readonly http: { types: unknown };
  readonly sockets: {
    createSockets(config: { enableNetwork: boolean }): {
      instanceNetwork: unknown; network: unknown; ipNameLookup: unknown;
      tcp: unknown; udp: unknown;
      tcpCreateSocket: { createTcpSocket(family: unknown): object };
      udpCreateSocket: { createUdpSocket(family: unknown): object };
    };
    _denyTcp(): void;
    _denyUdp(): void;
    _denyDnsLookup(): void;
  };
}

const { cli, clocks, http, io, random, sockets } = shim as unknown as NodeShim;

/**
 * Live sockets one instance may hold. The network is closed, so a socket is useless to a guest,
 * but each costs host memory outside the guest's memory cap (~4 KB in the shim).
 */
export const MAX_LIVE_SOCKETS = 256;

const DISPOSE_SYMBOLS = [Symbol.dispose, Symbol.for('dispose')].filter((s): s is symbol => typeof s === 'symbol');

/** Wraps a socket factory so at most `MAX_LIVE_SOCKETS` of its sockets are alive at once. */
function socketBudget<F extends (family: unknown) => object>(create: F, live: { count: number }): F {
  return ((family: unknown) => {
    if (live.count >= MAX_LIVE_SOCKETS) throw 'new-socket-limit';
    const socket = create(family) as Record<symbol, (() => void) | undefined>;
    live.count++;
    let dropped = false;
    for (const symbol of DISPOSE_SYMBOLS) {
      const dispose = socket[symbol];
      if (typeof dispose !== 'function') continue;
      socket[symbol] = function (this: unknown) {
        if (!dropped) live.count--;
        dropped = true;
        return dispose.call(this);
      };
    }
    return socket;
  }) as F;
}

/** Builds the `wasi:*` part of the import object (keys unversioned, as jco expects). */
export function wasiImports(grants: WasiGrants, bridge: HostBridge): Record<string, unknown> {
  const env = grants.env.map(([k, v]) => [k, v] as [string, string]);
  const args = [...grants.args];
  // Also reset the shim's own module-global defaults, which hold the host's env, argv and cwd.
  cli._setEnv({});
  cli._setArgs([]);
  const fs = createFilesystem(grants.preopens);
  const net = sockets.createSockets({ enableNetwork: false });
  // The shim checks some socket calls against its module-global default network, which allows
  // everything; this worker runs one instance, so close that one too.
  sockets._denyTcp();
  sockets._denyUdp();
  sockets._denyDnsLookup();
  const liveSockets = { count: 0 };

  return {
    'wasi:cli/environment': {
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      getArguments: () => [...args],
      initialCwd: () => grants.cwd,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw guestExit(status.tag === 'err' ? 1 : 0);
      },
      exitWithCode(code: number): never {
        throw guestExit(code);
      },
    },
    'wasi:cli/stdin': stdinImport(grants.stdin),
    ...outputImports(bridge),
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
    'wasi:clocks/monotonic-clock': clocks.monotonicClock,
    'wasi:clocks/wall-clock': clocks.wallClock,
    'wasi:random/random': random.random,
    'wasi:random/insecure': random.insecure,
    'wasi:random/insecure-seed': random.insecureSeed,
    'wasi:filesystem/types': fs.types,
    'wasi:filesystem/preopens': fs.preopens,
    'wasi:sockets/instance-network': net.instanceNetwork,
    'wasi:sockets/network': net.network,
    'wasi:sockets/ip-name-lookup': net.ipNameLookup,
    'wasi:sockets/tcp': net.tcp,
    'wasi:sockets/tcp-create-socket': { createTcpSocket: socketBudget((f) => net.tcpCreateSocket.createTcpSocket(f), liveSockets) },
    'wasi:sockets/udp': net.udp,
    'wasi:sockets/udp-create-socket': { createUdpSocket: socketBudget((f) => net.udpCreateSocket.createUdpSocket(f), liveSockets) },
    'wasi:http/types': http.types,
    'wasi:http/outgoing-handler': outgoingHandler(grants.http, bridge),
  };
}
