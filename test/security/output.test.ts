import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStderrLogger } from '../../src/core/log.js';
import { commandSafe, escapeMarkdown, oneLine, sanitizeText, terminalText } from '../../src/core/sanitize.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { BIN } from '../helpers/spawn.js';

// Issue 17, item 10: text from a server, a file or a pull request reaches the terminal, the
// Actions log and the job summary. A hostile server's error message carries a clear-screen, an
// OSC-8 hyperlink, a carriage return, workflow commands on lines of their own (`::stop-commands::`
// would switch off every later `::add-mask::`), the runner's legacy `##[` form, and Markdown that
// would hide text, link or mention. Each must arrive inert.

const ESC = '\u001b';
const HOSTILE = [
  `boom${ESC}[2J${ESC}]8;;http://evil.example/${ESC}\\click here${ESC}]8;;${ESC}\\ done\roverwritten\u009b31m`,
  '::stop-commands::x',
  '::add-mask::nothing',
  '::set-output name=fingerprint::forged',
  '  ::error file=org.yaml::forged annotation',
  'text ##[set-output name=fingerprint;]forged',
  '# heading <!-- hidden --> <img src=x> @acme/admins [link](http://evil.example) | cell `code` \u202etxt.exe',
].join('\n');
const ADMIN_KEY = 'gsk_' + 'OutputTestAdminKey0123456789abcdefghijklmnop';
const GITHUB_TOKEN = 'ghs_OutputTestWorkflowToken0123456789';
const REPO = '/repos/acme/groq-policies';

// C0 but tab and newline, DEL, C1, and the bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A stream without the `::add-mask::` lines, the one place a secret goes (to the runner, which masks it). */
const unmasked = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
/** The lines of a stream that the runner would take as a workflow command. */
const commandLines = (text: string) => text.split('\n').filter((l) => /^\s*::/.test(l) || l.includes('##['));
// What the Action itself issues: masks first, then its own messages (whose data @actions/core escapes).
const OWN_COMMAND = /^::(add-mask|debug|warning|error|notice|group|endgroup)( [^:]*)?::/;

type Handler = (req: http.IncomingMessage, body: Buffer) => Promise<{ status: number; json: unknown; headers?: Record<string, string> }>;

async function startServer(handle: Handler): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      handle(req, Buffer.concat(chunks)).then(
        ({ status, json, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(json));
        },
        (error: Error) => {
          res.writeHead(502);
          res.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hostileError = { error: { message: HOSTILE, type: 'invalid_request_error', code: `bad${ESC}[2J` } };

/** A Groq stand-in: the real sandbox behind it, except the requests `hostile` picks, which get HOSTILE as a 400. */
function groqProxy(sandbox: Sandbox, hostile: (method: string, pathname: string) => boolean): Handler {
  return async (req, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (hostile(req.method ?? 'GET', url.pathname)) return { status: 400, json: hostileError };
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'idempotency-key'])
      if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    const upstream = await fetch(`${sandbox.url}${req.url}`, { method: req.method, headers, body: body.length > 0 ? body : undefined });
    const text = await upstream.text();
    return { status: upstream.status, json: text ? JSON.parse(text) : null };
  };
}

/** Runs a bundle (the CLI's bin or the Action) as a child; a hang is killed, so the test fails instead of spinning. */
function run(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, timeout: 15_000, killSignal: 'SIGKILL' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const ORG_YAML = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const TEAM_YAML = `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [openai/gpt-oss-120b]
`;

let sandbox: Sandbox;
let ws: string;
let servers: { close(): Promise<void> }[];

beforeEach(async () => {
  sandbox = await startSandbox({ host: '127.0.0.1', port: 0, orgId: 'org_sandbox', adminKey: ADMIN_KEY });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-output-'));
  fs.mkdirSync(path.join(ws, 'policies/teams'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'policies/org.yaml'), ORG_YAML);
  fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), TEAM_YAML);
  servers = [];
});

