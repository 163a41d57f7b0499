/**
 * Policy key names for live keys whose own name is free text (OpenAI's service accounts): the
 * pure naming (core/key-names.ts), plan adopting by it only where marks live in names, and import
 * of an OpenAI organization in memory (derived and distinct names, reserved managed names, a
 * person's key, a hashed policy key, limits below the highest any project has).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { LiveLimit } from '../../src/core/domain.js';
import { derivedKeyName, distinctKeyName, isPolicyKeyName, namesByDerivation } from '../../src/core/key-names.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { importPolicies } from '../../src/policy/import-policies.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { makeDesired, makeDesiredKey, makeDesiredProject, makeLive, makeLiveKey, makeLiveProject, NOW } from '../helpers/builders.js';

describe('derived key names', () => {
  it('keep a valid name, turn other characters into dashes, and fall back to "key"', () => {
    expect(derivedKeyName('backend-worker')).toBe('backend-worker');
    expect(derivedKeyName('Search API (prod)')).toBe('Search-API-prod');
    expect(derivedKeyName('  Café bot  ')).toBe('Cafe-bot');
    expect(derivedKeyName('🤖')).toBe('key');
    expect(derivedKeyName('x'.repeat(80) + ' y')).toBe('x'.repeat(64));
  });

  test.prop([fc.string({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 })])(
    'are always policy key names, and the distinct form differs from the derived one',
    (name, id) => {
      expect(isPolicyKeyName(derivedKeyName(name))).toBe(true);
      expect(isPolicyKeyName(distinctKeyName(name, id))).toBe(true);
      expect(distinctKeyName(name, id)).not.toBe(derivedKeyName(name));
      expect(namesByDerivation(derivedKeyName(name), { name, id })).toBe(true);
      expect(namesByDerivation(distinctKeyName(name, id), { name, id })).toBe(true);
    },
  );
});

const openAiLive = (keys: ReturnType<typeof makeLiveKey>[]) =>
  makeLive([makeLiveProject('app-prod', { keys, limits: [] })], { provider: 'openai', limits: [] });
const wanted = (...names: string[]) =>
  makeDesired(
    [makeDesiredProject('app-prod')],
    names.map((n) => makeDesiredKey(n, { project: 'app-prod' })),
    { provider: 'openai', id: 'org-test' },
  );
const actions = (plan: ReturnType<typeof planChanges>) =>
  plan.changes
    .filter((c) => c.resource === 'api_key')
    .map((c) => `${c.action} ${'key' in c ? c.key : ''} ${'key_id' in c ? (c.key_id ?? '') : ''}`.trim())
    .sort();

describe('plan adopts by derived names where marks live in key names', () => {
  it("adopts a free-named service account by its derived name, a second one of that name by its distinct form, never a person's key", () => {
    const older = makeLiveKey({ name: 'Search API', created_at: NOW - 3 * 86400 });
    const newer = makeLiveKey({ name: 'Search  API', created_at: NOW - 2 * 86400 });
    const person = makeLiveKey({ name: 'ops', personal: true });
    const plan = planChanges(
      wanted('Search-API', distinctKeyName('Search  API', newer.id), 'ops'),
      openAiLive([older, newer, person]),
      NOW,
    );
    expect(actions(plan)).toEqual(
      [`adopt ${distinctKeyName('Search  API', newer.id)} ${newer.id}`, `adopt Search-API ${older.id}`, 'create ops'].sort(),
    );
    // The derived match is not ambiguous: the other key is named by its distinct form.
    expect(plan.warnings.filter((w) => w.code === 'ambiguous_adopt')).toEqual([]);
    // Adopting renames it: the plan says so.
    const adopt = plan.changes.find((c) => c.resource === 'api_key' && c.action === 'adopt' && c.key === 'Search-API')!;
    expect(adopt.fields).toContainEqual({ field: 'name', before: 'Search API', after: 'Search-API' });
    expect(plan.unmanaged.keys.map((k) => k.key_id)).toEqual([person.id]);
  });

  it('adopts by the exact name only under Groq, where key metadata leaves names alone', () => {
    const live = makeLive([makeLiveProject('app-prod', { keys: [makeLiveKey({ name: 'Search API' })] })]);
    const plan = planChanges(
      makeDesired([makeDesiredProject('app-prod')], [makeDesiredKey('Search-API', { project: 'app-prod' })]),
      live,
      NOW,
    );
    expect(actions(plan)).toEqual(['create Search-API']);
  });
});

function importOpenAi(live: ReturnType<typeof makeLive>) {
  const { files, notes } = importPolicies(live, {
    admins: ['@acme/platform'],
    schemaRef: { org: '../schemas/org.schema.json', team: '../../schemas/team.schema.json' },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-import-openai-'));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return { files, notes, policies: readPolicies(dir, { cwd: dir }) };
}

describe('import of an OpenAI organization', () => {
  const limit = (model: string, values: LiveLimit['values']): LiveLimit => ({ id: `rl-${model}`, model, values });
  const chat = {
    requests_per_minute: 5000,
    tokens_per_minute: 2_000_000,
    requests_per_day: 10_000_000,
    batch_input_tokens_per_day: 200_000_000,
  };
  const image = { requests_per_minute: 5000, tokens_per_minute: 2_000_000, requests_per_day: 10_000_000, images_per_minute: 50 };
  const managedWeb = makeLiveKey({
    name: 'web',
    created_at: NOW - 5 * 86400,
    marks: { key: 'web', generation: 2, trigger: null, delivered_at: NOW - 5 * 86400, targets: null, protect: true },
  });
  const freeWeb = makeLiveKey({ name: 'web', created_at: NOW - 9 * 86400 });
  const hashed = makeLiveKey({
    name: 'x',
    marks: { key: 'payments-reconci~62a406f17a', generation: 1, trigger: null, delivered_at: null, targets: null, protect: false },
  });
  const person = makeLiveKey({ name: 'alice key', personal: true });
  const free = makeLiveKey({ name: 'Billing bot (prod)' });
  const live = makeLive(
    [
      // Created first, so its unmanaged "web" comes before the managed one of the same name elsewhere.
      makeLiveProject('app-dev', {
        created_at: NOW - 20 * 86400,
        keys: [freeWeb, free, person],
        limits: [limit('gpt-4o-mini', { ...chat, requests_per_minute: 300 }), limit('gpt-image-1', image)],
      }),
      makeLiveProject('app-prod', {
        created_at: NOW - 10 * 86400,
        permissions: { mode: 'allow_list', models: ['gpt-4o-mini'] },
        keys: [managedWeb, hashed],
        limits: [limit('gpt-4o-mini', chat), limit('gpt-image-1', { ...image, images_per_minute: 20 })],
      }),
    ],
    { provider: 'openai', org: { id: 'org-acme', name: 'org-acme' }, limits: [] },
  );
  const { files, notes, policies } = importOpenAi(live);

  it('writes provider: openai and the org id, and policies that validate', () => {
    expect(files['org.yaml']).toMatch(/^version: 2\nprovider: openai\norg: org-acme\n/m);
    expect(policies.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(policies.desired!.org.provider).toBe('openai');
  });

  it("names keys: managed names first, a free name derived, a taken one made distinct; a person's key and a hashed policy key left out", () => {
    const keys = policies.desired!.keys.map((k) => `${k.project}/${k.name}${k.protect ? ' (protected)' : ''}`).sort();
    expect(keys).toEqual(['app-dev/Billing-bot-prod', `app-dev/${distinctKeyName('web', freeWeb.id)}`, 'app-prod/web (protected)']);
    expect(notes).toEqual(
      expect.arrayContaining([
        `left out key ${person.id} of project "app-dev": it is a person's own key, not a service account's, and groq-rbac keeps its marks in service accounts; it stays unmanaged`,
        `left out key ${hashed.id} of project "app-prod": its marks name the policy key only by a hash ("payments-reconci~62a406f17a": the full name did not fit in the service account's name); add that key to the policies under its full name, or plan will delete it as removed`,
      ]),
    );
  });

  it('writes limits in policy fields, only where a project has less than the highest any project has', () => {
    const byName = Object.fromEntries(policies.desired!.projects.map((p) => [p.name, p.limits]));
    expect(byName['app-dev']).toEqual({ default: {}, models: { 'gpt-4o-mini': { requests_per_minute: 300 } } });
    // app-prod may use gpt-4o-mini only: its lower image limit is not its concern.
    expect(byName['app-prod']).toEqual({ default: {}, models: {} });
  });

  it('a plan right after shows only adoptions, and the delete the note about the hashed key warns of', () => {
    const plan = planChanges(policies.desired!, live, NOW);
    expect(plan.changes.map((c) => `${c.resource} ${c.action} ${'key' in c ? c.key : ''}`).sort()).toEqual(
      [
        'api_key adopt Billing-bot-prod',
        `api_key adopt ${distinctKeyName('web', freeWeb.id)}`,
        'api_key delete payments-reconci~62a406f17a',
      ].sort(),
    );
  });
});
