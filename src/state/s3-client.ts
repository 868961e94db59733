import { RunbookError, messageOf } from '../errors.js';
import type { S3Location } from './s3-location.js';

/**
 * The few S3 calls the shared backend makes, each answering in the backend's own terms: an
 * object and its ETag, "precondition failed", or a RunbookError naming bucket and key. The SDK
 * retries network failures and throttling itself; whatever it gives up on is an error here, never
 * a write reported as done.
 */
export interface S3Object {
  text: string;
  etag: string;
}

export type PutCondition = { ifMatch: string } | { ifNoneMatch: '*' } | undefined;

export interface S3Io {
  readonly location: S3Location;
  /** `s3://bucket/key`, for messages. */
  url(key: string): string;
  get(key: string): Promise<S3Object | null>;
  /** The new ETag, or 'conflict' when the condition did not hold (412, or S3's 409 on a concurrent conditional write). */
  put(key: string, text: string, condition?: PutCondition): Promise<string | 'conflict'>;
  /** true when deleted (or already gone), 'conflict' when If-Match did not hold. */
  delete(key: string, ifMatch?: string): Promise<true | 'conflict'>;
  /** Keys under a prefix, in S3's (lexicographic) order. */
  list(prefix: string): Promise<string[]>;
  versioning(): Promise<'Enabled' | 'Suspended' | 'Off' | 'unknown'>;
}

type S3Module = typeof import('../aws/sdk/s3.js');

let loaded: Promise<S3Module> | undefined;
const s3Module = (): Promise<S3Module> => (loaded ??= import('../aws/sdk/s3.js'));

/** A custom endpoint (the sandbox, LocalStack) on loopback has no per-bucket DNS names. */
function forcePathStyle(): boolean {
  return !!(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  return (error as { name?: string; Code?: string }).name ?? (error as { Code?: string }).Code ?? '';
}

export function createS3Io(location: S3Location, fallbackRegion: string, profile?: string): S3Io {
  let client: Promise<InstanceType<S3Module['S3Client']>> | undefined;
  const region = location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? fallbackRegion;
  const s3 = () =>
    (client ??= s3Module().then(
      (m) =>
        new m.S3Client({
          region,
          // The operator's AWS profile (--profile, or the environment's profile:) reaches the state bucket too.
          ...(profile ? { profile } : {}),
          forcePathStyle: forcePathStyle(),
          retryMode: 'adaptive',
          maxAttempts: Number(process.env.MIGRATE_AWS_MAX_ATTEMPTS ?? 10),
        }),
    ));
  const url = (key: string) => `s3://${location.bucket}/${key}`;
  const fail = (action: string, key: string, error: unknown): RunbookError => {
    if (error instanceof RunbookError) return error;
    const name = nameOf(error);
    const status = statusOf(error);
    const denied = name === 'AccessDenied' || status === 403;
    return new RunbookError('AWS_ERROR', `could not ${action} ${url(key)}: ${name ? `${name}: ` : ''}${messageOf(error)}`, {
      hint: denied
        ? `Your credentials need s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the state bucket${location.kmsKeyId ? ', and kms:Encrypt/kms:Decrypt/kms:GenerateDataKey on its key' : ''} (see README, "Team state in S3").`
        : name === 'NoSuchBucket'
          ? `Create the bucket first (see README, "Team state in S3"), or fix --state / MIGRATE_STATE.`
          : 'Nothing is reported done that S3 did not confirm; run the command again once S3 answers.',
      cause: error,
    });
  };
  const encryption = () =>
    location.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: location.kmsKeyId }
      : { ServerSideEncryption: 'AES256' as const };

  return {
    location,
    url,
    async get(key) {
      const m = await s3Module();
      try {
        const out = await (await s3()).send(new m.GetObjectCommand({ Bucket: location.bucket, Key: key }));
        const text = (await out.Body?.transformToString('utf8')) ?? '';
        return { text, etag: out.ETag ?? '' };
      } catch (error) {
        if (nameOf(error) === 'NoSuchKey' || (statusOf(error) === 404 && nameOf(error) !== 'NoSuchBucket')) return null;
        throw fail('read', key, error);
      }
    },
    async put(key, text, condition) {
      const m = await s3Module();
      const input = {
        Bucket: location.bucket,
        Key: key,
        Body: text,
        ContentType: 'application/json',
        ...encryption(),
        ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
        ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
      };
      try {
        const out = await (await s3()).send(new m.PutObjectCommand(input));
        if (!out.ETag) throw new Error('S3 answered without an ETag, so the write cannot be confirmed');
        return out.ETag;
      } catch (error) {
        const status = statusOf(error);
        // 404 under If-Match: the object we last read is gone, which is a conflict too.
        if (
          condition &&
          (status === 412 || status === 409 || (status === 404 && 'ifMatch' in condition && nameOf(error) !== 'NoSuchBucket'))
        )
          return 'conflict';
        throw fail('write', key, error);
      }
    },
    async delete(key, ifMatch) {
      const m = await s3Module();
      try {
        await (await s3()).send(new m.DeleteObjectCommand({ Bucket: location.bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }));
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (ifMatch && (status === 412 || status === 409)) return 'conflict';
        if (status === 404 && nameOf(error) !== 'NoSuchBucket') return ifMatch ? 'conflict' : true;
        throw fail('delete', key, error);
      }
    },
    async list(prefix) {
      const m = await s3Module();
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const out = await (await s3()).send(
            new m.ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ContinuationToken: token }),
          );
          for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key);
          token = out.IsTruncated ? out.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw fail('list', prefix, error);
      }
      return keys.sort();
    },
    async versioning() {
      const m = await s3Module();
      try {
        const out = await (await s3()).send(new m.GetBucketVersioningCommand({ Bucket: location.bucket }));
        return out.Status === 'Enabled' ? 'Enabled' : out.Status === 'Suspended' ? 'Suspended' : 'Off';
      } catch {
        // Reading the versioning setting needs its own permission; not having it is no reason to stop.
        return 'unknown';
      }
    },
  };
}
