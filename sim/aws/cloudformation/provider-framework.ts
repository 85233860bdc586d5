import type { LambdaErrorPayload } from '../lambda/lambda';
import type { CfnResource, CfnTemplate } from './template';

/**
 * How the CDK Provider framework (aws-cdk-lib custom-resources) waits on a custom resource with an
 * `isCompleteHandler`, read from the synthesized template: the onEvent function starts a waiter
 * state machine whose isComplete task retries every `IntervalSeconds`, `MaxAttempts` times, before
 * the timeout handler fails the resource ("Operation timed out"). Without an isCompleteHandler
 * there is no waiter and the resource completes with onEvent's answer.
 * (Read from node_modules/aws-cdk-lib/custom-resources/lib/provider-framework: runtime/framework.js,
 * waiter-state-machine.js; totalTimeout at most 1 hour:
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources.ProviderProps.html)
 */
export interface WaiterPolicy {
  readonly intervalSeconds: number;
  /** Retries after the first call, made right after onEvent. */
  readonly maxAttempts: number;
}

/** The waiter behind a custom resource's ServiceToken, if its provider has one. */
export function waiterPolicy(template: CfnTemplate, serviceToken: unknown): WaiterPolicy | undefined {
  const onEventId = getAttId(serviceToken);
  const onEvent = onEventId ? template.Resources[onEventId] : undefined;
  const vars = (onEvent?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
  const waiterId = (vars?.WAITER_STATE_MACHINE_ARN as { Ref?: string } | undefined)?.Ref;
  const waiter = waiterId ? template.Resources[waiterId] : undefined;
  if (!waiter) return undefined;
  // DefinitionString is an Fn::Join of literal JSON and references; the retry policy is literal.
  const text = JSON.stringify(waiter.Properties?.DefinitionString ?? '').replace(/\\"/g, '"');
  const interval = /"IntervalSeconds":(\d+)/.exec(text);
  const attempts = /"MaxAttempts":(\d+)/.exec(text);
  if (!interval || !attempts) throw new Error(`The provider's waiter state machine ${waiterId} has no retry policy the simulator can read`);
  return { intervalSeconds: Number(interval[1]), maxAttempts: Number(attempts[1]) };
}

/**
 * The event the framework gives isComplete: the CloudFormation request merged with every field of
 * onEvent's result (framework.js createResponseEvent). Of that, CloudFormation receives only
 * PhysicalResourceId, Data (onEvent's, merged with isComplete's) and NoEcho (cfn-response.js).
 */
export function isCompleteRequest(request: Record<string, unknown>, result: Record<string, unknown>): Record<string, unknown> {
  return { ...request, ...result, PhysicalResourceId: result.PhysicalResourceId ?? request.PhysicalResourceId ?? request.RequestId };
}

/**
 * Plays the waiter: isComplete right after onEvent, then every interval until it answers
 * IsComplete or the attempts run out. Returns why the resource failed, as CloudFormation reports
 * it (the function's error, the framework's own check, or the timeout), or undefined.
 */
export async function playWaiter(
  policy: WaiterPolicy,
  invoke: () => Promise<{ result?: unknown; error?: LambdaErrorPayload }>,
  advance: (ms: number) => Promise<void>,
): Promise<{ message: string; error?: LambdaErrorPayload } | undefined> {
  for (let attempt = 0; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 0) await advance(policy.intervalSeconds * 1000);
    const check = await invoke();
    if (check.error) return { message: `${check.error.errorType}: ${check.error.errorMessage}`, error: check.error };
    const answer = check.result as { IsComplete?: boolean; Data?: Record<string, unknown> } | null | undefined;
    if (answer?.IsComplete) return undefined;
    if (answer?.Data && Object.keys(answer.Data).length > 0) return { message: '"Data" is not allowed if "IsComplete" is "False"' };
  }
  return { message: 'Operation timed out' };
}

/** The framework's waiter state machine (its isComplete task has this state name). */
export function isProviderWaiter(resource: CfnResource): boolean {
  return JSON.stringify(resource.Properties?.DefinitionString ?? '').includes('framework-isComplete-task');
}

function getAttId(v: unknown): string | undefined {
  const att = (v as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(att) ? String(att[0]) : undefined;
}
