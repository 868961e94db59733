/**
 * The operator's AWS configuration, read the way the AWS CLI reads it, so that `migrate` and
 * `aws` agree on which profile and region a shell means.
 */

export type ProfileSource = '--profile' | 'environment' | 'AWS_PROFILE' | 'default';

export interface ProfileChoice {
  /** Handed to every SDK client's own `profile` option; undefined leaves the SDK's chain as is. */
  profile: string | undefined;
  /** The profile in effect, for headers and hints ("default" when nothing names one). */
  name: string;
  source: ProfileSource;
}

/** The choice an environment (as loaded for a command) carries. */
export function profileOf(
  env: { profile?: string | undefined; profileFromFlag?: boolean | undefined },
  processEnv: NodeJS.ProcessEnv = process.env,
): ProfileChoice {
  return env.profileFromFlag ? chooseProfile(env.profile, undefined, processEnv) : chooseProfile(undefined, env.profile, processEnv);
}

/**
 * `--profile` overrides the environment's `profile:`, which overrides AWS_PROFILE: the SDK's
 * `profile` client option wins over AWS_PROFILE, so what is passed is exactly what is shown.
 */
export function chooseProfile(
  flag: string | undefined,
  fromEnvironment: string | undefined,
  processEnv: NodeJS.ProcessEnv = process.env,
): ProfileChoice {
  if (flag) return { profile: flag, name: flag, source: '--profile' };
  if (fromEnvironment) return { profile: fromEnvironment, name: fromEnvironment, source: 'environment' };
  if (processEnv.AWS_PROFILE) return { profile: undefined, name: processEnv.AWS_PROFILE, source: 'AWS_PROFILE' };
  return { profile: undefined, name: 'default', source: 'default' };
}

export interface ConfiguredRegion {
  region: string;
  /** "AWS_REGION", "AWS_DEFAULT_REGION" or `profile "ops" in ~/.aws/config`. */
  source: string;
}

/**
 * The region the AWS CLI would call with this profile: AWS_REGION, then AWS_DEFAULT_REGION (which
 * the JS SDK ignores but the CLI honours), then the profile's `region`. Undefined when none says.
 */
export async function configuredRegion(
  profileName: string,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<ConfiguredRegion | undefined> {
  if (processEnv.AWS_REGION) return { region: processEnv.AWS_REGION, source: 'AWS_REGION' };
  if (processEnv.AWS_DEFAULT_REGION) return { region: processEnv.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  try {
    const { loadSharedConfigFiles } = await import('@smithy/core/config');
    const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
    const region = configFile[profileName]?.region ?? credentialsFile[profileName]?.region;
    if (region) return { region, source: `profile "${profileName}" in ${processEnv.AWS_CONFIG_FILE ?? '~/.aws/config'}` };
  } catch {
    // No readable config file: nothing configured, nothing to disagree with.
  }
  return undefined;
}
