import { resolve } from 'node:path';
import { DAPR_APPS } from '@parley/contracts';
import { externalPartsFromEnv } from './external';
import { createConsoleSink } from './log-format';
import { repoRoot } from './paths';
import { fixedPortPlan } from './ports';
import { StartError } from './process';
import {
  SettingError,
  ignoredSettings,
  publicUrlFromEnv,
  serviceSettingsFromEnv,
  settingsSetIn,
} from './service-settings';
import { Stack } from './stack';

/**
 * `npm start`: brings the platform up on the fixed ports, prints where everything is, and stops
 * every process it started on Ctrl-C or SIGTERM.
 *
 * PARLEY_DATA_DIR   data folder (default .data in the repository)
 * PARLEY_PORT_BASE  first port of the plan (default 4400; see the README's port table)
 * GATEWAY_HOST      interface the gateway binds (default 127.0.0.1; 0.0.0.0 exposes it)
 * PUBLIC_URL        origin users open, when not the gateway's own (links in emails, OIDC
 *                   redirects; its pages may open sockets)
 * GATEWAY_REPLICAS  gateway processes sharing the load (default 1; replica k listens on base+k-1)
 * LOG_LEVEL         level of the services' logs (default info)
 * DAPR_LOG_LEVEL    level of the sidecars' logs (default warn)
 *
 * The services' own settings (`RATE_LIMIT_LOGIN_PER_IP`, `OIDC_ISSUER`, ...) are handed on to the
 * processes that read them; `service-settings.ts` lists which.
 */
async function main(): Promise<void> {
  const sink = createConsoleSink();
  const base = Number(process.env.PARLEY_PORT_BASE || 4400);
  if (!Number.isInteger(base) || base < 1024 || base > 65000) {
    throw new SettingError(
      `PARLEY_PORT_BASE must be a whole number from 1024 to 65000, not ${process.env.PARLEY_PORT_BASE}`,
    );
  }
  const replicas = Number(process.env.GATEWAY_REPLICAS || 1);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new SettingError(
      `GATEWAY_REPLICAS must be a whole number from 1 to 5, not ${process.env.GATEWAY_REPLICAS}`,
    );
  }
  const publicUrl = publicUrlFromEnv(process.env);
  const gatewayHost = process.env.GATEWAY_HOST || '127.0.0.1';
  if (gatewayHost !== '127.0.0.1' && !publicUrl) {
    sink(
      'launcher',
      'the gateway is exposed but PUBLIC_URL is unset: pages opened at another address cannot open ' +
        'sockets, and links in emails point at this machine; set PUBLIC_URL to the address users open',
    );
  }
  for (const { name, readers } of settingsSetIn(process.env)) {
    sink('launcher', `${name} from the environment goes to ${readers.join(', ')}`);
  }
  for (const { name, why } of ignoredSettings(process.env)) {
    sink('launcher', `ignoring ${name} from the environment: ${why}`);
  }
  const stack = new Stack({
    dataDir: resolve(repoRoot, process.env.PARLEY_DATA_DIR || '.data'),
    ports: fixedPortPlan(base, replicas),
    external: externalPartsFromEnv(),
    sink,
    logLevel: process.env.LOG_LEVEL || 'info',
    daprLogLevel: process.env.DAPR_LOG_LEVEL || 'warn',
    gatewayHost,
    ...(publicUrl ? { publicUrl } : {}),
    appSettings: serviceSettingsFromEnv(process.env),
    restartCrashed: true,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    sink('launcher', `${signal}: stopping every process`);
    await stack.stop();
    sink('launcher', 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  sink('launcher', 'starting infrastructure, then services with their sidecars, then the worker');
  const started = Date.now();
  try {
    await stack.start();
  } catch (err) {
    if (err instanceof StartError) {
      sink('launcher', err.message);
      process.exit(1);
    }
    throw err;
  }
  const urls = stack.urls();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = [
    `Parley is up (${seconds}s). Ctrl-C stops everything.`,
    `  web app         ${urls.web}${publicUrl ? ` (users open ${publicUrl}/)` : ''}`,
    `  API             ${urls.api}`,
    `  API reference   ${urls.apiReference}`,
    `  Temporal UI     ${urls.temporalUi ?? '(external Temporal: set TEMPORAL_UI_URL)'}`,
    `  mail inbox      ${urls.mailInbox ?? '(external SMTP: set MAIL_WEB_URL)'}`,
    `  operator token  in ${resolve(repoRoot, process.env.PARLEY_DATA_DIR || '.data')}/secrets.json (opsToken)`,
    "  sidecar metadata (send the app's daprApiToken from secrets.json as the dapr-api-token header):",
    ...DAPR_APPS.map((app) => `    ${app.padEnd(13)} ${urls.sidecarMetadata[app]}`),
  ];
  for (const line of lines) sink('launcher', line);
}

main().catch((err: unknown) => {
  // A setting it cannot use is the operator's to fix: the sentence says what; a stack adds nothing.
  const text = err instanceof SettingError ? err.message : err instanceof Error ? err.stack : String(err);
  process.stderr.write(`launcher: ${text}\n`);
  process.exit(1);
});