afterEach(async () => {
  for (const s of servers) await s.close();
  await sandbox.close();
  fs.rmSync(ws, { recursive: true, force: true });
});

async function serve(handle: Handler) {
  const s = await startServer(handle);
  servers.push(s);
  return s;
}

/** What every sink must show of HOSTILE: no raw control character, no line the runner would obey. */
function expectInert(text: string) {
  expect(text).not.toMatch(RAW_CONTROL);
  expect(text).not.toContain('\r');
  expect(text).not.toContain('##[');
  for (const line of text.split('\n')) expect(line).not.toMatch(/^\s*::/);
}

describe('a hostile server’s text on the CLI’s terminal', () => {
  it('plan: the error on stderr shows the escape sequences as text and starts no line with a workflow command', async () => {
    const groq = await serve(async () => ({ status: 400, json: hostileError }));
    const result = await run([BIN, 'plan', '--base-url', groq.url], {
      cwd: ws,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', GROQ_ADMIN_KEY: ADMIN_KEY },
    });
    expect(groq.seen.length).toBeGreaterThan(0);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error:');
    // The message is still there, readable: the escapes are visible text.
    expect(result.stderr).toContain('boom\\u001b[2J\\u001b]8;;http://evil.example/\\u001b\\click here');
    expect(result.stderr).toContain('\\n::stop-commands::x');
    expectInert(result.stderr);
    expectInert(result.stdout);
    expect(result.stderr + result.stdout).not.toContain(ADMIN_KEY);
  });

  it('apply: a failed change’s line on stdout and the error on stderr are inert', async () => {
    const groq = await serve(groqProxy(sandbox, (method, p) => method === 'POST' && p === '/openai/v1/organization/projects'));
    const result = await run([BIN, 'apply', '--yes', '--base-url', groq.url], {
      cwd: ws,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', GROQ_ADMIN_KEY: ADMIN_KEY },
    });
    expect(groq.seen).toContain('POST /openai/v1/organization/projects');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('boom\\u001b[2J');
    expectInert(result.stdout);
    expectInert(result.stderr);
    // Nothing was made: the one create was refused.
    const projects = await fetch(`${sandbox.url}/openai/v1/organization/projects`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(((await projects.json()) as { data: unknown[] }).data).toEqual([]);
  });
});

describe('a hostile server’s text in the Action’s log and job summary', () => {
  async function runAction(event: string, inputs: Record<string, string>, githubUrl: string, groqUrl: string) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-output-run-'));
    const files = { output: path.join(tmp, 'output'), summary: path.join(tmp, 'summary.md') };
    fs.writeFileSync(files.output, '');
    fs.writeFileSync(files.summary, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: event,
      GITHUB_EVENT_PATH: path.resolve('test/fixtures/events', `${event}.json`),
      GITHUB_REPOSITORY: 'acme/groq-policies',
      GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      GITHUB_REF: event === 'pull_request' ? 'refs/pull/42/merge' : 'refs/heads/main',
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: githubUrl,
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_TEMP: tmp,
      INPUT_POLICIES: 'policies',
      'INPUT_GITHUB-TOKEN': GITHUB_TOKEN,
      INPUT_COMMENT: 'true',
      'INPUT_REQUIRE-APPROVAL': 'true',
      'INPUT_GROQ-BASE-URL': groqUrl,
      'INPUT_GROQ-ADMIN-KEY': ADMIN_KEY,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    };
    const result = await run([path.resolve('dist/action.js')], { cwd: ws, env });
    return { ...result, summary: fs.readFileSync(files.summary, 'utf8') };
  }

  /** The Action's stdout: every line the runner would read as a command is one of the Action's own. */
  function expectOwnCommandsOnly(stdout: string) {
    const commands = commandLines(stdout);
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) expect(line).toMatch(OWN_COMMAND);
    expect(stdout).not.toMatch(RAW_CONTROL);
    for (const forged of ['::stop-commands', '::set-output', '::add-mask::nothing'])
      expect(stdout.split('\n').some((l) => l.trimStart().startsWith(forged))).toBe(false);
  }

  /** The summary: the failure quote holds HOSTILE as escaped text, every line of it inside the quote. */
  function expectEscapedQuote(summary: string, lines: 'several' | 'one') {
    expect(summary).not.toMatch(RAW_CONTROL);
    const quote = summary.slice(summary.lastIndexOf('> [!CAUTION]')).trimEnd().split('\n');
    // GitHub's message arrives with its newlines (each line stays inside the quote); a Groq error's is made one line at its source.
    expect(quote.length).toBe(lines === 'one' ? 2 : HOSTILE.split('\n').length + 1);
    for (const line of quote) expect(line.startsWith('>')).toBe(true);
    const text = quote.join('\n');
    if (lines === 'several') expect(text).toContain('\n> \\# heading');
    expect(text).toContain('\\<!-- hidden --\\> \\<img src=x\\> \\@acme/admins \\[link\\](http://evil.example) \\| cell \\`code\\`');
    expect(summary).not.toContain('<!-- hidden -->');
    expect(summary).not.toContain('[link](');
    expect(summary).not.toMatch(/(^|[^\\])@acme\/admins/);
  }

  it('plan: GitHub answering with hostile text fails the step with it escaped in the log, the annotation and the summary', async () => {
    const github = await serve(async () => ({ status: 403, json: { message: HOSTILE } }));
    const result = await runAction('pull_request', { mode: 'plan' }, github.url, sandbox.url);
    expect(github.seen.some((r) => r.startsWith(`GET ${REPO}/issues/42/comments`))).toBe(true);
    expect(result.code).toBe(1);
    expectOwnCommandsOnly(result.stdout);
    // The failure is one `::error::` line: @actions/core escaped its newlines.
    const failure = result.stdout.split('\n').find((l) => l.startsWith('::error::'))!;
    expect(failure).toContain('%0A::stop-commands::x');
    expect(failure).toContain('boom\\u001b[2J');
    expectEscapedQuote(result.summary, 'several');
    expect(unmasked(result.stdout) + result.stderr + result.summary).not.toContain(ADMIN_KEY);
    expect(unmasked(result.stdout) + result.stderr + result.summary).not.toContain(GITHUB_TOKEN);
  });

  it('plan: Groq answering with hostile text fails the step with it escaped in the log and the summary', async () => {
    const github = await serve(async () => ({ status: 404, json: { message: 'Not Found' } }));
    const groq = await serve(async () => ({ status: 400, json: hostileError }));
    const result = await runAction('pull_request', { mode: 'plan' }, github.url, groq.url);
    expect(result.code).toBe(1);
    expectOwnCommandsOnly(result.stdout);
    expectEscapedQuote(result.summary, 'one');
    // Nothing was written to GitHub: the plan never came to be.
    expect(github.seen.filter((r) => !r.startsWith('GET'))).toEqual([]);
  });

  it('apply: a failed change’s message, logged line by line with core.info, starts no workflow command', async () => {
    const github = await serve(async (req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (/\/commits\/[0-9a-f]+\/pulls$/.test(url.pathname)) return { status: 200, json: [] };
      // The dispatched run was approved by a required reviewer of a protected environment.
      if (url.pathname.endsWith('/actions/runs/4242/approvals'))
        return { status: 200, json: [{ state: 'approved', user: { login: 'carol' }, environments: [{ name: 'groq-rbac-dispatch' }] }] };
      if (url.pathname.endsWith('/environments/groq-rbac-dispatch/deployment-branch-policies'))
        return { status: 200, json: { total_count: 1, branch_policies: [{ id: 1, name: 'main', type: 'branch' }] } };
      if (url.pathname.endsWith('/environments/groq-rbac-dispatch')) {
        return {
          status: 200,
          json: {
            name: 'groq-rbac-dispatch',
            protection_rules: [{ type: 'required_reviewers', reviewers: [{ type: 'User', reviewer: { login: 'carol' } }] }],
            deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
          },
        };
      }
      return { status: 403, json: { message: 'Resource not accessible by integration' } };
    });
    const groq = await serve(groqProxy(sandbox, (method, p) => method === 'POST' && p === '/openai/v1/organization/projects'));
    const planned = await run([BIN, 'plan', '--format', 'json', '--base-url', groq.url], {
      cwd: ws,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', GROQ_ADMIN_KEY: ADMIN_KEY },
    });
    const fingerprint = (JSON.parse(planned.stdout) as { fingerprint: string }).fingerprint;
    const result = await runAction('workflow_dispatch', { mode: 'apply', 'expect-fingerprint': fingerprint }, github.url, groq.url);
    expect(groq.seen).toContain('POST /openai/v1/organization/projects');
    expect(result.code).toBe(1);
    // The outcome line carries the server's message, cleaned to one line.
    const outcome = result.stdout.split('\n').find((l) => l.startsWith('✗ create project chatbot-prod'))!;
    expect(outcome).toContain('boom\\u001b[2J');
    expect(outcome).toContain('\\n::stop-commands::x');
    expectOwnCommandsOnly(result.stdout);
    expect(result.summary).not.toMatch(RAW_CONTROL);
    expect(result.summary).not.toContain('<!-- hidden -->');
    expect(github.seen.filter((r) => !r.startsWith('GET'))).toEqual([]);
    expect(unmasked(result.stdout) + result.stderr + result.summary).not.toContain(ADMIN_KEY);
  });
});

