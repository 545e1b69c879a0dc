/** `wasi:sockets/*` with the network off, built inside the worker. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';
import { socketBudget } from './socket-budget.js';

export const imports: ImportBuilder = () => {
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
};
