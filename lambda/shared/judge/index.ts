/** The judge: anytime-valid canary-vs-stable tests in the check step (see README.md here). */
export { readGuards, type Versions } from './read';
export { judgeGuards, type GuardVerdict } from './verdict';
export { publishEvidence } from './publish';
export { evidenceAlarmName, lookAt, type JudgeLook } from './run';
