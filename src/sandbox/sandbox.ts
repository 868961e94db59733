import { RunbookError, messageOf } from '../errors.js';
import { seedEstate } from './estate.js';
import { routedExports, seedRoutedEstate } from './estate-routed.js';
import type { RoutedEstateIds } from './estate-routed.js';
import type { EstateIds } from './estate.js';
import { HEALTH_INCIDENTS, startHealthServer } from './health.js';
import { resetMoto, setMotoTimeScale, startMoto } from './moto.js';
import type { MotoServer } from './moto.js';
import { startProxy } from './proxy.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook.js';
import { seedStateBucket } from './state-bucket.js';
import { writeTerraformOutputs } from './terraform-outputs.js';
import type { FaultSpec, FrontProxy } from './proxy.js';

export interface SandboxOptions {
  /** MIGRATE_TIME_SCALE for the runbook run against this sandbox; default 1. */
  timeScale?: number;
  faults?: FaultSpec;
  /** Makes the proxy's fault injection reproducible. */
  seed?: number;
  /** Python with moto installed (default MIGRATE_PYTHON, then python3). */
  python?: string;
  /** Also seed the estate of runbooks/examples/routed-records.yaml (src/sandbox/estate-routed.ts). */
  routedEstate?: boolean;
  /**
   * A running moto (account SANDBOX_ACCOUNT_ID) to use instead of starting one: reset to empty
   * first, and left running by stop(). For tests that start many sandboxes one after another.
   */
  moto?: MotoServer;
}

export interface Sandbox {
  /** Environment that points the unmodified SDK (and the runbook's sandbox environment) at this sandbox. */
  exports: Record<string, string>;
  ids: EstateIds;
  /** The routed-records example's estate, when asked for. */
  routed?: RoutedEstateIds;
  moto: MotoServer;
  proxy: FrontProxy;
  health: { url: string };
  /** Stands in for a Slack or Teams incoming webhook (MIGRATE_SANDBOX_WEBHOOK_URL); keeps what it got. */
  webhook: Pick<WebhookReceiver, 'url' | 'messages' | 'clear'>;
  /** Stops health server, proxy and moto; safe to call more than once. */
  stop(): Promise<void>;
}

/** The account of DESIGN.md's example sandbox environment; moto takes it through MOTO_ACCOUNT_ID. */
export const SANDBOX_ACCOUNT_ID = '000000000000';
export const SANDBOX_REGION = 'eu-west-2';
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new RunbookError('USAGE', `time scale must be a positive number, not ${String(timeScale)}`, {
      hint: 'For example 600: a 1h wait then takes 6s.',
    });
  }
  const borrowed = options.moto;
  if (borrowed) await resetMoto(borrowed.url);
  const moto = borrowed ?? (await startMoto({ accountId: SANDBOX_ACCOUNT_ID, ...(options.python ? { python: options.python } : {}) }));
  let proxy: FrontProxy | undefined;
  let health: { url: string; stop(): Promise<void> } | undefined;
  let webhook: WebhookReceiver | undefined;
  let terraform: { file: string; remove(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      // Front to back, so nothing is left talking to a moto that has gone.
      await Promise.allSettled([health?.stop(), proxy?.stop(), webhook?.stop()]);
      if (!borrowed) await moto.stop();
      await terraform?.remove();
    })();
    return stopping;
  };
  /**
   * Ctrl-C or a kill must not leave moto behind. Whoever else listens for the signal (the sandbox
   * command) decides what happens next; if nobody does, the signal's default is restored and the
   * signal re-raised, so the process still ends the way it would have without us.
   */
  function onSignal(signal: NodeJS.Signals): void {
    // Counted now: a `once` listener of someone else's is gone by the time stop() resolves.
    const handledElsewhere = process.listenerCount(signal) > 0;
    void stop().then(() => {
      if (!handledElsewhere) process.kill(process.pid, signal);
    });
  }
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);

  try {
    proxy = await startProxy({
      target: moto.url,
      timeScale,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    // Seeded straight into moto: the estate is the starting point, not part of the rehearsal, so
    // it is neither faulted nor logged.
    const ids = await seedEstate(moto.url, { region: SANDBOX_REGION });
    const stateUrl = await seedStateBucket(moto.url, SANDBOX_REGION);
    terraform = await writeTerraformOutputs(ids);
    const routed = options.routedEstate ? await seedRoutedEstate(moto.url, SANDBOX_REGION) : undefined;
    // AWS's rate limits (CreateDeployment, AdminCreateUser) apply from here on, scaled like every wait.
    await setMotoTimeScale(moto.url, timeScale);
    proxy.clearLog();
    const front = proxy;
    health = await startHealthServer({ endpoint: moto.url, ids, region: SANDBOX_REGION, incidents: () => incidentsOf(front) });
    webhook = await startWebhookReceiver();
    return {
      exports: {
        ...sandboxExports({ proxyUrl: proxy.url, healthUrl: health.url, ids, timeScale }),
        MIGRATE_SANDBOX_STATE_URL: stateUrl,
        MIGRATE_SANDBOX_TERRAFORM_OUTPUTS: terraform.file,
        ...(routed ? routedExports(routed) : {}),
        MIGRATE_SANDBOX_WEBHOOK_URL: webhook.url,
      },
      webhook,
      ids,
      ...(routed ? { routed } : {}),
      moto,
      proxy,
      health: { url: health.url },
      stop,
    };
  } catch (error) {
    await stop();
    throw error instanceof RunbookError
      ? error
      : new RunbookError('SANDBOX', `the sandbox could not be set up: ${messageOf(error)}`, { cause: error });
  }
}

/** The proxy's faults can change while serving (setFaults), so ask it on each request. */
function incidentsOf(proxy: FrontProxy): string[] {
  return HEALTH_INCIDENTS.filter((name) => proxy.hasIncident(name));
}

export function sandboxExports(input: { proxyUrl: string; healthUrl: string; ids: EstateIds; timeScale: number }): Record<string, string> {
  const { ids } = input;
  return {
    AWS_ENDPOINT_URL: input.proxyUrl,
    AWS_REGION: SANDBOX_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Empty, so a real session token left in the operator's shell is not sent with dummy keys.
    AWS_SESSION_TOKEN: '',
    MIGRATE_ENV: 'sandbox',
    MIGRATE_TIME_SCALE: String(input.timeScale),
    // The SDK checks for the exact string "true".
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    MIGRATE_SANDBOX_HEALTH_URL: input.healthUrl,
    MIGRATE_SANDBOX_ZONE_ID: ids.zoneId,
    MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_ID: ids.adminsDistributionId,
    MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_DOMAIN: ids.adminsDistributionDomain,
    MIGRATE_SANDBOX_NEW_POOL_ID: ids.newPoolId,
    MIGRATE_SANDBOX_NEW_POOL_ARN: ids.newPoolArn,
    MIGRATE_SANDBOX_OLD_POOL_ARN: ids.oldPoolArn,
    MIGRATE_SANDBOX_ACCOUNT_ID: ids.accountId,
  };
}
