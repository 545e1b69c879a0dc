// wasi:sockets under attack: a real guest (socket-probe, C with hand-written canonical-ABI glue)
// tries to connect to a live loopback TCP server, to bind and listen, to send UDP datagrams to
// a live loopback socket, and to resolve names. The host links sockets from preview2-shim with
// the network off (host/capabilities/sockets/capability.ts); every attempt must come back to the guest
// as a WASI error value (never a host exception, never a dead instance), and the servers must
// see nothing. A positive control runs the same probe with the network opened in its linker, so
// a refusal here means the host refused, not that the probe is broken.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import type { LnError } from '../../host/errors/ln-error.js';
import { Instance } from '../../host/sandbox/instance.js';
import type { LinkerSpec } from '../../host/sandbox/protocol.js';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';

const OPEN_NETWORK_LINKER = new URL('../fixtures/components/socket-probe/open-network-linker.mjs', import.meta.url).href;

/** A loopback TCP server that records every connection (the peer's port) and what it sent. */
class TcpTarget extends EventEmitter {
  readonly peers: number[] = [];
  readonly received: string[] = [];
  readonly server: Server = createServer((socket) => {
    const index = this.peers.push(socket.remotePort ?? -1) - 1;
    this.received[index] = '';
    socket.on('data', (chunk: Buffer) => {
      this.received[index] += chunk.toString();
      this.emit('change');
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
    this.emit('change');
  });

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  /** Resolves once `done()` holds, re-checking on every connection and chunk. */
  async until(done: () => boolean): Promise<void> {
    while (!done()) await once(this, 'change');
  }

  /**
   * Connects from the test itself and waits until the server has seen it. The kernel hands out
   * a listener's connections in arrival order, so every connection made before this one has
   * been counted by the time it returns: no sleeping, no timing.
   */
  async sentinel(): Promise<number> {
    const socket = connect(this.port, '127.0.0.1');
    await once(socket, 'connect');
    const port = socket.localPort ?? -1;
    await this.until(() => this.peers.includes(port));
    socket.destroy();
    return port;
  }

  close(): void {
    this.server.close();
  }
}

/** A loopback UDP socket that records every datagram it receives. */
class UdpTarget extends EventEmitter {
  readonly datagrams: string[] = [];
  readonly socket: UdpSocket = createSocket('udp4', (msg) => {
    this.datagrams.push(msg.toString());
    this.emit('change');
  });

  get port(): number {
    return this.socket.address().port;
  }

  async bind(): Promise<this> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    return this;
  }

  async until(done: () => boolean): Promise<void> {
    while (!done()) await once(this, 'change');
  }

  /** Sends a datagram from the test itself and waits for it: datagrams sent earlier on loopback are already queued ahead of it. */
  async sentinel(text: string): Promise<void> {
    const client = createSocket('udp4');
    await new Promise<void>((resolve, reject) => client.send(text, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    client.close();
    await this.until(() => this.datagrams.includes(text));
  }

  close(): void {
    this.socket.close();
  }
}

let component: Component;
const dataDir = tempDataDir();
const instances: Instance[] = [];
const targets: Array<TcpTarget | UdpTarget> = [];
const hostFaults: unknown[] = [];
const onFault = (err: unknown): void => {
  hostFaults.push(err);
};

beforeAll(async () => {
  process.on('uncaughtException', onFault);
  process.on('unhandledRejection', onFault);
  component = await new Engine().load(readFileSync(fixture('socket-probe')), 'socket-probe');
});

afterAll(async () => {
  process.off('uncaughtException', onFault);
  process.off('unhandledRejection', onFault);
  await Promise.all(instances.map((i) => i.dispose()));
  for (const t of targets) t.close();
});

interface Probe {
  readonly instance: Instance;
  readonly deaths: LnError[];
  /** Calls an export; every socket-probe export returns a string report. */
  call(name: string, ...args: unknown[]): Promise<string>;
}

async function startProbe(linker: LinkerSpec): Promise<Probe> {
  const instance = await Instance.start(component, { linker });
  instances.push(instance);
  const deaths: LnError[] = [];
  instance.onDeath((reason) => deaths.push(reason));
  return {
    instance,
    deaths,
    async call(name, ...args) {
      const target = findExport(component.shape, name);
      if (!target) throw new Error(`socket-probe has no export ${name}`);
      const outcome = await instance.call(target, args);
      expect(outcome.errResult).toBe(false);
      expect(typeof outcome.value).toBe('string');
      return outcome.value as string;
    },
  };
}

/** The host's own linker with nothing granted, as `lnano run` and `lnano serve` build it. */
function hostLinker(): LinkerSpec {
  return linkerSpec(closedGrants('socket-probe'));
}

// What the probe reports when every socket operation is refused. Exact strings where the
// outcome is fixed; steps on a socket whose bind was refused may say `invalid-state` (the
// shim's I/O thread: the socket is not bound) or `access-denied` (should the host also deny
// preview2-shim's module-global default network, which those steps consult): either way refused.
const REFUSED_AFTER_BIND = '(invalid-state|access-denied)';
const DENIED = {
  tcpConnect: 'create: ok; connect: err(access-denied); bind: err(access-denied); connect: err(access-denied)',
  tcpListen: new RegExp(`^create: ok; bind: err\\(access-denied\\); listen: err\\(${REFUSED_AFTER_BIND}\\); accept: err\\(${REFUSED_AFTER_BIND}\\)$`),
  udpSend: new RegExp(`^create: ok; bind: err\\(access-denied\\); stream: err\\(${REFUSED_AFTER_BIND}\\); stream-unconnected: err\\(${REFUSED_AFTER_BIND}\\)$`),
  // A refused lookup is permanent-resolver-failure, as in wasmtime without ip-name-lookup
  // (its test program cli_no_ip_name_lookup asserts exactly this code).
  resolve: 'resolve: err(permanent-resolver-failure)',
};

describe('wasi:sockets without a grant: every attempt is refused and nothing reaches the network', () => {
  let probe: Probe;
  let tcp: TcpTarget;
  let udp: UdpTarget;

  beforeAll(async () => {
    tcp = await new TcpTarget().listen();
    udp = await new UdpTarget().bind();
    targets.push(tcp, udp);
    probe = await startProbe(hostLinker());
  });

  it('TCP connect to a live loopback server: access-denied, connecting directly and after a bind', async () => {
    expect(await probe.call('tcp-connect', tcp.port)).toBe(DENIED.tcpConnect);
  });

  it('TCP bind + listen: the bind is access-denied, and the unbound socket cannot listen or accept', async () => {
    expect(await probe.call('tcp-listen', 0)).toMatch(DENIED.tcpListen);
    expect(await probe.call('tcp-listen', tcp.port)).toMatch(DENIED.tcpListen);
  });

  it('UDP bind + send to a live loopback socket: the bind is access-denied, no stream opens', async () => {
    expect(await probe.call('udp-send', udp.port)).toMatch(DENIED.udpSend);
  });

  it('name lookup: refused for a name and for an address literal', async () => {
    expect(await probe.call('resolve', 'localhost')).toBe(DENIED.resolve);
    expect(await probe.call('resolve', '127.0.0.1')).toBe(DENIED.resolve);
  });

  it('creating sockets opens nothing, and at most 256 live sockets per instance (new-socket-limit)', async () => {
    const before = socketDescriptors();
    expect(await probe.call('create-many', 1000)).toBe('tcp: after 256 err(new-socket-limit); udp: after 0 err(new-socket-limit)');
    // 256 sockets are held by the guest now; none of them is an OS socket.
    const during = socketDescriptors();
    // Dropping them frees the budget.
    expect(await probe.call('create-many', 100)).toBe('tcp: ok(100); udp: ok(100)');
    expect(await probe.call('create-many', 0)).toBe('tcp: ok(0); udp: ok(0)');
    expect(during - before).toBeLessThan(100);
  });

  it('`lnano run` (the CLI path) refuses the same connect', async () => {
    const r = await runCli(['run', fixture('socket-probe'), '--invoke', `tcp-connect(${tcp.port})`], { dataDir });
    expect(r.stdout.trim()).toBe(JSON.stringify(DENIED.tcpConnect));
    expect(r.code).toBe(0);
  });

  it('the servers saw no connection and no datagram from any of the attempts above', async () => {
    const sentinelPort = await tcp.sentinel();
    await udp.sentinel('sentinel');
    expect(tcp.peers).toEqual([sentinelPort]);
    expect(udp.datagrams).toEqual(['sentinel']);
  });

  it('the same instance keeps answering, and the host saw no exception', async () => {
    for (let round = 0; round < 3; round++) {
      expect(await probe.call('tcp-connect', tcp.port)).toBe(DENIED.tcpConnect);
      expect(await probe.call('udp-send', udp.port)).toMatch(DENIED.udpSend);
      expect(await probe.call('resolve', 'localhost')).toBe(DENIED.resolve);
    }
    expect(probe.instance.alive).toBe(true);
    expect(probe.deaths).toEqual([]);
    expect(hostFaults).toEqual([]);
    // Still nothing on the wire after the repeats.
    const sentinelPort = await tcp.sentinel();
    await udp.sentinel('sentinel-2');
    expect(tcp.peers.slice(1)).toEqual([sentinelPort]);
    expect(udp.datagrams).toEqual(['sentinel', 'sentinel-2']);
  });
});

describe('positive control: the same probe with the network opened in its linker', () => {
  let probe: Probe;
  let tcp: TcpTarget;
  let udp: UdpTarget;

  beforeAll(async () => {
    tcp = await new TcpTarget().listen();
    udp = await new UdpTarget().bind();
    targets.push(tcp, udp);
    probe = await startProbe({ module: OPEN_NETWORK_LINKER, config: closedGrants('socket-probe') });
  });

  it("connects and writes: the server receives the probe's bytes", async () => {
    expect(await probe.call('tcp-connect', tcp.port)).toBe('create: ok; connect: ok; finish-connect: ok; write: ok(12)');
    await tcp.until(() => tcp.received.includes('socket-probe'));
    expect(tcp.peers).toHaveLength(1);
  });

  it('binds and listens on a loopback port', async () => {
    expect(await probe.call('tcp-listen', 0)).toMatch(
      /^create: ok; bind: ok; finish-bind: ok; listen: ok; finish-listen: ok\(127\.0\.0\.1:[1-9]\d*\); accept: err\(would-block\)$/,
    );
  });

  it('sends datagrams: the UDP socket receives them', async () => {
    expect(await probe.call('udp-send', udp.port)).toBe(
      'create: ok; bind: ok; finish-bind: ok; stream: ok; check-send: ok; send: ok(1); stream-unconnected: ok; check-send: ok; send: ok(1)',
    );
    await udp.until(() => udp.datagrams.length === 2);
    expect(udp.datagrams).toEqual(['socket-probe', 'socket-probe']);
  });

  it('resolves an address literal', async () => {
    expect(await probe.call('resolve', '127.0.0.1')).toBe('resolve: ok; next: ok(127.0.0.1); next: ok(none)');
  });
});

describe('lnano inspect on the probe', () => {
  it('lists the sockets capability and what the guest gets without a grant', async () => {
    const r = await runCli(['inspect', fixture('socket-probe')], { dataDir });
    expect(r.code).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('\ncapabilities\n'));
    const sockets = /^ {2}sockets: (.+)\n {4}without a grant: (.+)$/m.exec(section);
    expect(sockets?.[2]).toBe('connect, bind and send fail with access-denied, name lookups with permanent-resolver-failure; at most 256 live sockets');
    const listed = sockets?.[1]
      ?.split(', ')
      .map((name) => name.replace(/@.*$/, ''))
      .sort();
    expect(listed).toEqual([
      'wasi:sockets/instance-network',
      'wasi:sockets/ip-name-lookup',
      'wasi:sockets/network',
      'wasi:sockets/tcp',
      'wasi:sockets/tcp-create-socket',
      'wasi:sockets/udp',
      'wasi:sockets/udp-create-socket',
    ]);
  });
});

/** How many socket descriptors this process (the test and its guest workers) has open (Linux). */
function socketDescriptors(): number {
  const fdDir = '/proc/self/fd';
  let count = 0;
  for (const fd of readdirSync(fdDir)) {
    try {
      if (readlinkSync(`${fdDir}/${fd}`).startsWith('socket:')) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}
