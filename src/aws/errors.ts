import { RunbookError } from '../errors.js';
import type { ProfileChoice } from './config.js';

/** "Route53 ThrottlingException (HTTP 400, request 1f2e...): Rate exceeded" from an SDK error. */
export function describeAwsError(error: unknown): string | undefined {
  if (!error || typeof error !== 'object' || !('$metadata' in error)) return undefined;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number } };
  const bits = [
    e.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : '',
    e.$metadata?.requestId ? `request ${e.$metadata.requestId}` : '',
    e.$metadata?.attempts ? `${e.$metadata.attempts} attempts` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${e.name ?? 'AWS error'}${bits ? ` (${bits})` : ''}: ${e.message ?? ''}`.trim();
}

const SSO_PROBLEM = /SSO session|sso login|SSO session token|Token is expired|token.*(expired|invalid)/i;
const EXPIRED_NAMES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID_NAMES = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AuthFailure',
]);

/**
 * The SDK's credential failures, named for what fixes them: an expired SSO session says
 * `aws sso login --profile NAME` instead of a generic STS error. Undefined for any other error.
 */
export function credentialsError(error: unknown, profile: Pick<ProfileChoice, 'name' | 'source'>): RunbookError | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { name?: string; message?: string };
  const name = e.name ?? '';
  const message = e.message ?? '';
  const flag = profile.source === 'default' ? '' : ` --profile ${profile.name}`;
  const which =
    profile.source === 'default'
      ? 'the default profile'
      : `profile "${profile.name}" (from ${profile.source === 'environment' ? "the environment's profile:" : profile.source})`;
  const code = 'AWS_CREDENTIALS' as const;
  if (
    (name === 'TokenProviderError' || name === 'CredentialsProviderError' || name === 'UnauthorizedException') &&
    SSO_PROBLEM.test(message)
  ) {
    return new RunbookError(code, `the AWS SSO session of ${which} has expired or is not signed in`, {
      hint: `Run: aws sso login${flag}  (then run the same migrate command again)`,
      cause: error,
    });
  }
  if (EXPIRED_NAMES.has(name)) {
    return new RunbookError(code, `the AWS session credentials of ${which} have expired (${name})`, {
      hint: `Refresh them: aws sso login${flag} for an SSO profile, or get a new session token (MFA) for the profile; stale AWS_SESSION_TOKEN variables in the shell win over the profile.`,
      cause: error,
    });
  }
  if (INVALID_NAMES.has(name)) {
    return new RunbookError(code, `AWS does not accept the credentials of ${which} (${name}: ${message})`, {
      hint: `Check the keys of that profile (aws sts get-caller-identity${flag}), and any AWS_ACCESS_KEY_ID in the shell.`,
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError' || name === 'ProviderError') {
    if (/multi-factor|MFA/i.test(message)) {
      return new RunbookError(code, `${which} needs an MFA code, and there is no terminal to ask for it`, {
        hint: 'Run migrate in a terminal (it asks for the code), or use credentials that need no MFA.',
        cause: error,
      });
    }
    if (/Could not resolve credentials using profile|profile.*(not found|could not be found)/i.test(message)) {
      return new RunbookError(code, `${which} is not in the AWS config or credentials file`, {
        hint: `Check the name (aws configure list-profiles), or set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE.`,
        cause: error,
      });
    }
    return new RunbookError(code, `no AWS credentials for ${which}: ${message}`, {
      hint: `Sign in (aws sso login${flag}), name a profile with --profile or the environment's profile:, or export credentials.`,
      cause: error,
    });
  }
  return undefined;
}
