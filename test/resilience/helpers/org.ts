import { randomBytes } from 'node:crypto';
import type { OrgSession } from '../../../src/app/session.js';
import { GroqClient } from '../../../src/providers/groq/client.js';
import { GroqProvider } from '../../../src/providers/groq/write.js';
import type { ProjectApiKey } from '../../../src/providers/groq/wire.js';
import type { Logger } from '../../../src/core/log.js';
import { redactSecrets } from '../../../src/core/redact.js';
import { METADATA } from '../../../src/providers/groq/metadata.js';
import type { TransportOptions } from '../../../src/net/transport.js';
import type { SandboxRequestEvent } from '../../../src/sandbox/server.js';
import { startTestOrg, type TestOrg } from '../../helpers/sandbox.js';
import { scanner } from './secrets.js';

export const KEY_CREATE_ROUTE = '/openai/v1/organization/projects/{project_id}/api_keys';
export const KEY_ROUTE = '/openai/v1/organization/projects/{project_id}/api_keys/{key_id}';

export interface IssuedKey {
  id: string;
  projectId: string;
}

export interface ResilientOrg extends TestOrg {
  /** Every key value the sandbox handed out (replays included), with its key. */
  issued: Map<string, IssuedKey>;
  /** A session over a fresh client whose log lines go to the leak scanner. */
  session(clientOptions?: TransportOptions, concurrency?: number): OrgSession;
  advance(seconds: number): Promise<void>;
  /** Active projects, each with its keys. */
  snapshot(): Promise<{ id: string; name: string; keys: ProjectApiKey[] }[]>;
  /** Requests the sandbox received (not `/_sandbox/`). */
  requestCount(): Promise<number>;
}

/** A logger that records every line as `--debug` prints it (the stderr logger redacts each line). */
export function scannedLogger(label: string): Logger {
  const line = (level: string) => (m: string) => scanner.record(`${label} ${level}`, redactSecrets(m));
  return { debug: line('debug'), info: line('info'), warn: line('warn') };
}

/**
 * The real sandbox on 127.0.0.1 with a frozen clock (time moves only when a test advances it), a
 * distinctive admin key, and every issued key value captured for the leak scanner.
 */
export async function startResilientOrg(
  options: { onRequest?: (event: SandboxRequestEvent) => void | 'drop' | Promise<void | 'drop'>; orgId?: string } = {},
): Promise<ResilientOrg> {
  const issued = new Map<string, IssuedKey>();
  const adminKey = `admin-${randomBytes(20).toString('hex')}`;
  scanner.addSecret(adminKey);
  const base = await startTestOrg({
    adminKey,
    orgId: options.orgId ?? 'org_test',
    onRequest(event) {
      if (event.phase === 'after' && event.route === KEY_CREATE_ROUTE && event.reply?.status === 201) {
        const key = event.reply.body as { id: string; value: string; project_id?: string };
        scanner.addSecret(key.value);
        issued.set(key.value, { id: key.id, projectId: event.path.split('/')[5]! });
      }
      return options.onRequest?.(event);
    },
  });
  await base.request('POST', '/_sandbox/clock', { body: { freeze: true } });
  const clients: { close(): Promise<void> }[] = [];
  return {
    ...base,
    issued,
    session(clientOptions = {}, concurrency = 8) {
      const client = new GroqClient({
        baseUrl: base.sandbox.url,
        adminKey,
        baseDelayMs: 5,
        maxDelayMs: 40,
        logger: scannedLogger('client'),
        ...clientOptions,
      });
      clients.push(client);
      return {
        admin: new GroqProvider(client),
        adminKeyRedacted: null,
        target: 'resilience sandbox',
        concurrency,
        close: () => client.close(),
      };
    },
    async advance(seconds) {
      await base.request('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } });
    },
    async snapshot() {
      const projects = await base.client.listProjects();
      return Promise.all(projects.map(async (p) => ({ id: p.id, name: p.name, keys: await base.client.listProjectKeys(p.id) })));
    },
    async requestCount() {
      return (await base.request('GET', '/_sandbox/stats')).body.requests_total as number;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await base.close();
    },
  };
}

/**
 * Duplicates in the live organization: a project name twice, a policy key with more than `allowed`
 * live keys, a (policy key, generation) twice, an unmanaged key where none should be.
 */
export function findDuplicates(snapshot: Awaited<ReturnType<ResilientOrg['snapshot']>>, keysPerPolicyKey = 1): string[] {
  const out: string[] = [];
  const names = new Map<string, number>();
  for (const p of snapshot) names.set(p.name, (names.get(p.name) ?? 0) + 1);
  for (const [name, n] of names) if (n > 1) out.push(`project "${name}" exists ${n} times`);
  for (const p of snapshot) {
    const perKey = new Map<string, number>();
    const generations = new Set<string>();
    for (const k of p.keys) {
      const owner = k.metadata[METADATA.key];
      if (owner === undefined) {
        out.push(`unmanaged key ${k.id} "${k.name}" in ${p.name}`);
        continue;
      }
      perKey.set(owner, (perKey.get(owner) ?? 0) + 1);
      const g = `${owner}#${k.metadata[METADATA.generation] ?? '1'}`;
      if (generations.has(g)) out.push(`generation ${g} exists twice in ${p.name}`);
      generations.add(g);
    }
    for (const [owner, n] of perKey) if (n > keysPerPolicyKey) out.push(`policy key "${owner}" has ${n} live keys in ${p.name}`);
  }
  return out;
}
