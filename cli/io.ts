/** Where a command writes: stdout and stderr, or a test's buffers. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}
