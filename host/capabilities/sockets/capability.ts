/**
 * `wasi:sockets/*`: closed, with nothing to grant. Connect, bind and send fail with
 * `access-denied`, name lookups with `permanent-resolver-failure`; sockets can still be created
 * (the shim's own), at most `MAX_LIVE_SOCKETS` alive at once.
 */
import type { Capability } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';
import { socketBudget } from './socket-budget.js';

export const socketsCapability: Capability = {
  name: 'sockets',
  interfaces: ['wasi:sockets/*'],
  withoutGrant: 'connect, bind and send fail with access-denied, name lookups with permanent-resolver-failure; at most 256 live sockets',
  grantFlag: null,
  grantManifest: null,
  imports() {
    const { sockets } = nodeShim;
    const net = sockets.createSockets({ enableNetwork: false });
    // The shim checks some socket calls against its module-global default network, which allows
    // everything; this worker runs one instance, so close that one too.
    sockets._denyTcp();
    sockets._denyUdp();
    sockets._denyDnsLookup();
    const live = { count: 0 };
    return {
      'wasi:sockets/instance-network': net.instanceNetwork,
      'wasi:sockets/network': net.network,
      'wasi:sockets/ip-name-lookup': net.ipNameLookup,
      'wasi:sockets/tcp': net.tcp,
      'wasi:sockets/tcp-create-socket': { createTcpSocket: socketBudget((f) => net.tcpCreateSocket.createTcpSocket(f), live) },
      'wasi:sockets/udp': net.udp,
      'wasi:sockets/udp-create-socket': { createUdpSocket: socketBudget((f) => net.udpCreateSocket.createUdpSocket(f), live) },
    };
  },
};
