/**
 * The Node.js build of preview2-shim, typed as the capabilities' import builders use it. Its
 * package's `types` condition points at the browser declarations, so the Node-only factories are
 * declared here. Inside a worker the shim's module-global state belongs to that worker's instances.
 */
import * as shim from '@bytecodealliance/preview2-shim';

/** The parts of the shim the import builders use. */
export interface NodeShim {
  readonly cli: Record<string, unknown> & {
    _setEnv(env: Record<string, string>): void;
    _setArgs(args: string[]): void;
    terminalInput: unknown;
    terminalOutput: unknown;
  };
  readonly clocks: { monotonicClock: unknown; wallClock: unknown };
  readonly random: { random: unknown; insecure: unknown; insecureSeed: unknown };
  readonly io: { error: unknown; poll: unknown; streams: unknown };
  readonly http: { types: unknown };
  readonly sockets: {
    createSockets(config: { enableNetwork: boolean }): {
      instanceNetwork: unknown;
      network: unknown;
      ipNameLookup: unknown;
      tcp: unknown;
      udp: unknown;
      tcpCreateSocket: { createTcpSocket(family: unknown): object };
      udpCreateSocket: { createUdpSocket(family: unknown): object };
    };
    _denyTcp(): void;
    _denyUdp(): void;
    _denyDnsLookup(): void;
  };
}

/** The shim. */
export const nodeShim = shim as unknown as NodeShim;
