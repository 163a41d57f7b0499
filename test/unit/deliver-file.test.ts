import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliverKey, DeliveryError, describeTarget, type DeliveryContext } from '../../src/apply/deliver/index.js';
import { containsKeyValue } from '../../src/core/redact.js';
import type { Delivery } from '../../src/policy/types.js';

// Real file system throughout; `open` and `rename` are spies (and `fs.mkdirSync` is spied on) so a test can make one call fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open), mkdir: vi.fn(actual.mkdir), rename: vi.fn(actual.rename) };
});

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A value shaped like a Groq key, made at run time so no key-like literal is committed. */
function fakeKeyValue(): string {
  return `gsk_${Array.from({ length: 52 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

let cwd: string;
let lines: string[];
let context: DeliveryContext;
let value: string;

beforeEach(() => {
  cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deliver-file-')));
  lines = [];
  const record = (m: string) => void lines.push(m);
  context = { env: {}, cwd, logger: { debug: record, info: record, warn: record } };
  value = fakeKeyValue();
});

afterEach(() => {
  vi.mocked(fsp.open).mockClear();
  fs.rmSync(cwd, { recursive: true, force: true });
  // Whatever happened, nothing logged the value.
  for (const line of lines) {
    expect(line.includes(value)).toBe(false);
    expect(containsKeyValue(line)).toBe(false);
  }
});

const file = (p: string, mode?: string): Delivery => ({ kind: 'file', path: p, ...(mode ? { mode } : {}) });
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

async function failure(target: Delivery, v = value): Promise<DeliveryError> {
  const error = await deliverKey(target, v, context).then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const e = error as DeliveryError;
  for (const text of [e.message, String(e), e.stack ?? '', String((e.cause as Error | undefined)?.message ?? '')]) {
    expect(text.includes(v)).toBe(false);
    expect(containsKeyValue(text)).toBe(false);
  }
  return e;
}

describe('file delivery', () => {
  it('writes the value and a newline with mode 0600, creating parent directories with 0700', async () => {
    const result = await deliverKey(file('secrets/groq/chatbot.key'), value, context);
    const written = path.join(cwd, 'secrets/groq/chatbot.key');
    expect(result).toEqual({ target: `file ${written} (0600)`, outcome: 'created' });
    expect(fs.readFileSync(written, 'utf8')).toBe(`${value}\n`);
    expect(modeOf(written)).toBe(0o600);
    expect(modeOf(path.join(cwd, 'secrets'))).toBe(0o700);
    expect(modeOf(path.join(cwd, 'secrets/groq'))).toBe(0o700);
    // No temporary file is left next to it.
    expect(fs.readdirSync(path.join(cwd, 'secrets/groq'))).toEqual(['chatbot.key']);
  });

  it('replaces an existing file whole, and says it updated it', async () => {
    fs.writeFileSync(path.join(cwd, 'groq.key'), 'an older and much longer previous content\n', { mode: 0o644 });
    const result = await deliverKey(file('groq.key'), value, context);
    expect(result.outcome).toBe('updated');
    expect(fs.readFileSync(path.join(cwd, 'groq.key'), 'utf8')).toBe(`${value}\n`);
    expect(modeOf(path.join(cwd, 'groq.key'))).toBe(0o600);
    expect(fs.readdirSync(cwd)).toEqual(['groq.key']);
  });

  it.each(['0400', '400'])('honours mode %s, and can replace a read-only file', async (mode) => {
    const target = file('ro/groq.key', mode);
    await deliverKey(target, fakeKeyValue(), context);
    await deliverKey(target, value, context);
    const written = path.join(cwd, 'ro/groq.key');
    expect(modeOf(written)).toBe(0o400);
    expect(fs.readFileSync(written, 'utf8')).toBe(`${value}\n`);
    expect(describeTarget(target, cwd)).toBe(`file ${written} (0400)`);
  });

  it('sets the exact mode whatever the umask', async () => {
    const previous = process.umask(0o077);
    try {
      await deliverKey(file('a.key', '0600'), value, context);
    } finally {
      process.umask(previous);
    }
    expect(modeOf(path.join(cwd, 'a.key'))).toBe(0o600);
  });

  it('accepts an absolute path', async () => {
    const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deliver-abs-')));
    try {
      const target = path.join(outside, 'keys', 'groq.key');
      await deliverKey(file(target), value, context);
      expect(fs.readFileSync(target, 'utf8')).toBe(`${value}\n`);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('creates the temporary file exclusively, without following links, in the same directory, with the final mode', async () => {
    await deliverKey(file('dir/groq.key', '0400'), value, context);
    const call = vi.mocked(fsp.open).mock.calls.find(([p]) => String(p).endsWith('.tmp'));
    expect(call).toBeDefined();
    const [temporary, flags, mode] = call!;
    expect(path.dirname(String(temporary))).toBe(path.join(cwd, 'dir'));
    expect(path.basename(String(temporary))).toMatch(/^\.groq\.key\.[0-9a-f]{12}\.tmp$/);
    expect(Number(flags) & fs.constants.O_EXCL).toBe(fs.constants.O_EXCL);
    expect(Number(flags) & fs.constants.O_NOFOLLOW).toBe(fs.constants.O_NOFOLLOW);
    expect(mode).toBe(0o400);
  });

  describe('refuses', () => {
    it('a path with a .. segment, writing nothing', async () => {
      const e = await failure(file('secrets/../../escape.key'));
      expect(e.message).toContain('may not contain a .. segment');
      expect(fs.readdirSync(cwd)).toEqual([]);
    });

    it('a symbolic link to a directory on the way', async () => {
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'deliver-elsewhere-'));
      try {
        fs.mkdirSync(path.join(cwd, 'secrets'));
        fs.symlinkSync(elsewhere, path.join(cwd, 'secrets', 'groq'));
        const e = await failure(file('secrets/groq/chatbot.key'));
        expect(e.message).toBe(
          `cannot deliver to file ${path.join(cwd, 'secrets/groq/chatbot.key')} (0600): refusing to write through symbolic link ${path.join(cwd, 'secrets/groq')}: point the target at the real path`,
        );
        expect(fs.readdirSync(elsewhere)).toEqual([]);
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    it('a destination that is a symbolic link, leaving the file it points to alone', async () => {
      fs.writeFileSync(path.join(cwd, 'real.key'), 'untouched\n');
      fs.symlinkSync(path.join(cwd, 'real.key'), path.join(cwd, 'link.key'));
      const e = await failure(file('link.key'));
      expect(e.message).toContain(`refusing to write through symbolic link ${path.join(cwd, 'link.key')}`);
      expect(fs.readFileSync(path.join(cwd, 'real.key'), 'utf8')).toBe('untouched\n');
      expect(fs.lstatSync(path.join(cwd, 'link.key')).isSymbolicLink()).toBe(true);
    });

    it('a dangling symbolic link as destination', async () => {
      fs.symlinkSync(path.join(cwd, 'nowhere.key'), path.join(cwd, 'dangling.key'));
      const e = await failure(file('dangling.key'));
      expect(e.message).toContain('refusing to write through symbolic link');
      expect(fs.existsSync(path.join(cwd, 'nowhere.key'))).toBe(false);
    });

    it('a destination that is a directory', async () => {
      fs.mkdirSync(path.join(cwd, 'groq.key'));
      const e = await failure(file('groq.key'));
      expect(e.message).toContain('exists and is not a regular file');
    });

    it('a path through a regular file', async () => {
      fs.writeFileSync(path.join(cwd, 'plain'), 'x');
      const e = await failure(file('plain/groq.key'));
      expect(e.message).toContain(`${path.join(cwd, 'plain')} is not a directory`);
    });
  });

  describe('on failure leaves the destination as it was', () => {
    const destination = () => path.join(cwd, 'keys/groq.key');
    beforeEach(() => {
      fs.mkdirSync(path.join(cwd, 'keys'), { mode: 0o700 });
      fs.writeFileSync(destination(), 'previous\n', { mode: 0o600 });
    });

    it('an unwritable directory: a clear error, nothing changed, nothing left behind', async () => {
      // Simulated: the suite may run as root, which ignores directory permissions.
      vi.mocked(fsp.open).mockRejectedValueOnce(fsError('EACCES'));
      const e = await failure(file('keys/groq.key'));
      expect(e.message).toBe(
        `cannot deliver to file ${destination()} (0600): cannot write ${destination()} (EACCES): check that ${path.join(cwd, 'keys')} may be written and has space`,
      );
      expect(e.retryable).toBe(false);
      expect(fs.readFileSync(destination(), 'utf8')).toBe('previous\n');
      expect(fs.readdirSync(path.join(cwd, 'keys'))).toEqual(['groq.key']);
    });

    it('a directory that cannot be created', async () => {
      vi.spyOn(fs, 'mkdirSync').mockImplementationOnce(() => {
        throw fsError('EACCES');
      });
      const e = await failure(file('new/dir/groq.key'));
      expect(e.message).toContain(`cannot create ${path.join(cwd, 'new')}: no permission to create it in ${cwd} (EACCES)`);
    });

    it('a write that fails halfway: no partial file anywhere', async () => {
      const actualOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
      vi.mocked(fsp.open).mockImplementationOnce(async (...args: Parameters<typeof actualOpen>) => {
        const handle = await actualOpen(...args);
        handle.writeFile = async (data: unknown) => {
          await handle.write(String(data).slice(0, 10));
          throw fsError('ENOSPC');
        };
        return handle;
      });
      const e = await failure(file('keys/groq.key'));
      expect(e.message).toContain('(ENOSPC)');
      expect(fs.readFileSync(destination(), 'utf8')).toBe('previous\n');
      expect(fs.readdirSync(path.join(cwd, 'keys'))).toEqual(['groq.key']);
    });

    it('a rename that fails: the temporary file is removed', async () => {
      vi.mocked(fsp.rename).mockRejectedValueOnce(fsError('EIO'));
      const e = await failure(file('keys/groq.key'));
      expect(e.message).toContain('(EIO)');
      expect(fs.readFileSync(destination(), 'utf8')).toBe('previous\n');
      expect(fs.readdirSync(path.join(cwd, 'keys'))).toEqual(['groq.key']);
    });
  });

  it('describes a target without a file system: relative paths stay as written', () => {
    expect(describeTarget(file('secrets/groq.key'))).toBe('file secrets/groq.key (0600)');
    expect(describeTarget(file('/srv/keys/groq.key', '400'))).toBe('file /srv/keys/groq.key (0400)');
  });
});
