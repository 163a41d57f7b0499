/**
 * The sandbox features the suite relies on, checked directly so that a fault that silently did
 * nothing cannot make the other files pass: `after_commit`, `*` path segments, the request hook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxRequestEvent } from '../../src/sandbox/server.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg | undefined;
afterEach(async () => {
  await org?.close();
  org = undefined;
});

const PROJECTS = '/openai/v1/organization/projects';
const faults = (o: TestOrg, list: unknown[]) => o.request('POST', '/_sandbox/faults', { body: { faults: list } });
const names = async (o: TestOrg) => (await o.request('GET', PROJECTS)).body.data.map((p: { name: string }) => p.name);

describe('sandbox faults and hooks for the resilience suite', () => {
  it('after_commit: the change is made, and the client gets a dropped connection or the error status instead', async () => {
    org = await startTestOrg();
    expect(
      (
        await faults(org, [
          { method: 'POST', path: PROJECTS, reset: true, after_commit: true },
          { method: 'POST', path: PROJECTS, status: 502, after_commit: true },
        ])
      ).status,
    ).toBe(200);
    await expect(org.request('POST', PROJECTS, { body: { name: 'lost-answer' } })).rejects.toThrow();
    expect((await org.request('POST', PROJECTS, { body: { name: 'error-answer' } })).status).toBe(502);
    expect(await names(org)).toEqual(['lost-answer', 'error-answer']);
    // Without a fault, a create answers as usual.
    expect((await org.request('POST', PROJECTS, { body: { name: 'plain' } })).status).toBe(201);
  });

  it('after_commit without reset or status is refused', async () => {
    org = await startTestOrg();
    const r = await faults(org, [{ path: PROJECTS, after_commit: true }]);
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('faults[0].after_commit');
  });

  it('a * segment matches one path segment; a trailing * stays a prefix', async () => {
    org = await startTestOrg();
    const project = (await org.request('POST', PROJECTS, { body: { name: 'p' } })).body.id as string;
    await faults(org, [{ method: 'POST', path: `${PROJECTS}/*/api_keys`, status: 503, times: 1 }]);
    // The mark path (…/api_keys/{id}) and the permissions path do not match the key-create pattern.
    expect(
      (await org.request('POST', `${PROJECTS}/${project}/model_permissions`, { body: { mode: 'deny_list', model_ids: [] } })).status,
    ).toBe(200);
    expect((await org.request('POST', `${PROJECTS}/${project}/api_keys`, { body: { name: 'k' } })).status).toBe(503);
    const key = await org.request('POST', `${PROJECTS}/${project}/api_keys`, { body: { name: 'k' } });
    expect(key.status).toBe(201);
    await faults(org, [
      { method: 'POST', path: `${PROJECTS}/*/api_keys/*`, status: 404, times: 1 },
      { method: 'GET', path: `${PROJECTS}*`, status: 500, times: 1 },
    ]);
    expect((await org.request('POST', `${PROJECTS}/${project}/api_keys`, { body: { name: 'k2' } })).status).toBe(201);
    expect((await org.request('POST', `${PROJECTS}/${project}/api_keys/${key.body.id}`, { body: { name: 'k' } })).status).toBe(404);
    expect((await org.request('GET', `${PROJECTS}/${project}/api_keys`)).status).toBe(500);
  });

  it('onRequest sees each API request before and after it commits, may drop it, and never sees /_sandbox/', async () => {
    const events: string[] = [];
    let drop = false;
    org = await startTestOrg({
      onRequest: (e: SandboxRequestEvent) => {
        events.push(`${e.phase} ${e.method} ${e.route ?? e.path}${e.reply ? ` ${e.reply.status}` : ''}`);
        return drop && e.phase === 'before' ? 'drop' : undefined;
      },
    });
    expect((await org.request('POST', PROJECTS, { body: { name: 'seen' } })).status).toBe(201);
    await org.request('GET', '/_sandbox/stats');
    drop = true;
    await expect(org.request('POST', PROJECTS, { body: { name: 'dropped' } })).rejects.toThrow();
    drop = false;
    expect(await names(org)).toEqual(['seen']);
    expect(events).toEqual([
      `before POST ${PROJECTS}`,
      `after POST ${PROJECTS} 201`,
      `before POST ${PROJECTS}`,
      `before GET ${PROJECTS}`,
      `after GET ${PROJECTS} 200`,
    ]);
  });
});
