import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 that records each CONNECT (and its headers) and refuses the tunnel,
 * so nothing goes further than this machine and the target's host need not resolve.
 */
export async function startRefusingProxy(): Promise<{ url: string; seen: string[]; headers: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const headers: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    headers.push(JSON.stringify(req.headers));
    res.writeHead(403).end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    headers.push(JSON.stringify(req.headers));
    client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    headers,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
