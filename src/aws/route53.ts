import type { ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';

/**
 * Route 53 helpers shared by the steps (src/steps/support/route53.ts) and the sandbox's seeder and
 * snapshot (src/sandbox/estate.ts), so both read names and listings the same way.
 */

/** A name as Route 53 keys it: lower case, one trailing dot, its octal escapes (\052 for *) decoded. */
export function fqdn(name: string): string {
  const decoded = name.trim().replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const lower = decoded.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** A name or record value for comparison: no case, no trailing dot, no TXT quotes. */
export function dnsKey(value: string): string {
  return value
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
}

/**
 * Every record set at exactly this name, whatever its type or set identifier, following
 * ListResourceRecordSets' paging (name, type and identifier).
 */
export async function listRecordSetsAt(client: Route53Client, zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  const { ListResourceRecordSetsCommand } = await import('./sdk/route53.js');
  const want = fqdn(name);
  const found: ResourceRecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {
    StartRecordName: want,
  };
  for (;;) {
    const page = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 100, ...start }));
    found.push(...(page.ResourceRecordSets ?? []).filter((r) => fqdn(r.Name ?? '') === want));
    // Record sets come sorted by name: once the next page starts past this name, there are no more of it.
    if (!page.IsTruncated || !page.NextRecordName || fqdn(page.NextRecordName) !== want) return found;
    start = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      ...(page.NextRecordIdentifier ? { StartRecordIdentifier: page.NextRecordIdentifier } : {}),
    };
  }
}
