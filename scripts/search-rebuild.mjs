#!/usr/bin/env node
// Rebuilds the search index from chat's stored history, printing progress. It asks the search
// service through its sidecar on this machine, with the search app's Dapr API token from the
// platform's secrets.json. Settings: PARLEY_DATA_DIR and PARLEY_PORT_BASE as for `npm start`, or
// SEARCH_DAPR_URL and SEARCH_DAPR_API_TOKEN to name the sidecar directly.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedPortPlan } from '@parley/devstack';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sidecar() {
  if (process.env.SEARCH_DAPR_URL && process.env.SEARCH_DAPR_API_TOKEN) {
    return { url: process.env.SEARCH_DAPR_URL.replace(/\/$/, ''), token: process.env.SEARCH_DAPR_API_TOKEN };
  }
  const dataDir = resolve(root, process.env.PARLEY_DATA_DIR || '.data');
  const secretsFile = join(dataDir, 'secrets.json');
  let secrets;
  try {
    secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
  } catch {
    throw new Error(
      `cannot read ${secretsFile}: start the platform first, or set SEARCH_DAPR_URL and SEARCH_DAPR_API_TOKEN`,
    );
  }
  const ports = fixedPortPlan(Number(process.env.PARLEY_PORT_BASE || 4400));
  return { url: `http://127.0.0.1:${ports.apps.search.daprHttp}`, token: secrets.apps.search.daprApiToken };
}

async function call(target, method, path) {
  const res = await fetch(`${target.url}/v1.0/invoke/search/method/${path}`, {
    method,
    headers: { 'dapr-api-token': target.token },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`search answered ${res.status}: ${body.detail ?? JSON.stringify(body)}`);
  return body;
}

async function main() {
  const target = sidecar();
  const started = await call(target, 'POST', 'internal/v1/rebuilds');
  console.log(`rebuild ${started.id} started`);
  let last = -1;
  for (;;) {
    const status = await call(target, 'GET', `internal/v1/rebuilds/${started.id}`);
    if (status.processed !== last) {
      const of = status.total ? ` of about ${status.total}` : '';
      const share = status.total
        ? ` (${Math.min(100, Math.round((100 * status.processed) / status.total))}%)`
        : '';
      console.log(`indexed ${status.processed}${of} messages${share}`);
      last = status.processed;
    }
    if (status.status === 'completed') {
      console.log(`rebuild completed: ${status.processed} messages`);
      return;
    }
    if (status.status === 'failed') throw new Error(`rebuild failed: ${status.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
