/** Warnings given in this process, by code: each once, as Powertools warns once per cold start. Internal (not re-exported by index.ts). */
const warned = new Set<string>();

export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'ModelCanaryWarning', code });
}
