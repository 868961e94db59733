/** "Route53 ThrottlingException (HTTP 400, request 1f2e...): Rate exceeded" from an SDK error. */
export function describeAwsError(error: unknown): string | undefined {
  if (!error || typeof error !== 'object' || !('$metadata' in error)) return undefined;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number } };
  const bits = [e.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : '', e.$metadata?.requestId ? `request ${e.$metadata.requestId}` : '', e.$metadata?.attempts ? `${e.$metadata.attempts} attempts` : '']
    .filter(Boolean)
    .join(', ');
  return `${e.name ?? 'AWS error'}${bits ? ` (${bits})` : ''}: ${e.message ?? ''}`.trim();
}
