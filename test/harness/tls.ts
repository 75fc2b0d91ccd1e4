import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A throwaway certificate authority and a server certificate it signed for 127.0.0.1. */
export interface TestTls {
  /** PEM file of the CA, for NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
}

let cached: TestTls | undefined;

/**
 * Generates (once per process) a CA and a certificate for IP 127.0.0.1 with the openssl CLI, valid for one day.
 * A child process trusts the CA through NODE_EXTRA_CA_CERTS, so HTTPS is verified as it is against S3.
 */
export function testTls(): TestTls {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'cfn-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1',
    '-subj', '/CN=cdk-sms-replication-job test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '1', '-extfile', file('server.ext'));

  cached = {
    caPath: file('ca.pem'),
    ca: readFileSync(file('ca.pem'), 'utf8'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
  };
  return cached;
}
