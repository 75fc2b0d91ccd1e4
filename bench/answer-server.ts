/**
 * The local stand-in for CloudFormation's pre-signed S3 response URL: an HTTPS server on 127.0.0.1 that takes the
 * PUT of a custom resource's answer and hands it to whoever waits for it.
 *
 * aws-cdk-lib's AwsCustomResource handler PUTs to the URL's host name and path and ignores its port, so the server
 * listens on 443 when it can. When it cannot (not root), it listens on a free port and the handlers are started
 * with `https-port.cjs` preloaded, which sends requests without a port to that one.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface CfnAnswer {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, unknown>;
}

export class AnswerServer {
  /** Starts the server with a self-signed certificate for 127.0.0.1, written to `dir`. */
  static async start(dir: string): Promise<AnswerServer> {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' });
    const server = new AnswerServer(https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }), cert);
    await server.listen(443).catch(() => server.listen(0));
    return server;
  }

  private readonly waiting = new Map<string, (answer: CfnAnswer) => void>();

  private constructor(private readonly server: https.Server, readonly certificateFile: string) {
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200).end();
        const token = /^\/answers\/([^?]+)/.exec(req.url ?? '')?.[1];
        const resolve = token ? this.waiting.get(token) : undefined;
        if (token && resolve && req.method === 'PUT') {
          this.waiting.delete(token);
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CfnAnswer);
        }
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A response URL, and the answer PUT to it (resolved as soon as the request's body has arrived). */
  expect(token: string, timeoutMs = 60_000): { url: string; answer: Promise<CfnAnswer> } {
    const host = this.port === 443 ? '127.0.0.1' : `127.0.0.1:${this.port}`;
    const answer = new Promise<CfnAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${token} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(token, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
    return { url: `https://${host}/answers/${token}?X-Amz-Expires=7200&X-Amz-Signature=0123456789abcdef`, answer };
  }

  /** Environment and Node.js options a handler process needs to reach this server. */
  clientEnv(): Record<string, string> {
    const env: Record<string, string> = { NODE_EXTRA_CA_CERTS: this.certificateFile };
    if (this.port !== 443) {
      env.BENCH_ANSWER_PORT = String(this.port);
      env.NODE_OPTIONS = `--require ${path.join(__dirname, 'https-port.cjs')}`;
    }
    return env;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      this.server.once('error', fail);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', fail);
        resolve();
      });
    });
  }
}
