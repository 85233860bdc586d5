import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Callers wired to the model function or one of its versions instead of the canary's alias: their
 * requests never see the traffic split, so the canary is judged on traffic that never comes and
 * those callers keep the version they name after every release. Found at synth (after references
 * across stacks are settled) by resolving the L1 properties that name a function in each caller
 * kind: API Gateway REST methods and HTTP API integrations, function URLs, event source mappings
 * and EventBridge rule targets. A warning, since a direct caller may be deliberate (a test route).
 */
export function warnOnAliasBypass(canary: IConstruct, fn: lambda.Function): void {
  canary.node.addValidation({
    validate: () => {
      const callers = bypassingCallers(canary, fn);
      if (callers.length > 0) {
        Annotations.of(canary).addWarningV2('cdk-model-canary:aliasBypassed', message(canary, fn, callers));
      }
      return [];
    },
  });
}

export interface BypassingCaller {
  /** The caller's construct path (the L2 that owns the resource, when there is one). */
  readonly path: string;
  readonly kind: 'REST API method' | 'HTTP API integration' | 'function URL' | 'event source mapping' | 'EventBridge rule target';
  /** What it invokes: "the function itself", "a version", "$LATEST". */
  readonly invokes: string;
}

/** Every caller in the app that names `fn` unqualified, one of its versions, or $LATEST. */
export function bypassingCallers(canary: IConstruct, fn: lambda.Function): BypassingCaller[] {
  const all = fn.node.root.node.findAll();
  const versions = all.filter((c): c is lambda.CfnVersion => c instanceof lambda.CfnVersion && c.functionName === fn.functionName);
  const callers: BypassingCaller[] = [];
  for (const c of all) {
    if (c.node.path.startsWith(`${canary.node.path}/`)) continue;
    for (const [kind, value] of namedFunctions(c)) {
      const invokes = bypass(flatten(Stack.of(c), value, fn, versions));
      if (invokes) callers.push({ path: ownerPath(c), kind, invokes });
    }
  }
  return callers.filter((x, i) => callers.findIndex((y) => y.path === x.path && y.invokes === x.invokes) === i);
}

/**
 * The values in which each caller kind names the function it invokes. By resource type, so the
 * construct library does not load the API Gateway modules for an app that has no API.
 */
function namedFunctions(c: IConstruct): [BypassingCaller['kind'], unknown][] {
  if (!CfnResource.isCfnResource(c)) return [];
  switch (c.cfnResourceType) {
    case 'AWS::ApiGateway::Method':
      return [['REST API method', resolvedField(c, (c as apigateway.CfnMethod).integration, 'uri')]];
    case 'AWS::ApiGatewayV2::Integration':
      return [['HTTP API integration', (c as apigatewayv2.CfnIntegration).integrationUri]];
    case 'AWS::Lambda::Url': {
      const url = c as lambda.CfnUrl;
      return [['function URL', url.qualifier === undefined ? url.targetFunctionArn : { 'Fn::Join': [':', [url.targetFunctionArn, url.qualifier]] }]];
    }
    case 'AWS::Lambda::EventSourceMapping':
      return [['event source mapping', (c as lambda.CfnEventSourceMapping).functionName]];
    case 'AWS::Events::Rule': {
      const targets = Stack.of(c).resolve((c as events.CfnRule).targets) as { arn?: unknown }[] | undefined;
      return (Array.isArray(targets) ? targets : []).map((t) => ['EventBridge rule target', t?.arn]);
    }
    default:
      return [];
  }
}

function resolvedField(c: IConstruct, struct: unknown, field: string): unknown {
  const resolved = Stack.of(c).resolve(struct) as Record<string, unknown> | undefined;
  return resolved && typeof resolved === 'object' ? resolved[field] : undefined;
}

const FN = '\u0000fn\u0000';
const VERSION = '\u0000version\u0000';
const VERSION_NUMBER = '\u0000number\u0000';

/**
 * A resolved value as text, with the function (its ARN or name) and its versions (ARN, number)
 * as markers; Fn::Join is joined, any other intrinsic is opaque. Compared in the caller's stack, so
 * a reference across stacks (Fn::ImportValue there) is recognised too.
 */
function flatten(stack: Stack, value: unknown, fn: lambda.Function, versions: lambda.CfnVersion[]): string {
  const r = (v: unknown) => JSON.stringify(stack.resolve(v));
  const markers = new Map<string, string>([
    [r(fn.functionArn), FN],
    [r(fn.functionName), FN],
    ...versions.flatMap((v): [string, string][] => [[r(v.ref), VERSION], [r(v.attrVersion), VERSION_NUMBER]]),
  ]);
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const marker = markers.get(JSON.stringify(v));
    if (marker) return marker;
    const join = (v as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(walk).join(join[0]);
    return '\u0000?\u0000';
  };
  return walk(stack.resolve(value));
}

/** What a flattened value invokes when it is not an alias: the function unqualified, a version, $LATEST. */
function bypass(text: string): string | undefined {
  if (text.includes(VERSION) || text.includes(`${FN}:${VERSION_NUMBER}`)) return 'a version of the model function';
  if (text.includes(`${FN}:$LATEST`)) return "the model function's $LATEST";
  if (new RegExp(`${FN}(?!:)`).test(text)) return 'the model function itself';
  return undefined;
}

function ownerPath(c: IConstruct): string {
  const scope = c.node.scope;
  return scope && scope.node.defaultChild === c ? scope.node.path : c.node.path;
}

const FIX: Record<BypassingCaller['kind'], string> = {
  'REST API method': "new apigateway.LambdaRestApi(this, 'Api', { handler: canary.alias }) or new apigateway.LambdaIntegration(canary.alias)",
  'HTTP API integration': "new HttpLambdaIntegration('Model', canary.alias)",
  'function URL': 'canary.alias.addFunctionUrl()',
  'event source mapping': 'canary.alias.addEventSource(source)',
  'EventBridge rule target': 'new targets.LambdaFunction(canary.alias)',
};

function message(canary: IConstruct, fn: lambda.Function, callers: BypassingCaller[]): string {
  const shown = callers.slice(0, 5).map((c) => `${c.path} (${c.kind}) invokes ${c.invokes}`);
  const more = callers.length > shown.length ? `; and ${callers.length - shown.length} more` : '';
  const fixes = [...new Set(callers.map((c) => FIX[c.kind]))].join('; ');
  return (
    `${shown.join('; ')}${more}, not the alias of the canary ${canary.node.path}: those requests bypass the rollout ` +
    `(the canary's guards never see them, and they stay on the version named after every release of ${fn.node.path}). ` +
    `Give them canary.alias instead: ${fixes}.`
  );
}
