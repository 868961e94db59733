import { RunbookError } from '../errors.js';

/** Where the shared backend keeps an environment: `s3://bucket/prefix/<env>/`. */
export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  region?: string | undefined;
  kmsKeyId?: string | undefined;
}

export interface S3StateConfig {
  bucket: string;
  prefix?: string | undefined;
  region?: string | undefined;
  kmsKeyId?: string | undefined;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function trimSlashes(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** `s3://BUCKET/PREFIX` (the prefix may be empty). */
export function parseS3Url(url: string, source: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url.trim());
  if (!match || !BUCKET.test(match[1]!)) {
    throw new RunbookError('USAGE', `${source} "${url}" is not an S3 location`, {
      hint: 'Write it as s3://BUCKET/PREFIX, e.g. --state s3://tis-migrate-state/cognito',
    });
  }
  return { bucket: match[1]!, prefix: trimSlashes(match[2] ?? '') };
}

export function fromConfig(config: S3StateConfig): S3Location {
  return { bucket: config.bucket, prefix: trimSlashes(config.prefix ?? ''), region: config.region, kmsKeyId: config.kmsKeyId };
}

/** The environment's folder in the bucket, with a trailing slash. */
export function envPrefix(location: S3Location, env: string): string {
  return `${location.prefix ? `${location.prefix}/` : ''}${env}/`;
}

export function describeS3(location: S3Location, env?: string): string {
  return `s3://${location.bucket}/${env ? envPrefix(location, env) : location.prefix ? `${location.prefix}/` : ''}`;
}
