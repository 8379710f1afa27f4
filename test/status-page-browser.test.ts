// The status page in a real headless Chromium (Debian's chromium, driven by playwright-core): a
// coordinator with a 500 ms failure timeout, three daemons and two spaces. The page lists the
// servers and the spaces; a daemon stopped with SIGSTOP shows as failed within a bound, and as
// available again after SIGCONT; a search typed into the page lights exactly the regions
// /api/plan names and says "N of M regions"; a bad one shows the endpoint's error. A subspace of
// two attributes is drawn as a square, of one as a strip, of three as a table. A screenshot
// is kept in a temporary directory (its path is logged). Every process is stopped by PID.

import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { Client } from '../src/client/client';
import { CoordinatorProc, DaemonProc, ROOT, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const CHROMIUM = '/usr/bin/chromium';
const FAILURE_TIMEOUT_MS = 500;
/** How long past the failure timeout the page may take to show it: a tick, a poll, a render. */
const SHOW_FAILED_BOUND_MS = FAILURE_TIMEOUT_MS + 4000;
const INSTALL_TIMEOUT_MS = 300_000;

const scope = new SharedScope();
let coord: CoordinatorProc;
let daemons: DaemonProc[];
let browser: Browser;
let page: Page;

/** Installs Debian's chromium with the project's script when it is missing (needs apt and root or sudo). */
async function ensureChromium(): Promise<void> {
  if (fs.existsSync(CHROMIUM)) return;
  const out = await new Promise<string>((resolve) => {
    const child = spawn('sh', [path.join(ROOT, 'scripts', 'ensure-system-deps.sh'), 'chromium'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`this test needs Debian's chromium at ${CHROMIUM}; installing it with scripts/ensure-system-deps.sh chromium failed (install it with apt-get install chromium):\n${out.slice(-2000)}`);
}

test.before(async () => {
  await ensureChromium();
  coord = await startCoordinator(scope, { httpPort: 0, failureTimeoutMs: FAILURE_TIMEOUT_MS });
  daemons = [];
  for (let i = 0; i < 3; i++) daemons.push(await startDaemon(scope, coord));
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  try {
    await client.addSpace('space people key name attributes first, int age subspace first, age create 8 partitions tolerate 0 failures');
    await client.addSpace('space kv key k attributes string v, int n, string w subspace v, n, w create 4 partitions tolerate 0 failures');
  } finally {
    await client.close();
  }
  // Continue a stopped daemon before the teardowns kill it (they run in reverse order).
  scope.teardown(() => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) process.kill(d.pid, 'SIGCONT');
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
  scope.teardown(() => browser.close());
  page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  page.setDefaultTimeout(10_000);
});

test.after.always(async () => {
  await scope.close();
});

const serverRow = (id: number, state: string) => `#servers tr[data-server-id="${id}"][data-state="${state}"]`;

test.serial('the page lists the servers and both spaces, shows a stopped daemon failed, and lights the regions a search contacts', async (t) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(coord.httpUrl + '/');
  for (const d of daemons) await page.waitForSelector(serverRow(d.serverId, 'available'));
  t.is(await page.locator('#servers tr[data-server-id]').count(), 3);
  await page.waitForSelector('#spaces [data-space="people"]');
  await page.waitForSelector('#spaces [data-space="kv"]');
  t.deepEqual(await page.locator('#spaces [data-space]').evaluateAll((els) => els.map((e) => e.getAttribute('data-space'))), ['people', 'kv']);

  // A frozen daemon: failed within the timeout and a bound.
  const frozen = daemons[1];
  process.kill(frozen.pid, 'SIGSTOP');
  const stoppedAt = performance.now();
  await page.waitForSelector(serverRow(frozen.serverId, 'failed'), { timeout: SHOW_FAILED_BOUND_MS });
  const ms = performance.now() - stoppedAt;
  t.log(`the page showed server ${frozen.serverId} failed ${ms.toFixed(0)} ms after SIGSTOP (failure timeout ${FAILURE_TIMEOUT_MS} ms)`);
  t.true(ms > FAILURE_TIMEOUT_MS / 2, `shown failed only ${ms.toFixed(0)} ms after SIGSTOP`);
  t.is(await page.locator(`#servers tr[data-server-id="${frozen.serverId}"] .state`).textContent(), 'failed');
  for (const d of [daemons[0], daemons[2]]) t.is(await page.locator(serverRow(d.serverId, 'available')).count(), 1);
  process.kill(frozen.pid, 'SIGCONT');
  await page.waitForSelector(serverRow(frozen.serverId, 'available'), { timeout: 15_000 });

  // A search on the 2-D subspace's second attribute: the page lights what /api/plan says.
  await page.selectOption('#subspace-select', JSON.stringify(['people', 0]));
  await page.fill('#search-query', 'age = 30');
  await page.click('#search-form button[type="submit"]');
  await page.waitForSelector('#search-count');
  const res = await fetch(`${coord.httpUrl}/api/plan?space=people&q=${encodeURIComponent('age = 30')}`);
  const plan = (await res.json()) as { subspace: number; regions: number[]; subspaceRegions: number };
  t.is(plan.subspace, 1);
  t.true(plan.regions.length > 0 && plan.regions.length < plan.subspaceRegions);
  t.is(await page.locator('#search-count').textContent(), `${plan.regions.length} of ${plan.subspaceRegions} regions`);
  t.is(await page.inputValue('#subspace-select'), JSON.stringify(['people', 1]), 'the page shows the subspace the planner chose');
  t.is(await page.locator('#regions svg .region').count(), plan.subspaceRegions);
  const lit = await page.locator('#regions .region.lit').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-region-id'))));
  t.deepEqual(
    lit.sort((a, b) => a - b),
    [...plan.regions].sort((a, b) => a - b),
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-status-page-'));
  const shot = path.join(dir, 'status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.true(fs.statSync(shot).size > 10_000);
  t.log(`screenshot: ${shot}`);

  // A one-attribute subspace is a strip, a three-attribute one a table; a bad search says why and lights nothing.
  await page.selectOption('#subspace-select', JSON.stringify(['kv', 0]));
  t.is(await page.locator('#regions svg .region').count(), 4);
  await page.selectOption('#subspace-select', JSON.stringify(['kv', 1]));
  t.is(await page.locator('#regions table tr.region').count(), 4);
  t.is(await page.locator('#regions svg').count(), 0);
  await page.fill('#search-query', 'n = many');
  await page.click('#search-form button[type="submit"]');
  await page.waitForSelector('#search-error:not([hidden])');
  t.regex((await page.locator('#search-error').textContent()) ?? '', /"n" is int64: many is not a number/);
  t.is(await page.locator('#regions .region.lit').count(), 0);
  t.is(await page.locator('#search-count').count(), 0);
  t.deepEqual(pageErrors, [], 'no script error on the page');
});
