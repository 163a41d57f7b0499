import { readUsageReport } from '../../app/read-usage-report.js';
import { renderUsageMarkdown } from '../../report/render-usage-markdown.js';
import type { ModeContext, ModeResult } from './mode.js';
import { invalidMessage, loadDesired, withSession } from './shared.js';

/**
 * On a schedule (weekly, say): the usage report, in Markdown with its Mermaid charts, to the job
 * summary, where a platform team already looks. Reads only; changes nothing.
 */
export async function usageMode(ctx: ModeContext): Promise<ModeResult> {
  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired)
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };
  const report = await withSession(ctx, (session) => readUsageReport({ session, desired, by: 'team' }));
  ctx.summary.push(renderUsageMarkdown(report));
  const line = `Usage report for ${report.org}: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}.`;
  ctx.logger.info(line);
  return { plan: null, hasChanges: false, line, failure: null };
}
