/**
 * scripts/lint-templates.ts resolves each state machine's Fn::Join DefinitionString to JSON before
 * cfn-lint sees it (cfn-lint skips a joined definition). CI runs the lint itself
 * (`npm run lint:templates`, ~1 min); this checks the resolution in `npm test`.
 */
import { IGNORED, resolveDefinitions } from '../../scripts/lint-templates';
import { synthCanary } from '../lib/support';

test('every joined definition becomes JSON, references become ARNs of the right kind, nothing else changes', () => {
  const { json } = synthCanary();
  const template = json as unknown as Parameters<typeof resolveDefinitions>[0];
  const before = JSON.stringify(template);
  const { template: resolved, resolved: count } = resolveDefinitions(template);
  expect(JSON.stringify(template)).toBe(before); // a copy: the input is untouched
  const machines = Object.entries(resolved.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines.length).toBeGreaterThanOrEqual(2); // the workflow and the provider's waiter
  expect(count).toBe(machines.length);
  for (const [, machine] of machines) {
    const text = machine.Properties!.DefinitionString as string;
    expect(typeof text).toBe('string');
    expect(text).not.toContain('Fn::');
    const definition = JSON.parse(text);
    expect(definition.States[definition.StartAt]).toBeDefined();
  }
  const workflow = JSON.parse(machines.map(([, m]) => m.Properties!.DefinitionString as string).find((d) => d.includes('"Check":'))!);
  const tasks = Object.values(definition(workflow)).filter((s) => s.Type === 'Task');
  expect(tasks.length).toBeGreaterThan(3);
  for (const task of tasks) {
    const fn = (task.Parameters as Record<string, unknown> | undefined)?.FunctionName ?? task.Resource;
    expect(fn).toMatch(/^arn:aws:(lambda:us-east-1:123456789012:function:\w+|states:::[\w:.]+)$/);
  }
  // Everything but the definitions is as synthesized.
  for (const [id, r] of Object.entries(resolved.Resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') expect(r).toEqual(template.Resources[id]);
  }
});

test('a reference with no placeholder is an error, not a silently skipped definition', () => {
  const template = {
    Resources: {
      M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"', { 'Fn::Sub': 'x' }, '"}']] } } },
    },
  };
  expect(() => resolveDefinitions(template)).toThrow(/has no placeholder/);
});

test('each ignored rule says why', () => {
  expect(Object.keys(IGNORED).sort()).toEqual(['I1022', 'W3005']);
  for (const why of Object.values(IGNORED)) expect(why.length).toBeGreaterThan(30);
});

/** Every state of a definition, nested ones (Parallel, Map) included. */
function definition(d: { States: Record<string, Record<string, unknown>> }): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries(d.States)) {
    out[name] = state;
    for (const branch of (state.Branches as (typeof d)[] | undefined) ?? []) Object.assign(out, definition(branch));
    const iterator = (state.ItemProcessor ?? state.Iterator) as typeof d | undefined;
    if (iterator) Object.assign(out, definition(iterator));
  }
  return out;
}
