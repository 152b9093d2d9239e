/**
 * The SDK wraps repeated failures in (nested) AggregateErrors; tests care about the codes inside.
 */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    const { code, errors } = value as { code?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (Array.isArray(errors)) errors.forEach(visit);
  };
  visit(error);
  return codes;
}

/** Runs `action`, expecting it to fail; returns the SDK error codes it failed with. */
export async function failureCodes(action: () => Promise<unknown>): Promise<string[]> {
  try {
    await action();
  } catch (error) {
    return errorCodes(error);
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
