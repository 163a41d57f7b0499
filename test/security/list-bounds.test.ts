import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { createGitHubClient, MAX_GITHUB_RESPONSE_BYTES } from '../../src/github/client.js';
import { ProtocolError } from '../../src/net/errors.js';
import {
  DEFAULT_LIST_DEADLINE_MS,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_PAGES,
  ListBoundExceeded,
  ListBounds,
} from '../../src/net/list-bounds.js';
import { GroqClient } from '../../src/providers/groq/client.js';
import { OpenAiClient } from '../../src/providers/openai/client.js';

// Issue 17 item 12 (review #27): every list paginator has a page cap, a total item cap and a
// whole-list deadline, and a repeated cursor is an error; every answer is read through the one
// capped reader (src/core/read-capped.ts), GitHub's too. The shapes here are ones the sandbox never
// produces (pages larger than asked, a server dripping fresh cursors, endless bodies), so nock
// answers on hosts that exist only as interceptors.

const GROQ = 'https://api.groq.test';
const OPENAI = 'https://api.openai.test';
const GITHUB = 'https://api.github.test';
/** Built at run time: no tracked line looks like a key. */
const secret = (prefix: string) => `${prefix}-${'z'.repeat(32)}`;
const list = (data: { id: string }[], hasMore: boolean) => ({
  object: 'list',
  data,
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more: hasMore,
});
const items = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    object: 'organization.project',
    id: `proj_${from + i}`,
    name: `p${from + i}`,
    created_at: 1,
    archived_at: null,
    status: 'active',
  }));

