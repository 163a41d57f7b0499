import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverToVault } from '../../src/apply/deliver/vault.js';
import { silentLogger } from '../../src/core/log.js';
import { redactSecrets } from '../../src/core/redact.js';

// Security review (h13): a hostile Vault, and the generic redaction of OpenAI-style values.
// WEAK tests assert the secure outcome and FAIL today.

let server: http.Server | null = null;
afterEach(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = null;
});

// Built at run time: no tracked line looks like a credential.
const TOKEN = ['hvs', 'ReviewVaultToken0123456789'].join('.');
const VALUE = ['gsk', 'ReviewKeyValue0123456789abcdefABCDEF'].join('_');

describe('a hostile Vault', () => {
  it('WEAK: a Vault answer is read whole, with no byte cap (the admin API\'s is 16 MiB): 24 MiB of padding is read to reach the message at its end', async () => {
    const padding = 'x'.repeat(24 * 1024 * 1024);
    let bytesSent = 0;
    server = http.createServer((req, res) => {
      const body = `{"pad":"${padding}","errors":["permission denied READ-TO-THE-END"]}`;
      res.writeHead(403, { 'content-type': 'application/json' });
      // No content-length: a streamed answer of unknown size, as an endless one would be.
      res.write(body, () => (bytesSent += body.length));
      res.end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const error = await deliverToVault({ kind: 'vault', path: 'secret/data/groq/chatbot/x', field: 'k' }, VALUE, {
      cwd: '.', env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN }, logger: silentLogger, timeoutMs: 20_000,
    } as never).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(TOKEN);
    // Secure outcome: the answer is cut off at a cap, so the message at its end is never read.
    expect((error as Error).message).not.toContain('READ-TO-THE-END');
  });
});

describe('redaction', () => {
  it('WEAK: the last-line-of-defence pattern knows gsk_… only: an OpenAI key value (sk-proj-…, sk-svcacct-…, sk-admin-…) not registered in this process passes through', () => {
    const values = ['sk-proj-', 'sk-svcacct-', 'sk-admin-'].map((p) => `${p}${'Ab3'.repeat(16)}`);
    const text = `the server said: ${values.join(' and ')}`;
    const out = redactSecrets(text);
    for (const v of values) expect(out.includes(v), v).toBe(false);
  });

  it('HOLDS: gsk_ values and URL credentials are redacted without registration', () => {
    const out = redactSecrets(`${VALUE} https://user:pw@vault.example/`);
    expect(out).not.toContain(VALUE);
    expect(out).not.toContain('user:pw');
  });
});
