import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type TestCertificates = {
  /** The CA's certificate, for clients (NODE_EXTRA_CA_CERTS, `tls.ca`, `redis-cli --cacert`). */
  caFile: string;
  /** The server certificate (for 127.0.0.1 and localhost) and its key, for every Redis of a test. */
  certFile: string;
  keyFile: string;
  /** The CA in PEM, for clients made in the test itself. */
  caPem(): string;
};

/**
 * A self-signed CA of the test's own and one server certificate it signs, made by openssl in `dir`:
 * what a TLS-only Redis (data nodes, cluster bus, replication, sentinels) is started with here.
 */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 30_000 });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=hookline test CA', '-keyout', at('ca.key'), '-out', at('ca.crt'));
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('redis.key'), '-out', at('redis.csr'));
  writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await openssl('x509', '-req', '-in', at('redis.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('san.ext'), '-out', at('redis.crt'));
  let pem: string | undefined;
  return {
    caFile: at('ca.crt'),
    certFile: at('redis.crt'),
    keyFile: at('redis.key'),
    caPem: () => (pem ??= readFileSync(at('ca.crt'), 'utf8')),
  };
}

/** A redis-server's (or sentinel's) TLS-only arguments: no plain port, TLS on `port`, clients need no certificate. */
export function tlsOnlyArgs(certificates: TestCertificates, port: number): string[] {
  return [
    '--port', '0', '--tls-port', String(port), '--tls-replication', 'yes', '--tls-auth-clients', 'no',
    '--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile,
  ];
}