/** A clock that moves only when a request is answered: `step` ms per answer. */
function steppingClock(step: number) {
  let t = 0;
  return { now: () => t, tick: () => void (t += step) };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('ListBounds', () => {
  it('defaults: 10,000 pages, 1,000,000 items, ten minutes', () => {
    expect([DEFAULT_MAX_PAGES, DEFAULT_MAX_ITEMS, DEFAULT_LIST_DEADLINE_MS]).toEqual([10_000, 1_000_000, 600_000]);
  });

  it('a repeated cursor, one page too many, too many items, or a list past its deadline is each its own error', () => {
    const repeated = new ListBounds('last_id');
    repeated.page(1);
    repeated.next('a');
    repeated.page(1);
    expect(() => repeated.next('a')).toThrow(
      new ListBoundExceeded(
        'repeated_cursor',
        'the server sent the same last_id cursor twice, so the list would never end; stopped after 2 pages',
      ),
    );

    const pages = new ListBounds('last_id', { maxPages: 2, pageSize: 100 });
    pages.page(100);
    pages.next('a');
    pages.page(100);
    expect(() => pages.next('b')).toThrow(
      'the list did not end after 2 pages, more than any organization groq-rbac supports (200 items at 100 a page); stopped there',
    );

    const full = new ListBounds('last_id', { maxItems: 150 });
    full.page(100);
    expect(() => full.page(51)).toThrow('the list held more than 150 items after 2 pages');

    const clock = { t: 0 };
    const slow = new ListBounds('next_page', { deadlineMs: 1000, now: () => clock.t });
    slow.page(0);
    clock.t = 1000;
    expect(slow.next('a')).toBe('a');
    slow.page(0);
    clock.t = 1001;
    expect(() => slow.next('b')).toThrow('the list was still going after 1 s (2 pages)');
  });
});

describe('Groq client lists (nock)', () => {
  const admin = secret('adm');
  const client = (bounds: ConstructorParameters<typeof GroqClient>[0]['listBounds']) =>
    new GroqClient({ baseUrl: GROQ, adminKey: admin, maxAttempts: 1, listBounds: bounds });

  it('pages far larger than asked for stop at the item cap, not at the page cap', async () => {
    // A server that ignores limit=100 and answers 600 items a page, forever.
    let n = 0;
    const scope = nock(GROQ)
      .get('/openai/v1/organization/projects')
      .query(true)
      .times(3)
      .reply(200, () => list(items(600 * n++, 600), true));
    const e = (await client({ maxItems: 1000 })
      .listProjects()
      .catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/projects failed: the list held more than 1,000 items after 2 pages, more than any organization groq-rbac supports; stopped there',
    );
    expect(n).toBe(2);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('a server dripping fresh cursors stops at the whole-list deadline', async () => {
    const clock = steppingClock(400);
    let n = 0;
    nock(GROQ)
      .get('/openai/v1/organization/projects/proj_1/api_keys')
      .query(true)
      .times(10)
      .reply(200, () => (clock.tick(), list([{ id: `key_${n++}` }], true)));
    const e = (await client({ deadlineMs: 1000, now: clock.now })
      .listProjectKeys('proj_1')
      .catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/projects/proj_1/api_keys failed: the list was still going after 1 s (3 pages), longer than any list of an organization takes; stopped there',
    );
    expect(n).toBe(3);
  });

  it('usage buckets count their results against the item cap', async () => {
    const bucket = (t: number) => ({
      object: 'bucket',
      start_time: t,
      end_time: t + 86_400,
      results: Array.from({ length: 40 }, () => ({ object: 'organization.usage.completions.result', num_model_requests: 1 })),
    });
    let n = 0;
    nock(GROQ)
      .get('/openai/v1/organization/usage/completions')
      .query(true)
      .times(5)
      .reply(200, () => ({ object: 'page', data: [bucket(n * 86_400)], has_more: true, next_page: `p${++n}` }));
    const e = (await client({ maxItems: 100 })
      .listCompletionsUsage({ start_time: 0, end_time: 10 * 86_400, bucket_width: '1d' })
      .catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    // 41 per page (the bucket and its 40 results): the third page passes 100.
    expect(e.message).toContain('the list held more than 100 items after 3 pages');
    expect(n).toBe(3);
  });

  it('an answer that is not a list is an error, not a crash', async () => {
    nock(GROQ).get('/openai/v1/organization/projects').query(true).reply(200, { object: 'list', data: 'nope', has_more: true });
    const e = (await client({})
      .listProjects()
      .catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe('GET /openai/v1/organization/projects failed: the answer is not a list');
  });
});

describe('OpenAI client lists (nock)', () => {
  const admin = secret('sk-admin');
  const client = (o: Partial<ConstructorParameters<typeof OpenAiClient>[0]> = {}) =>
    new OpenAiClient({ baseUrl: `${OPENAI}/v1`, adminKey: admin, organization: 'org-acme', maxAttempts: 1, ...o });

  it('pages far larger than asked for stop at the item cap', async () => {
    let n = 0;
    nock(OPENAI)
      .get('/v1/organization/projects')
      .query(true)
      .times(3)
      .reply(200, () => list(items(700 * n++, 700), true));
    const e = (await client({ listBounds: { maxItems: 1000 } })
      .list('/organization/projects')
      .catch((x: unknown) => x)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(
      "GET /organization/projects: OpenAI's list cannot be read to its end (the list held more than 1,000 items after 2 pages, more than any organization groq-rbac supports; stopped there); nothing was changed. Try again; if it persists, check --base-url / OPENAI_BASE_URL",
    );
    expect(n).toBe(2);
  });

  it('a server dripping fresh cursors stops at the whole-list deadline', async () => {
    const clock = steppingClock(250);
    let n = 0;
    nock(OPENAI)
      .get('/v1/organization/projects/proj_1/api_keys')
      .query(true)
      .times(10)
      .reply(200, () => (clock.tick(), list([{ id: `key_${n++}` }], true)));
    const e = (await client({ listBounds: { deadlineMs: 1000, now: clock.now } })
      .list('/organization/projects/proj_1/api_keys', { owner_project_access: 'any' })
      .catch((x: unknown) => x)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('the list was still going after 1 s (5 pages)');
    expect(n).toBe(5);
  });

  it('a repeated usage page is an error, and bucket results count against the item cap', async () => {
    nock(OPENAI)
      .get('/v1/organization/costs')
      .query(true)
      .times(2)
      .reply(200, { object: 'page', data: [], has_more: true, next_page: 'again' });
    await expect(client().buckets('/organization/costs', {})).rejects.toThrow(
      'the server sent the same next_page cursor twice, so the list would never end; stopped after 2 pages',
    );
    const bucket = {
      object: 'bucket',
      start_time: 0,
      end_time: 60,
      results: Array.from({ length: 60 }, () => ({ object: 'organization.usage.completions.result' })),
    };
    let n = 0;
    nock(OPENAI)
      .get('/v1/organization/usage/completions')
      .query(true)
      .times(3)
      .reply(200, () => ({ object: 'page', data: [bucket], has_more: true, next_page: `p${++n}` }));
    await expect(client({ listBounds: { maxItems: 100 } }).buckets('/organization/usage/completions', {})).rejects.toThrow(
      'the list held more than 100 items after 2 pages',
    );
    expect(n).toBe(2);
  });
});

describe('GitHub answers are read through the capped reader', () => {
  const token = `ghs_${'t'.repeat(36)}`;

  it(`an endless answer stops at the cap (${MAX_GITHUB_RESPONSE_BYTES / 1024 / 1024} MiB by default) with an error naming the path, and is not read further`, async () => {
    let pulled = 0;
    let cancelled = false;
    const chunk = new Uint8Array(1024).fill(0x20);
    // No content-length: only reading it can tell how long it is.
    const fetch = (async () =>
      new Response(
        new ReadableStream({
          pull(c) {
            pulled += chunk.length;
            c.enqueue(chunk);
          },
          cancel() {
            cancelled = true;
          },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      )) as unknown as typeof globalThis.fetch;
    const github = createGitHubClient({ token, baseUrl: GITHUB, env: {}, fetch, retries: 0, maxResponseBytes: 8 * 1024 });
    const e = (await github.rest.repos.get({ owner: 'acme', repo: 'policies' }).catch((x: unknown) => x)) as Error;
    expect(e.message).toBe(
      "GitHub's answer to GET /repos/acme/policies is larger than 8192 bytes, the most groq-rbac reads from one GitHub answer; it was not read further",
    );
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(9 * 1024 + chunk.length);
  });

  it('a declared length over the cap is refused unread; answers under it reach Octokit whole (JSON, binary, 204)', async () => {
    nock(GITHUB)
      .get('/repos/acme/big')
      .reply(200, '{}', { 'content-type': 'application/json', 'content-length': String(1024 * 1024) });
    const github = createGitHubClient({ token, baseUrl: GITHUB, env: {}, retries: 0, maxResponseBytes: 4096 });
    await expect(github.rest.repos.get({ owner: 'acme', repo: 'big' })).rejects.toThrow('larger than 4096 bytes');

    const bytes = Buffer.from([0, 255, 1, 254, 0x80]);
    nock(GITHUB)
      .get('/repos/acme/policies')
      .reply(200, { full_name: 'acme/policies' }, { 'content-type': 'application/json' })
      .get('/repos/acme/policies/tarball/main')
      .reply(200, bytes, { 'content-type': 'application/octet-stream' })
      .delete('/repos/acme/policies/actions/secrets/OLD')
      .reply(204);
    expect((await github.rest.repos.get({ owner: 'acme', repo: 'policies' })).data.full_name).toBe('acme/policies');
    const tarball = await github.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner: 'acme', repo: 'policies', ref: 'main' });
    expect(Buffer.from(tarball.data as ArrayBuffer)).toEqual(bytes);
    expect((await github.rest.actions.deleteRepoSecret({ owner: 'acme', repo: 'policies', secret_name: 'OLD' })).status).toBe(204);
    expect(nock.isDone()).toBe(true);
  });
});
