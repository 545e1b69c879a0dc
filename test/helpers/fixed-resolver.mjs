// A DNS resolver for outgoing-HTTP tests, loaded by URL inside preview2-shim's I/O thread (see
// host/capabilities/http/http-dns-extension.ts): fixed answers, so a test can make a granted name
// resolve to loopback, a private or a metadata address without touching the system resolver.
// Names it does not know fail like an unknown name (ENOTFOUND).
const ANSWERS = {
  'rebind.test': [{ address: '127.0.0.1', family: 4 }],
  'mapped.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  // One public address and one loopback: every address is checked, not only the first.
  'mixed.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ],
  localhost: [{ address: '127.0.0.1', family: 4 }],
};

export default async function resolve(hostname) {
  const answer = ANSWERS[hostname];
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answer;
}
