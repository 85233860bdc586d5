// Checks the consumer app's synthesized template: every way a user wires the canary's alias must
// produce the permission, mapping, grant or metric AWS needs. Collects every failure, then exits 1.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Template } = require('aws-cdk-lib/assertions');

const ALIAS = 'live';
const outdir = process.argv[2] ?? 'cdk.out';
const json = JSON.parse(fs.readFileSync(path.join(outdir, 'ConsumerStack.template.json'), 'utf8'));
const template = Template.fromJSON(json);
const resources = json.Resources;

// Evaluates CloudFormation intrinsics to comparable strings. Deploy-time values become stable
// placeholders (no ':' in them, so Fn::Split on an ARN still works).
function ev(v) {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(ev);
  if (!v || typeof v !== 'object') return `?${JSON.stringify(v)}`;
  const [k] = Object.keys(v);
  const a = v[k];
  switch (k) {
    case 'Ref': return ref(a);
    case 'Fn::GetAtt': return getAtt(...(typeof a === 'string' ? a.split('.') : a));
    case 'Fn::Join': return list(a[1]).join(a[0]);
    case 'Fn::Select': return list(a[1])[Number(ev(a[0]))];
    case 'Fn::Split': return ev(a[1]).split(a[0]);
    case 'Fn::Sub': return (typeof a === 'string' ? a : a[0]).replace(/\$\{([^}]+)\}/g, (_, n) => (n.includes('.') ? getAtt(...n.split('.')) : ref(n)));
    default: return `?${k}`;
  }
}
const list = (x) => { const r = ev(x); return Array.isArray(r) ? r : [r]; };
const PSEUDO = { 'AWS::Region': 'REGION', 'AWS::AccountId': 'ACCOUNT', 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
const fnArnOf = (name) => (name.startsWith('arn:') ? name : `arn:aws:lambda:REGION:ACCOUNT:function:${name}`);
function ref(id) {
  if (PSEUDO[id]) return PSEUDO[id];
  const r = resources[id];
  if (!r) return `REF(${id})`;
  if (r.Type === 'AWS::Lambda::Function') return r.Properties?.FunctionName ? ev(r.Properties.FunctionName) : `fn-${id}`;
  if (r.Type === 'AWS::Lambda::Alias') return `${fnArnOf(ev(r.Properties.FunctionName))}:${ev(r.Properties.Name)}`;
  if (r.Type === 'AWS::Lambda::Version') return `${fnArnOf(ev(r.Properties.FunctionName))}:VERSION-${id}`;
  return `REF(${id})`;
}
function getAtt(id, attr) {
  const r = resources[id];
  if (r?.Type === 'AWS::Lambda::Function' && attr === 'Arn') return fnArnOf(ref(id));
  if (r?.Type === 'AWS::Lambda::Version' && attr === 'Version') return `VERSION-${id}`;
  // The library's release resource answers with the alias it manages (its Target property).
  if (r?.Type === 'Custom::ModelCanaryRelease' && r.Properties?.Target?.aliasName !== undefined) {
    const target = r.Properties.Target;
    if (attr === 'TargetName' || attr === 'AliasName') return ev(target.aliasName);
    if (attr === 'AliasArn' || attr === 'TargetArn') return `${fnArnOf(ev(target.functionName))}:${ev(target.aliasName)}`;
  }
  return `GETATT(${id}.${attr})`;
}

const outputs = Object.fromEntries(Object.entries(json.Outputs ?? {}).map(([k, o]) => [k, ev(o.Value)]));
const fnName = outputs.FunctionName;
const fnArn = outputs.FunctionArn;
const aliasArn = outputs.AliasArn;
const expectedAliasArn = `${fnArn}:${ALIAS}`;

const failures = [];
const passes = [];
function check(ok, what, detail) {
  (ok ? passes : failures).push(ok ? what : `${what}\n      ${detail}`);
}
const show = (o) => JSON.stringify(o);
const props = (type) => Object.entries(template.findResources(type)).map(([id, r]) => ({ id, p: r.Properties ?? {} }));

check(aliasArn === expectedAliasArn, `canary.alias.functionArn is <function ARN>:${ALIAS}`, `got ${aliasArn}, want ${expectedAliasArn}`);
// Lambda accepts the alias as its ARN or as "name:alias" wherever it takes a FunctionName.
const isAlias = (value) => [expectedAliasArn, `${fnName}:${ALIAS}`].includes(ev(value));

const permissions = props('AWS::Lambda::Permission').map(({ id, p }) => ({ id, p, fn: ev(p.FunctionName) }));
const permissionsSeen = `permissions in the template: ${show(permissions.map(({ p, fn }) => ({ Action: p.Action, Principal: p.Principal, FunctionName: fn, FunctionUrlAuthType: p.FunctionUrlAuthType })))}`;
function permission(what, match) {
  check(permissions.some(({ p }) => match(p) && isAlias(p.FunctionName)), what, `no such AWS::Lambda::Permission on ${expectedAliasArn}; ${permissionsSeen}`);
}
permission('API Gateway (LambdaRestApi, LambdaIntegration) may invoke the alias: lambda:InvokeFunction for apigateway.amazonaws.com',
  (p) => p.Action === 'lambda:InvokeFunction' && p.Principal === 'apigateway.amazonaws.com');
check(
  permissions.filter(({ p }) => p.Principal === 'apigateway.amazonaws.com' && isAlias(p.FunctionName)).length >= 3,
  'every API Gateway method has its permission (proxy ANY x2, POST /predict x2: at least 3 on the alias)',
  `found ${permissions.filter(({ p }) => p.Principal === 'apigateway.amazonaws.com' && isAlias(p.FunctionName)).length}`,
);
permission('the public function URL may be called: lambda:InvokeFunctionUrl for * with FunctionUrlAuthType NONE',
  (p) => p.Action === 'lambda:InvokeFunctionUrl' && p.Principal === '*' && p.FunctionUrlAuthType === 'NONE');
// Since October 2025 a new function URL also needs lambda:InvokeFunction, scoped to URL calls:
// https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
permission('the public function URL may invoke: lambda:InvokeFunction for * with InvokedViaFunctionUrl true',
  (p) => p.Action === 'lambda:InvokeFunction' && p.Principal === '*' && p.InvokedViaFunctionUrl === true);
permission('EventBridge may invoke the alias: lambda:InvokeFunction for events.amazonaws.com',
  (p) => p.Action === 'lambda:InvokeFunction' && p.Principal === 'events.amazonaws.com');

// Guard values from the package: the judged guard's evidence alarm, and the judge plan in the workflow.
const evidence = props('AWS::CloudWatch::Alarm').filter(({ p }) => p.Namespace === 'ModelCanary/Judge');
const evidenceGuards = evidence.map(({ p }) => (p.Dimensions ?? []).find((d) => d.Name === 'Guard')?.Value);
check(evidenceGuards.includes('TokensPerRequestVsStable') && evidenceGuards.includes('ErrorRateVsStable'), 'judged guards (defaults and addGuard) have evidence alarms on ModelCanary/Judge', `evidence alarms for: ${show(evidenceGuards)}`);
const definitions = props('AWS::StepFunctions::StateMachine').map(({ p }) => JSON.stringify(p.DefinitionString ?? p.Definition ?? ''));
check(definitions.some((d) => d.includes('TokensPerRequestVsStable') && d.includes('judge')), 'the workflow plan carries the judged guard added with addGuard', `${definitions.length} state machines`);

const urls = props('AWS::Lambda::Url').map(({ p }) => ({ AuthType: p.AuthType, Target: ev(p.TargetFunctionArn), Qualifier: p.Qualifier && ev(p.Qualifier) }));
const urlOnAlias = (u, arn) => u.Target === arn || (`${u.Target}:${u.Qualifier}` === arn);
check(urls.some((u) => u.AuthType === 'NONE' && urlOnAlias(u, expectedAliasArn)), 'a NONE-auth AWS::Lambda::Url serves the alias', `urls: ${show(urls)}`);
check(urls.some((u) => u.AuthType === 'AWS_IAM' && urlOnAlias(u, outputs.InternalAliasArn)), 'an AWS_IAM AWS::Lambda::Url serves the second canary\'s alias', `urls: ${show(urls)}; alias ${outputs.InternalAliasArn}`);

const mappings = props('AWS::Lambda::EventSourceMapping').map(({ p }) => ev(p.FunctionName));
check(mappings.some((m) => isAlias(m)), 'the SQS event source maps to the alias (AWS::Lambda::EventSourceMapping FunctionName)', `mappings' FunctionName: ${show(mappings)}`);

// IAM: the policies attached to the Invoker role.
const invokerId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('Invoker'));
const statements = props('AWS::IAM::Policy')
  .filter(({ p }) => (p.Roles ?? []).some((r) => r.Ref === invokerId))
  .flatMap(({ p }) => p.PolicyDocument.Statement)
  .map((s) => ({ actions: [].concat(s.Action), resources: [].concat(s.Resource).map(ev) }));
