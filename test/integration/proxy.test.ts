import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GroqClient } from '../../src/providers/groq/client.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

/** A forward proxy on 127.0.0.1 (CONNECT tunnels, as undici uses, and plain relays) that records what it carried. */
async function startProxy(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
let org: TestOrg;
afterEach(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await org?.close();
});

describe('proxies', () => {
  it('sends requests through HTTP_PROXY, and straight to hosts in NO_PROXY', async () => {
    org = await startTestOrg();
    const proxy = await startProxy();
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    const proxied = new GroqClient({ baseUrl: org.sandbox.url, adminKey: org.sandbox.adminKey });
    expect(await proxied.getOrganization()).toMatchObject({ id: 'org_sandbox' });
    await proxied.close();
    expect(proxy.seen).toEqual([`CONNECT ${new URL(org.sandbox.url).host}`]);

    process.env.NO_PROXY = '127.0.0.1';
    const direct = new GroqClient({ baseUrl: org.sandbox.url, adminKey: org.sandbox.adminKey });
    expect(await direct.getOrganization()).toMatchObject({ id: 'org_sandbox' });
    await direct.close();
    expect(proxy.seen).toHaveLength(1);
    await proxy.close();
  });
});
