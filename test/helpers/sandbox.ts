import { GroqClient } from '../../src/providers/groq/client.js';
import { GroqProvider } from '../../src/providers/groq/write.js';
import type { TransportOptions } from '../../src/net/transport.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

// Responses are asserted field by field in the tests; typing each one would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface TestOrg {
  sandbox: Sandbox;
  client: GroqClient;
  /** The same client behind the provider port, as apply and app use it. */
  provider: GroqProvider;
  /** A raw request to the sandbox (admin calls by default; pass `token` for inference or none). */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: Json }>;
  close(): Promise<void>;
}

/** The real sandbox on 127.0.0.1, port 0, with a client pointed at it. */
export async function startTestOrg(options: SandboxOptions = {}, clientOptions: TransportOptions = {}): Promise<TestOrg> {
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, adminKey: 'test-admin-key', ...options });
  const client = new GroqClient({ baseUrl: sandbox.url, adminKey: sandbox.adminKey, baseDelayMs: 5, maxDelayMs: 20, ...clientOptions });
  return {
    sandbox,
    client,
    provider: new GroqProvider(client),
    async request(method, path, o = {}) {
      const token = o.token === undefined ? sandbox.adminKey : o.token;
      const res = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
        body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
      });
      const text = await res.text();
      const json = res.headers.get('content-type')?.startsWith('application/json');
      return { status: res.status, headers: res.headers, body: text && json ? JSON.parse(text) : text || null };
    },
    async close() {
      await client.close();
      await sandbox.close();
    },
  };
}

export function chat(
  model: string,
  content = 'Hello',
  extra: Record<string, unknown> = {},
): { model: string; messages: { role: string; content: string }[] } {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** A project and one API key in it, made through the admin API; returns their ids and the key's value. */
export async function createProjectWithKey(
  org: TestOrg,
  name = 'p',
  keyName = 'k',
): Promise<{ projectId: string; keyId: string; value: string }> {
  const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name } });
  if (project.status !== 201) throw new Error(`project create: ${project.status} ${JSON.stringify(project.body)}`);
  const key = await createKey(org, project.body.id, keyName);
  return { projectId: project.body.id, keyId: key.id, value: key.value };
}

export async function createKey(
  org: TestOrg,
  projectId: string,
  name = 'k',
  metadata: Record<string, string> = {},
): Promise<{ id: string; value: string }> {
  const key = await org.request('POST', `/openai/v1/organization/projects/${projectId}/api_keys`, { body: { name, metadata } });
  if (key.status !== 201) throw new Error(`key create: ${key.status} ${JSON.stringify(key.body)}`);
  return key.body;
}
