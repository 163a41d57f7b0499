/**
 * A stand-in for the parts of GitHub's REST API the Action's modes use, on 127.0.0.1, with state,
 * recording every request. In process with the real sandbox it replaces nock, whose fetch
 * interception would also catch the transport's requests to the sandbox.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; id: number; type: string };
}
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  state_reason: string | null;
  labels: { name: string }[];
  comments: string[];
}
export interface FakePullRequest {
  number: number;
  author: string;
  headSha: string;
  headRef: string;
  mergeCommitSha: string | null;
  reviews: { login: string; state: string; commit_id: string }[];
  commits: { author: string; committer: string }[];
  pushers: string[];
  files: string[];
}
export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
}

export const BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export async function startFakeGitHub(repoFullName: string) {
  const REPO = `/repos/${repoFullName}`;
  const state = {
    pulls: [] as FakePullRequest[],
    comments: new Map<number, FakeComment[]>(),
    issues: [] as FakeIssue[],
    requests: [] as Recorded[],
    nextId: 1000,
    permissions: {} as Record<string, string>,
    /** `team:login` of active team memberships. */
    members: [] as string[],
    /** CODEOWNERS by commit. */
    codeowners: new Map<string, string>(),
    /** Who comments: the workflow token's bot unless a test says otherwise. */
    commenter: BOT,
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) : null;
      state.requests.push({
        method: req.method ?? '',
        path: `${url.pathname}${url.search}`,
        body,
        authorization: req.headers.authorization,
      });
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? undefined : JSON.stringify(data));
      };
      const route = `${req.method} ${decodeURIComponent(url.pathname)}`;
      const pr = (n: string) => state.pulls.find((p) => p.number === Number(n));
      let m: RegExpExecArray | null;
      if ((m = new RegExp(`^GET ${REPO}/commits/([0-9a-f]+)/pulls$`).exec(route))) {
        return send(
          200,
          state.pulls
            .filter((p) => p.mergeCommitSha === m![1])
            .map((p) => ({
              number: p.number,
              user: { login: p.author },
              merged_at: '2026-05-04T09:02:17Z',
              merge_commit_sha: p.mergeCommitSha,
              base: { ref: 'main' },
              head: { sha: p.headSha, ref: p.headRef, repo: { full_name: repoFullName } },
              html_url: `https://github.com/${repoFullName}/pull/${p.number}`,
            })),
        );
      }
      if ((m = new RegExp(`^GET ${REPO}/pulls/(\\d+)/reviews$`).exec(route)))
        return send(
          200,
          (pr(m[1]!)?.reviews ?? []).map((r, i) => ({
            id: i + 1,
            user: { login: r.login },
            state: r.state,
            commit_id: r.commit_id,
            author_association: 'MEMBER',
          })),
        );
      if ((m = new RegExp(`^GET ${REPO}/pulls/(\\d+)/commits$`).exec(route)))
        return send(
          200,
          (pr(m[1]!)?.commits ?? []).map((c, i) => ({
            sha: String(i).repeat(40),
            author: { login: c.author },
            committer: { login: c.committer },
          })),
        );
      if ((m = new RegExp(`^GET ${REPO}/pulls/(\\d+)/files$`).exec(route)))
        return send(
          200,
          (pr(m[1]!)?.files ?? []).map((filename) => ({ filename })),
        );
      if (route === `GET ${REPO}/activity`) {
        const branch = url.searchParams.get('ref')?.replace(/^refs\/heads\//, '');
        return send(
          200,
          (state.pulls.find((p) => p.headRef === branch)?.pushers ?? []).map((login, i) => ({
            id: i,
            activity_type: 'push',
            actor: { login },
          })),
        );
      }
      if ((m = new RegExp(`^GET ${REPO}/collaborators/([^/]+)/permission$`).exec(route)))
        return send(200, {
          permission: state.permissions[m[1]!] ?? 'none',
          role_name: state.permissions[m[1]!] ?? '',
          user: { login: m[1] },
        });
      if ((m = new RegExp(`^GET ${REPO}/contents/(.+)$`).exec(route))) {
        const text = m[1] === '.github/CODEOWNERS' ? state.codeowners.get(url.searchParams.get('ref') ?? '') : undefined;
        return text === undefined
          ? send(404, { message: 'Not Found' })
          : send(200, { type: 'file', encoding: 'base64', content: Buffer.from(text).toString('base64') });
      }
      if ((m = /^GET \/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(route))) {
        return state.members.includes(`${m[2]}:${m[3]}`)
          ? send(200, { state: 'active', role: 'member' })
          : send(404, { message: 'Not Found' });
      }
      if ((m = new RegExp(`^GET ${REPO}/issues/(\\d+)/comments$`).exec(route))) {
        const issue = state.issues.find((i) => i.number === Number(m![1]));
        return send(
          200,
          issue ? issue.comments.map((b, i) => ({ id: i + 1, body: b, user: BOT })) : (state.comments.get(Number(m[1])) ?? []),
        );
      }
      if ((m = new RegExp(`^POST ${REPO}/issues/(\\d+)/comments$`).exec(route))) {
        const n = Number(m[1]);
        const issue = state.issues.find((i) => i.number === n);
        if (issue) {
          issue.comments.push(body.body);
          return send(201, { id: state.nextId++, body: body.body, user: state.commenter });
        }
        const comment = { id: state.nextId++, body: body.body as string, user: state.commenter };
        state.comments.set(n, [...(state.comments.get(n) ?? []), comment]);
        return send(201, comment);
      }
      if ((m = new RegExp(`^(PATCH|DELETE) ${REPO}/issues/comments/(\\d+)$`).exec(route))) {
        for (const [n, list] of state.comments) {
          const found = list.find((c) => c.id === Number(m![2]));
          if (!found) continue;
          if (m[1] === 'DELETE') {
            state.comments.set(
              n,
              list.filter((c) => c !== found),
            );
            return send(204, null);
          }
          found.body = body.body;
          return send(200, found);
        }
        return send(404, { message: 'Not Found' });
      }
      const asJson = (i: FakeIssue) => ({ ...i, html_url: `https://github.com/${repoFullName}/issues/${i.number}`, user: BOT });
      if (route === `GET ${REPO}/issues`) {
        const label = url.searchParams.get('labels');
        return send(
          200,
          state.issues
            .filter((i) => i.state === url.searchParams.get('state') && (!label || i.labels.some((l) => l.name === label)))
            .map(asJson),
        );
      }
      if (route === `POST ${REPO}/issues`) {
        const issue: FakeIssue = {
          number: state.nextId++,
          title: body.title,
          body: body.body,
          state: 'open',
          state_reason: null,
          labels: (body.labels as string[]).map((name) => ({ name })),
          comments: [],
        };
        state.issues.push(issue);
        return send(201, asJson(issue));
      }
      if ((m = new RegExp(`^PATCH ${REPO}/issues/(\\d+)$`).exec(route))) {
        const issue = state.issues.find((i) => i.number === Number(m![1]));
        if (!issue) return send(404, { message: 'Not Found' });
        if (body.body !== undefined) issue.body = body.body;
        if (body.state !== undefined) issue.state = body.state;
        if (body.state_reason !== undefined) issue.state_reason = body.state_reason;
        return send(200, asJson(issue));
      }
      return send(404, { message: `Not Found: ${route}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Requests that change something (anything but GET). */
    writes: () => state.requests.filter((r) => r.method !== 'GET'),
    // Idle keep-alive connections would hold close() open until they time out.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;