describe('the sinks themselves', () => {
  it('core.info lines: a leading :: (after white space) and ##[ anywhere are written so the runner does not read them', () => {
    expect(commandSafe('ok\n::stop-commands::x\n  ::add-mask::y\ntext ##[error]z')).toBe(
      'ok\n\\::stop-commands::x\n  \\::add-mask::y\ntext #\\#[error]z',
    );
    expect(commandLines(commandSafe(HOSTILE))).toEqual([]);
  });

  it('the terminal: our own colours pass, a server’s sequences do not', () => {
    const ours = `${ESC}[31merror:${ESC}[0m ${ESC}[2J${ESC}[8mhidden${ESC}[0m`;
    expect(terminalText(ours)).toBe(`${ESC}[31merror:${ESC}[0m \\u001b[2J\\u001b[8mhidden${ESC}[0m`);
  });

  it('the logger writes the escaped text and still redacts', () => {
    const lines: string[] = [];
    const value = 'gsk_' + 'LoggerTestKey0123456789abcdefghijklmnopqrstuvwxyz';
    createStderrLogger({ debug: true, write: (l) => void lines.push(l) }).warn(`${HOSTILE} ${value}`);
    expect(lines.join('')).not.toMatch(RAW_CONTROL);
    expect(lines.join('')).not.toContain(value);
    expect(lines.join('')).toContain('gsk_[REDACTED]');
  });

  it('Markdown: escaped once, inline or over several lines', () => {
    expect(escapeMarkdown('# a|b\n# c @d')).toBe('\\# a\\|b # c \\@d');
    expect(escapeMarkdown('a|b\n# c @d', { multiLine: true })).toBe('a\\|b\n\\# c \\@d');
  });

  fcTest.prop([fc.string({ unit: 'binary', maxLength: 200 })])(
    'sanitizeText leaves no control character but \\n and \\t, and is idempotent',
    (s) => {
      const out = sanitizeText(s);
      expect(out).not.toMatch(RAW_CONTROL);
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      expect(oneLine(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(sanitizeText(out)).toBe(out);
      expect(commandLines(commandSafe(s))).toEqual([]);
    },
  );
});
