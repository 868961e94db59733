import { RunbookError } from '../errors.js';
import { profileOf } from './config.js';
import { credentialsError } from './errors.js';
import { guardReadOnly } from './clients.js';

/**
 * One object read from S3, read-only (the dry-run guard is on the client): a terraform state. The
 * bucket may be in another region than the environment; the SDK follows the redirect.
 */
export async function readS3Object(url: string, options: { region: string; profile?: string | undefined }): Promise<string> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match)
    throw new RunbookError('RUNBOOK_INVALID', `"${url}" is not an S3 URL`, { hint: 'Write it as s3://bucket/path/to/terraform.tfstate' });
  const { S3Client, GetObjectCommand } = await import('./sdk/s3.js');
  const client = new S3Client({
    region: options.region,
    followRegionRedirects: true,
    ...(options.profile ? { profile: options.profile } : {}),
  });
  guardReadOnly(client);
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw credentialsError(error, profileOf({ profile: options.profile })) ?? error;
  } finally {
    client.destroy();
  }
}
