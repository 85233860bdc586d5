/** What a person sees: plain text, coloured when the terminal supports it (picocolors honours NO_COLOR). */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { CanaryDescriptor } from '../lambda/shared/operator';
import type { CommandResult } from './operate';
import type { RolloutRecord } from './rollouts';
import type { CanaryStatus } from './status';

const v = (version: string | undefined) => (version === undefined ? '-' : /^\d+$/.test(version) ? `v${version}` : version);

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const m = Math.floor(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : m > 0 ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}

function outcome(o: string): string {
  if (o === 'promoted') return pc.green(o);
  if (o === 'in progress') return pc.cyan(o);
  return pc.red(o);
}

/** An operator command sent: what it does next. */
export function renderSent(command: string, r: CommandResult): string {
  return `${command} sent for ${r.canary} (${r.execution}) by ${r.by}: ${r.effect}`;
}

export function renderStatus(s: CanaryStatus): string {
  const lines: string[] = [];
  lines.push(pc.bold(`${s.canary}`) + pc.dim(` (stack ${s.stack}, ${s.target})`));
  // In the post-promotion watch the previous version keeps a control share for the judged guards.
  const control = s.rollout?.postPromotionWatch !== undefined && s.weights.canaryVersion === s.rollout.postPromotionWatch.previousVersion;
  const canary = s.weights.canaryVersion ? `, ${control ? 'control' : 'canary'} ${v(s.weights.canaryVersion)} ${s.weights.canaryPercent}%` : '';
  lines.push(`traffic:  stable ${v(s.weights.stableVersion)} ${Number((100 - s.weights.canaryPercent).toFixed(2))}%${canary}`);
  const r = s.rollout;
  if (!r) {
    lines.push('rollout:  none yet (the next deploy of a new version starts one)');
  } else {
    lines.push(`rollout:  ${r.execution}: ${outcome(r.outcome)} (${v(r.release?.stableVersion)} → ${v(r.release?.canaryVersion)}, started ${r.startedAt})`);
    if (r.step) lines.push(`step:     ${r.step.number} of ${r.step.of} at ${r.step.percent}%, ${duration(r.secondsInStep)} in step${r.secondsToNextStep !== undefined ? `, bake ends in ${duration(r.secondsToNextStep)}` : ''}`);
    if (r.postPromotionWatch) {
      const w = r.postPromotionWatch;
      lines.push(`watch:    promoted; the guards watch it until ${w.endsAt} (${duration(w.secondsLeft)} left): one firing, or \`cdk-model-canary abort ${s.canary}\`, sends traffic back to ${v(w.previousVersion)}`);
    }
    if (r.pausedBy) lines.push(pc.yellow(`paused:   ${r.reason?.replace(/^paused /, '') ?? `by ${r.pausedBy}`}; run \`cdk-model-canary resume ${s.canary}\` to go on`));
    if (r.approveCommand) lines.push(pc.yellow(`waiting:  for an approval: ${r.approveCommand}`));
    for (const b of r.blindGuards ?? []) lines.push(pc.yellow(`blind:    ${b.name} cannot judge the canary (${b.why}): the step does not pass until it can`));
    for (const g of r.suspectGuards ?? []) lines.push(pc.yellow(`suspect:  ${g.name} leans toward a regression (evidence 10^${g.log10Evidence}, rolls back at 10^${g.threshold}): the step bakes on until it fires or fades`));
    if (r.evidencePending?.length) lines.push(pc.yellow(`evidence: not yet enough to rule out a gross regression of ${r.evidencePending.join(', ')}`));
    if (r.reason && !r.pausedBy) lines.push(`why:      ${r.reason}`);
    if (r.cause && r.outcome !== 'in progress') lines.push(`cause:    ${r.cause}`);
    for (const p of r.pendingCommands) lines.push(pc.yellow(`pending:  ${p.command} by ${p.by} at ${p.at} (applies at the next check)`));
    for (const l of r.operatorLog) lines.push(`operator: ${l.command} by ${l.by} at ${l.at}`);
  }
  const table = new Table({ head: ['guard', 'state', 'value', 'threshold'], style: { head: [], border: [] } });
  for (const g of s.guards) {
    const state = g.firing ? pc.red(`${g.state} (fires)`) : g.state === 'OK' ? pc.green(g.state) : g.state;
    table.push([g.name, state, g.value ?? '-', g.threshold ?? '-']);
  }
  lines.push(table.toString());
  return lines.join('\n');
}

export function renderList(list: readonly CanaryDescriptor[]): string {
  if (list.length === 0) return 'no canaries in this account and region (a deployed canary writes /cdk-model-canary/<stack>/<canary>/config)';
  const table = new Table({ head: ['canary', 'stack', 'workflow'], style: { head: [], border: [] } });
  for (const d of list) table.push([d.canaryName, d.stackName, d.stateMachineArn.split(':').pop() ?? '']);
  return table.toString();
}

export function renderHistory(list: readonly RolloutRecord[]): string {
  if (list.length === 0) return 'no rollouts yet';
  const table = new Table({ head: ['started', 'release', 'outcome', 'cause'], style: { head: [], border: [] } });
  for (const r of list) table.push([r.startedAt, `${v(r.release?.stableVersion)} → ${v(r.release?.canaryVersion)}`, outcome(r.outcome), (r.cause ?? '').slice(0, 80)]);
  return table.toString();
}
