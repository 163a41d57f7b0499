import { GroqClient } from '../../src/groq/client.js';
import type { TransportOptions } from '../../src/groq/transport.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

// Responses are asserted field by field in the tests; typing each one would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface TestOrg {
  sandbox: Sandbox;
  client: GroqClient;
  /** A raw request to the sandbox (for inference and the control surface). */
  request(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: Json }>;
  close(): Promise<void>;
}

/** The real sandbox on 127.0.0.1, port 0, with a client pointed at it. */
export async function startTestOrg(options: SandboxOptions = {}, clientOptions: TransportOptions = {}): Promise<TestOrg> {
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, adminKey: 'test-admin-key', ...options });
  const client = new GroqClient({ baseUrl: sandbox.url, adminKey: sandbox.adminKey, baseDelayMs: 5, maxDelayMs: 20, ...clientOptions });
  return {
    sandbox,
    client,
    async request(method, path, o = {}) {
      const token = o.token === undefined ? sandbox.adminKey : o.token;
      const res = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
        body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await client.close();
      await sandbox.close();
    },
  };
}

export function chat(model: string, content = 'Hello'): { model: string; messages: { role: string; content: string }[] } {
  return { model, messages: [{ role: 'user', content }] };
}

export function keyInput(name: string, extra: Record<string, unknown> = {}) {
  return { name, allowed_models: null, requests_per_minute: null, tokens_per_minute: null, requests_per_day: null, tokens_per_day: null, metadata: {}, ...extra };
}
