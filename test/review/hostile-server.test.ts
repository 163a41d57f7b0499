import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/apply/deliver/types.js';
import { deliverToVault } from '../../src/apply/deliver/vault.js';
import { silentLogger } from '../../src/core/log.js';
import { redactSecrets } from '../../src/core/redact.js';

// Security review (h13): a hostile Vault, and the generic redaction of key values.
// FIXED: refused since h15 (was WEAK); HOLDS: held at review time. (The review's `sk-…` redaction
// case, #29, is left to the provider port, which teaches src/core/redact.ts those patterns.)

let server: http.Server | null = null;
afterEach(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = null;
});

// Built at run time: no tracked line looks like a credential.
const TOKEN = ['hvs', 'ReviewVaultToken0123456789'].join('.');
const VALUE = ['gsk', 'ReviewKeyValue0123456789abcdefABCDEF'].join('_');

describe('a hostile Vault', () => {
  it('FIXED (#24): a Vault answer is read through a 1 MiB cap: 24 MiB of padding is cut off, and the message at its end is never read', async () => {
    const padding = 'x'.repeat(24 * 1024 * 1024);
    const requests: string[] = [];
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const body = `{"pad":"${padding}","errors":["permission denied READ-TO-THE-END"]}`;
      res.writeHead(403, { 'content-type': 'application/json' });
      // No content-length: a streamed answer of unknown size, as an endless one would be.
      res.end(body);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const error = await deliverToVault({ kind: 'vault', path: 'secret/data/groq/chatbot/x', field: 'k' }, VALUE, {
      cwd: '.',
      env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN },
      logger: silentLogger,
      timeoutMs: 20_000,
    } as never).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(String((error as Error).message)).not.toContain(TOKEN);
    expect(String((error as Error).message)).not.toContain(VALUE);
    expect((error as Error).message).not.toContain('READ-TO-THE-END');
    expect((error as Error).message).toContain(
      `Vault at http://127.0.0.1:${port} answered 403 to GET sys/internal/ui/mounts/secret/data/groq/chatbot/x with more than 1 MiB, the most groq-rbac reads from one Vault answer`,
    );
    expect((error as DeliveryError).retryable).toBe(false);
    // The first answer ended the delivery: no read of the secret, no write.
    expect(requests).toEqual(['GET /v1/sys/internal/ui/mounts/secret/data/groq/chatbot/x']);
  });

  it('FIXED (#24): a declared content-length over the cap is refused unread', async () => {
    const requests: string[] = [];
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      res.end('{}'); // shorter than declared: the reader must not wait for the rest
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const error = await deliverToVault({ kind: 'vault', path: 'secret/data/groq/chatbot/x', field: 'k' }, VALUE, {
      cwd: '.',
      env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN },
      logger: silentLogger,
      timeoutMs: 20_000,
    } as never).catch((e: Error) => e);
    expect((error as Error).message).toContain('with more than 1 MiB');
    expect(requests).toEqual(['GET /v1/sys/internal/ui/mounts/secret/data/groq/chatbot/x']);
  });
});

describe('redaction', () => {
  it('HOLDS: gsk_ values and URL credentials are redacted without registration', () => {
    const out = redactSecrets(`${VALUE} https://user:pw@vault.example/`);
    expect(out).not.toContain(VALUE);
    expect(out).not.toContain('user:pw');
  });
});
