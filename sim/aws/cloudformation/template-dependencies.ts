/**
 * CloudFormation refuses a template whose resources depend on each other in a circle (through
 * Ref, Fn::GetAtt, Fn::Sub or DependsOn): "Circular dependency between resources"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-dependency-error).
 * The simulator refuses it too, before any deploy.
 */
import type { CfnTemplate } from './template';

export class CircularDependencyError extends Error {
  public readonly name = 'CircularDependencyError';
}

/** The resources each resource depends on. */
export function dependenciesOf(template: CfnTemplate): Map<string, Set<string>> {
  const ids = new Set(Object.keys(template.Resources));
  const out = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const deps = new Set<string>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.Ref === 'string' && ids.has(o.Ref)) deps.add(o.Ref);
        const getAtt = o['Fn::GetAtt'];
        if (Array.isArray(getAtt) && ids.has(String(getAtt[0]))) deps.add(String(getAtt[0]));
        if (typeof getAtt === 'string' && ids.has(getAtt.split('.')[0])) deps.add(getAtt.split('.')[0]);
        const sub = o['Fn::Sub'];
        const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? String(sub[0]) : undefined;
        for (const m of text?.matchAll(/\$\{([^}!.]+)[^}]*\}/g) ?? []) if (ids.has(m[1])) deps.add(m[1]);
        Object.values(o).forEach(visit);
      }
    };
    visit((resource as { Properties?: unknown }).Properties);
    for (const d of [(resource as { DependsOn?: string | string[] }).DependsOn ?? []].flat()) if (ids.has(d)) deps.add(d);
    deps.delete(id);
    out.set(id, deps);
  }
  return out;
}

/** Throws, naming one circle, when the template has one. */
export function assertNoCircularDependency(template: CfnTemplate): void {
  const deps = dependenciesOf(template);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const walk = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (state.get(d) === 'visiting') {
        const circle = [...stack.slice(stack.indexOf(d)), d];
        throw new CircularDependencyError(`Circular dependency between resources: [${circle.join(' -> ')}]`);
      }
      if (!state.has(d)) walk(d);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of deps.keys()) if (!state.has(id)) walk(id);
}
