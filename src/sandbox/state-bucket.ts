import { sandboxClientConfig } from './estate.js';

/** The sandbox's shared state bucket: versioned, as the README asks of a real one. */
export const SANDBOX_STATE_BUCKET = 'migrate-sandbox-state';
export const SANDBOX_STATE_PREFIX = 'cutover';

export async function seedStateBucket(endpoint: string, region: string): Promise<string> {
  const s3 = await import('../aws/sdk/s3.js');
  const client = new s3.S3Client({ ...sandboxClientConfig(endpoint, region), forcePathStyle: true });
  await client.send(
    new s3.CreateBucketCommand({ Bucket: SANDBOX_STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: region as never } }),
  );
  await client.send(new s3.PutBucketVersioningCommand({ Bucket: SANDBOX_STATE_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  client.destroy();
  return `s3://${SANDBOX_STATE_BUCKET}/${SANDBOX_STATE_PREFIX}`;
}
