import type { CommentAuthor, MarkedComment } from './pull-request-comment.js';
import { rawStateLine, readCommentState, stateLine, stripStateLine, type CommentState } from './plan-comment.js';
import { bodyDigest, signatureMatches } from './plan-signature.js';

export type PlanCommentVerdict =
  { ok: true; state: CommentState; body: string } | { ok: false; reason: string; state: CommentState | null };

/**
 * Whether the plan comment apply found is the plan job's, unchanged: by the one trusted identity,
 * with a state line signed by the plan job's key for this pull request, and a body whose digest is
 * the signed one. Pure: the comments are read by the caller. Only a `planned` state is checked for a
 * signature; the others are never applied.
 */
export function verifyPlanComment(input: {
  mine: ReadonlyMap<number, MarkedComment>;
  others: readonly string[];
  author: CommentAuthor;
  key: string;
  pr: number;
}): PlanCommentVerdict {
  const { mine, author } = input;
  const first = mine.get(1);
  if (!first) {
    const forged =
      input.others.length > 0
        ? `; the marked comment${input.others.length === 1 ? '' : 's'} by ${input.others.map((l) => `@${l}`).join(', ')} ${input.others.length === 1 ? 'is' : 'are'} not the plan job's (it comments as @${author.login}) and ${input.others.length === 1 ? 'was' : 'were'} ignored`
        : '';
    return { ok: false, state: null, reason: `it has no plan comment by @${author.login}${forged}` };
  }
  const state = readCommentState(first.body);
  if (!state) return { ok: false, state: null, reason: `the comment by @${author.login} has no readable state line` };
  if (state.state !== 'planned') return { ok: true, state, body: first.body };
  if (state.sig === undefined || state.pr === undefined || state.parts === undefined || state.body_sha256 === undefined) {
    return {
      ok: false,
      state,
      reason:
        'the state line is not signed by the plan job (no signature: the plan job ran without `plan-signing-key`, or someone else wrote the line)',
    };
  }
  const fields = {
    state: state.state,
    fingerprint: state.fingerprint,
    head_sha: state.head_sha,
    pr: state.pr,
    parts: state.parts,
    body_sha256: state.body_sha256,
  };
  if (!signatureMatches(input.key, fields, state.sig)) {
    return {
      ok: false,
      state,
      reason:
        'the state line is not signed by the plan job (its signature does not verify with `plan-signing-key`: it was written or altered by someone without the key)',
    };
  }
  // The line itself, byte for byte: the signature covers its fields and the digest the rest of the
  // text, so a field added inside it (or a `-->` that ends the HTML comment early and shows the
  // editor's text to reviewers) would otherwise pass both.
  if (rawStateLine(first.body) !== stateLine({ ...fields, sig: state.sig })) {
    return {
      ok: false,
      state,
      reason:
        'the plan comment was edited after the plan job wrote it: its state line is not the line the plan job wrote (extra fields or text inside it)',
    };
  }
  if (state.pr !== input.pr)
    return { ok: false, state, reason: `the signed plan is for pull request #${state.pr}, not #${input.pr}: it was copied here` };
  const parts: string[] = [];
  for (let i = 1; i <= state.parts; i++) {
    const part = mine.get(i);
    if (!part)
      return {
        ok: false,
        state,
        reason: `the plan comment was edited after the plan job wrote it: part ${i} of ${state.parts} is missing`,
      };
    parts.push(part.body);
  }
  if ([...mine.keys()].some((k) => k > state.parts!))
    return {
      ok: false,
      state,
      reason: `the plan comment was edited after the plan job wrote it: it has more than the ${state.parts} parts the plan job signed`,
    };
  if (bodyDigest(parts, stripStateLine) !== state.body_sha256) {
    return {
      ok: false,
      state,
      reason:
        'the plan comment was edited after the plan job wrote it: its text is not the text the plan job signed, so what reviewers read may not be the plan',
    };
  }
  return { ok: true, state, body: first.body };
}
