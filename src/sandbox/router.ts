import type { IncomingHttpHeaders } from 'node:http';

export type Access = 'admin' | 'inference' | 'control';

export interface RequestContext {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  token: string | null;
  requestId: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Server-sent events, written in order instead of a JSON body. */
  events?: string[];
}

export interface RouteSpec {
  method: string;
  /** Literal segments, `{name}` for one segment, `{name*}` for the rest of the path (model ids hold slashes). */
  template: string;
  access: Access;
  /** A create: honours `Idempotency-Key`. */
  create?: boolean;
  handler: (ctx: RequestContext) => Reply;
}

export interface Route extends RouteSpec {
  segments: string[];
  params: number[];
  rest: boolean;
}

export function compileRoutes(specs: RouteSpec[]): Route[] {
  return specs.map((s) => {
    const segments = s.template.split('/');
    const params = segments.flatMap((seg, i) => (seg.startsWith('{') ? [i] : []));
    return { ...s, segments, params, rest: segments.at(-1)!.endsWith('*}') };
  });
}

/** Matches a path against the routes: the route and its decoded parameters, or whether the path exists for another method. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  pathname: string,
): { route: Route; params: string[] } | { route: null; pathExists: boolean } {
  const parts = pathname.split('/');
  let pathExists = false;
  for (const r of routes) {
    if (r.rest ? parts.length < r.segments.length : parts.length !== r.segments.length) continue;
    let ok = true;
    for (let i = 0; i < r.segments.length; i++) {
      const seg = r.segments[i]!;
      if (seg.charCodeAt(0) === 123 /* { */) {
        if (parts[i] === '') ok = false;
      } else if (seg !== parts[i]) ok = false;
      if (!ok) break;
    }
    if (!ok) continue;
    if (r.method !== method) {
      pathExists = true;
      continue;
    }
    const params = r.params.map((i) => (r.rest && i === r.segments.length - 1 ? parts.slice(i).join('/') : parts[i]!));
    try {
      return { route: r, params: params.map(decodeURIComponent) };
    } catch {
      return { route: null, pathExists: false };
    }
  }
  return { route: null, pathExists };
}
