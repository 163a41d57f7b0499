/**
 * A caller of an OpenAI sandbox's own API, as any other client of the organization would call it:
 * the admin key (or `token`) as Bearer, and the organization in `OpenAI-Organization`.
 */
export function openAiApi(base: () => string, adminKey: string, org: string) {
  return async function openai(
    method: string,
    route: string,
    options: { body?: unknown; token?: string } = {},
    // Answers are asserted field by field; typing each one would add nothing.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base()}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? adminKey}`,
        'openai-organization': org,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
