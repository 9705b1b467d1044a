/**
 * GraphiQL in a real browser: Debian's Chromium, headless, driven by playwright-core.
 *
 * Starts the gateway on the embedded sandbox (as `npm start` does), opens /graphql, runs the
 * example query with GraphiQL's run button, and expects chat session titles in the result pane.
 * Every request the page made is recorded: any that left the machine fails the test (GraphiQL
 * must work behind a firewall). The screenshot is saved as test-results/graphiql.png.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it); without it the
 * test is skipped.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { EXAMPLE_QUERY } from '../../src/graphiql.js';
import { startGateway } from '../../src/server.js';
import type { Gateway } from '../../src/server.js';
import { REPO_ROOT } from '../support/process.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `test/browser/graphiql.test.ts skipped: ${CHROMIUM} not found. Install it with: apt-get install -y chromium`,
  );
}

const SCREENSHOT = join(REPO_ROOT, 'test-results', 'graphiql.png');
/** Generous guard against a hung browser; nothing here is a speed requirement. */
const UI_TIMEOUT_MS = 60_000;

/** Only this machine: loopback hosts, and the page's own data:/blob: URLs. */
function staysOnMachine(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}

let gateway: Gateway;
let context: BrowserContext;
let userDataDir: string;

describe.skipIf(!hasChromium)('GraphiQL in headless Chromium (apt-get install -y chromium)', () => {
  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' }));
    userDataDir = await mkdtemp(join(tmpdir(), 'graphiql-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    });
  }, UI_TIMEOUT_MS);

  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it(
    'runs the example query from the UI and shows session titles, with no request leaving the machine',
    async () => {
      // What the example query answers, straight from the API.
      const direct = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: EXAMPLE_QUERY }),
      });
      const expected = (await direct.json()) as {
        data: { chatSessions: { edges: Array<{ node: { generatedTitle: string | null } }> } };
      };
      const titles = expected.data.chatSessions.edges
        .map((edge) => edge.node.generatedTitle)
        .filter((title): title is string => title !== null);
      expect(titles.length).toBeGreaterThan(0);

      const requests: string[] = [];
      context.on('request', (request) => requests.push(request.url()));
      context.on('serviceworker', (worker) => requests.push(worker.url()));
      const page = await context.newPage();
      page.on('websocket', (socket) => requests.push(socket.url()));
      page.on('worker', (worker) => requests.push(worker.url()));
      page.setDefaultTimeout(UI_TIMEOUT_MS);

      await page.goto(`${gateway.url}/graphql`, { waitUntil: 'load' });
      const run = page.locator('button.graphiql-execute-button');
      await run.waitFor({ state: 'visible' });
      // The editor holds the example query before we run it.
      await expect
        .poll(() => page.locator('.graphiql-query-editor').innerText(), {
          timeout: UI_TIMEOUT_MS,
        })
        .toContain('RecentChatSessions');

      const answered = page.waitForResponse(
        (res) =>
          res.url().startsWith(`${gateway.url}/graphql`) && res.request().method() === 'POST',
      );
      await run.click();
      expect((await answered).status()).toBe(200);

      // Monaco renders spaces as non-breaking spaces: compare normalised text.
      const resultText = async () =>
        (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
      await expect.poll(resultText, { timeout: UI_TIMEOUT_MS }).toContain(`"generatedTitle"`);
      await expect.poll(resultText, { timeout: UI_TIMEOUT_MS }).toContain(titles[0]!);
      const shown = await resultText();
      expect(shown).not.toContain('"errors"');

      await mkdir(join(REPO_ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });

      expect(requests.length).toBeGreaterThan(0);
      expect(requests.some((url) => url.startsWith(`${gateway.url}/graphql`))).toBe(true);
      const offMachine = requests.filter((url) => !staysOnMachine(url));
      expect(offMachine, `requests that left the machine:\n${offMachine.join('\n')}`).toEqual([]);
      await page.close();
    },
    3 * UI_TIMEOUT_MS,
  );
});
