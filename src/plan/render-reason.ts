/**
 * The words for a change's `reason` and `context`. The plan stores enums and numbers only, so
 * rewording here never moves a fingerprint (as Terraform words its `ActionReason` in the renderer).
 */
import type { Change, ChangeContext, ChangeReason, PendingStep, ReviewReason, RotationStep } from './types.js';

const REASON_WORDS: Record<ChangeReason, string> = {
  new: 'new in the policies',
  differs: 'to match the policies',
  removed: 'removed from the policies',
  unmanaged: 'in no policy (unmanaged: delete)',
  same_name: 'adopted: unmanaged key with this name',
  surplus: 'surplus key',
  retired: 'retired: an older generation, quiet',
};

/** Why a change is in the plan, in words. */
export function reasonText(change: Change): string {
  if (change.reason === 'unmanaged' && change.resource === 'project') return 'in no policy (unmanaged: archive)';
  if (change.reason === 'surplus' && (change.resource === 'spend_alert' || change.resource === 'project_spend_alert'))
    return 'surplus alert at this threshold';
  return REASON_WORDS[change.reason];
}

/** `3 keys, last used 2026-11-20`; empty when the planner gave no context. */
export function contextText(context: ChangeContext | undefined): string {
  if (!context) return '';
  const parts: string[] = [];
  if (context.key_count !== undefined) parts.push(`${context.key_count} key${context.key_count === 1 ? '' : 's'}`);
  if (context.last_used_at !== undefined)
    parts.push(context.last_used_at === null ? 'never used' : `last used ${formatDate(context.last_used_at)}`);
  if (context.changed_by) parts.push(`the organization's value set by ${context.changed_by.actor} on ${formatDate(context.changed_by.at)}`);
  return parts.join(', ');
}

/**
 * The comment after a change's title: the reason (left out for a plain `new` create, which the `+`
 * already says) and, for archives and deletes, what is at stake.
 */
export function changeNote(change: Change): string {
  const step = change.resource === 'api_key' ? change.rotation : undefined;
  // A rotation's cause says more than its reason.
  const reason = step && change.action === 'rotate' ? causeText(step) : change.reason === 'new' ? '' : reasonText(change);
  const context = contextText(change.context);
  if (change.action === 'archive') return [`will be archived, which is final: ${context || 'no keys'}`, reason].filter(Boolean).join('; ');
  const after = step?.after_rotation ? "once this run's new generation is delivered" : '';
  const review = step?.needs_review && change.action !== 'delete' ? `only a reviewed apply makes it: ${reviewText(step.needs_review)}` : '';
  const made =
    change.resource === 'project_rate_limit' && change.rate_limit_id === null
      ? 'set after the project is created (its rate limits come with it)'
      : '';
  return [reason, after, review, made, context].filter(Boolean).join('; ');
}

const REVIEW_WORDS: Record<ReviewReason, string> = {
  targets_changed: 'its delivery targets differ from those a reviewed apply recorded',
  targets_unrecorded: 'no reviewed apply has recorded its delivery targets yet',
};

/** Why an unreviewed run (reconcile, `apply --rotations-only`) leaves a new generation for a reviewed apply. */
export function reviewText(reason: ReviewReason): string {
  return REVIEW_WORDS[reason];
}

/** Why a generation is made or retired. */
export function causeText(step: RotationStep): string {
  switch (step.cause) {
    case 'first':
      return 'first generation';
    case 'age':
      return 'due by age';
    case 'trigger':
      return step.trigger ? `trigger changed to ${JSON.stringify(step.trigger)}` : 'trigger removed';
    case 'targets':
      return 'delivery targets changed';
    case 'interrupted':
      return 'an earlier rotation was interrupted';
    case 'retire':
      return 'retired once quiet';
  }
}

/** What a waiting rotation step waits for, and how long is left. */
export function pendingText(p: PendingStep): string {
  const left = p.seconds_left === null ? '' : ` (${formatDuration(p.seconds_left)} left)`;
  if (p.waiting_for === 'spend_limit')
    return `retire g${p.generation}: waits while the spend limit refuses traffic (refused calls leave no usage, so quiet cannot be seen); ${p.last_used_at === null ? 'never used' : `last used ${formatDate(p.last_used_at)}`}`;
  if (p.waiting_for === 'review') return `g${p.generation} waits for a reviewed apply: ${reviewText(p.needs_review ?? 'targets_changed')}`;
  if (p.waiting_for === 'in_progress')
    return `g${p.generation} is being delivered by another run; nothing starts until it is marked delivered, or is taken as interrupted${left}`;
  const wait =
    p.waiting_for === 'overlap'
      ? `waits for min_overlap after its replacement was delivered${left}`
      : p.waiting_for === 'quiet'
        ? `waits for its quiet period${left}`
        : 'waits for usage data';
  return `retire g${p.generation}: ${wait}; ${p.last_used_at === null ? 'never used' : `last used ${formatDate(p.last_used_at)}`}`;
}

/** `2d 3h`, `21h`, `45m`, `30s`: the two largest units. */
export function formatDuration(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.ceil(seconds));
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ') || '0s';
}

/** Unix seconds as an ISO date (UTC); `never` for null. */
export function formatDate(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString().slice(0, 10);
}