const grants = (action, arn) => statements.some((s) => s.actions.includes(action) && s.resources.includes(arn));
check(grants('lambda:InvokeFunction', expectedAliasArn), 'grantInvoke gives the role lambda:InvokeFunction on the alias ARN', `role statements: ${show(statements)}`);
check(
  grants('lambda:InvokeFunctionUrl', outputs.InternalAliasArn) && grants('lambda:InvokeFunction', outputs.InternalAliasArn),
  'grantInvokeUrl gives the role lambda:InvokeFunctionUrl and lambda:InvokeFunction on the second alias ARN',
  `role statements: ${show(statements)}`,
);

// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html (dimensions: FunctionName, Resource, ExecutedVersion)
// Per alias: FunctionName = the function's name, Resource = "<function name>:<alias>".
const alarms = props('AWS::CloudWatch::Alarm').filter(({ id }) => id.startsWith('AliasErrors'));
const dims = alarms.map(({ p }) => Object.fromEntries((p.Dimensions ?? []).map((d) => [d.Name, ev(d.Value)])));
check(
  dims.length === 1 && show(dims[0]) === show({ FunctionName: fnName, Resource: `${fnName}:${ALIAS}` }) && alarms[0].p.Namespace === 'AWS/Lambda' && alarms[0].p.MetricName === 'Errors',
  `the alarm on alias.metricErrors() has exactly the dimensions AWS publishes: FunctionName=${fnName}, Resource=${fnName}:${ALIAS}`,
  `alarm dimensions: ${show(dims)}`,
);

for (const p of passes) console.log(`  ok   ${p}`);
for (const f of failures) console.log(`  FAIL ${f}`);
if (failures.length) {
  console.log(`\nconsumer template: ${failures.length} of ${failures.length + passes.length} checks failed (alias ARN in the template: ${aliasArn})`);
  process.exit(1);
}
console.log(`\nconsumer template: all ${passes.length} checks passed`);
