/** The name of the error `f` throws (an AWS error's code), or undefined when it returns. */
export function errorName(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as Error).name;
  }
  return undefined;
}
