/**
 * The web console in headless Chromium against a real `lnano serve`: login, components appearing,
 * a rollback through the confirmation dialog (with its capability diff), a deploy followed step by
 * step, the audit chain, a live timeline entry (its details, filters in the URL), a component's
 * logs tab, composing and running a two-step pipeline, the composer's errors, a fallback in the
 * graph, `$schema` kept on save; every view on a phone (390×844) and a laptop (1280×800) without sideways scrolling,
 * console errors or serious axe-core violations, the skip link on each; 50 components on a laptop
 * and a tablet, and that every request the page makes is a console file or an authenticated `/v1` call.
 *
 * Screenshots go to a temp dir; `npm run docs:console` (LNANO_CONSOLE_SCREENSHOTS=1) writes them
 * to docs/console/ for the README.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { type ServeHost, startServe } from '../helpers/serve-host.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const shots = mkdtempSync(join(tmpdir(), 'lnano-console-shots-'));
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
const WAIT = { timeout: 20_000 };

let host: ServeHost;
let context: BrowserContext;
let page: Page;
const requests: Array<{ url: string; method: string; authorization: string | undefined }> = [];
/** What the page logged as an error (console.error, failed loads, uncaught exceptions), since the last `consoleErrors.length = 0`. */
const consoleErrors: string[] = [];

const record = (r: Request): void => void requests.push({ url: r.url(), method: r.method(), authorization: r.headers().authorization });

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], { stdio: 'inherit' });
  // Info level, so the logs tab has echo's own lines (it logs "echo" at info on every event).
  host = await startServe(['--log-level', 'info']);
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lnano-chromium-')), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  context.on('request', record);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await host?.stop();
  if (process.env.LNANO_CONSOLE_SCREENSHOTS === '1') {
    const out = join(ROOT, 'docs', 'console');
    mkdirSync(out, { recursive: true });
    for (const f of readdirSync(shots)) copyFileSync(join(shots, f), join(out, f));
  }
}, 30_000);

async function login(token: string): Promise<void> {
  await page.goto(`${host.adminUrl}/console/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
}

describe('the web console', () => {
  it('serves its files with strict security headers and no token; data needs the token', async () => {
    const res = await fetch(`${host.adminUrl}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect((await fetch(`${host.adminUrl}/`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
    expect((await fetch(`${host.adminUrl}/console/../v1/components`)).status).toBe(401);
    expect((await fetch(`${host.adminUrl}/console/%2e%2e%2fadmin-token`)).status).toBe(404);
    expect((await fetch(`${host.adminUrl}/v1/grants`)).status).toBe(401);
  });

  it('shows nothing but the login page without a token, with a wrong one, and after a 401', async () => {
    await host.deploy('secret-name', '1.0.0');
    await page.goto(`${host.adminUrl}/console/#/components`);
    await page.waitForSelector('#token', WAIT);
    await screenshot('login');
    await login('not-the-token');
    await page.waitForSelector('.login-form .error', WAIT);
    expect(await page.locator('nav').count()).toBe(0);
    expect(await page.content()).not.toContain('secret-name');
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
    // A token the host stops accepting: the first call answers 401, the console logs out.
    await page.evaluate(() => sessionStorage.setItem('lnano.adminToken', 'revoked'));
    await page.reload();
    await page.waitForSelector('#token', WAIT);
    expect(await page.evaluate(() => sessionStorage.getItem('lnano.adminToken'))).toBeNull();
    expect(await page.content()).not.toContain('secret-name');
  });

  it('logs in, and a component deployed through the API appears with its version and grants', async () => {
    await login(host.token);
    await page.waitForSelector('nav', WAIT);
    expect(page.url()).not.toContain(host.token);
    await host.deploy('echo', '1.0.0');
    await host.deploy('echo', '1.1.0', { capabilities: { env: { LEVEL: 'debug' } } });
    const row = page.locator('tr[data-component="echo"]');
    await row.waitFor(WAIT);
    await page.waitForFunction(() => document.querySelector('tr[data-component="echo"] .active-version')?.textContent === '1.1.0', null, WAIT);
    expect(await row.locator('td.grants').textContent()).toContain('env: LEVEL');
    // echo is not fuel-metered: no fuel figure rather than a 0.
    expect(await row.locator('td[data-label="Fuel"]').textContent()).toBe('—');
    await screenshot('components');
  });

  it('rolls back with the button, after a confirmation that shows the capability diff', async () => {
    await page.click('a[href="#/component/echo"]');
    await page.waitForSelector('#active-version', WAIT);
    expect(await page.title()).toBe('echo · Components — Liquid Nano console');
    expect(await page.textContent('#last-deploy')).toMatch(/^1\.1\.0 \(immediate\): deployed and serving since/);
    await page.click('button:has-text("Roll back to 1.0.0")');
    const dialog = page.locator('#action-dialog');
    await dialog.locator('.diff-removed').waitFor(WAIT);
    expect(await dialog.locator('.diff-removed').textContent()).toContain('environment: LEVEL');
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.closest('dialog')?.id ?? document.activeElement?.tagName)).toBe('action-dialog');
    }
    // Escape closes it without acting; the focus is kept inside while it is open.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', ...WAIT });
    expect((await host.api<{ deployment: { active: string } }>('GET', '/components/echo')).body.deployment.active).toBe('1.1.0');
    await page.click('button:has-text("Roll back to 1.0.0")');
    await dialog.locator('.diff').waitFor(WAIT);
    await page.fill('#action-reason', 'console e2e');
    await screenshot('rollback-dialog');
    await dialog.locator('button.primary').click();
    await page.waitForFunction(() => document.querySelector('#active-version')?.textContent === '1.0.0', null, WAIT);
    const status = await host.api<{ deployment: { active: string } }>('GET', '/components/echo');
    expect(status.body.deployment.active).toBe('1.0.0');
    const audit = await host.api<{ entries: Array<{ action: string; actor: string; reason: string | null }> }>('GET', '/audit?name=echo');
    expect(audit.body.entries.at(-1)).toMatchObject({ action: 'rolled-back', actor: 'console', reason: 'console e2e' });
  });

  it('deploys a new version from the browser as a canary, and promotes it, each after its diff', async () => {
    await page.click('button:has-text("Deploy new version")');
    const dialog = page.locator('#deploy-dialog');
    await dialog.waitFor(WAIT);
    await page.setInputFiles('#deploy-file', join(ROOT, 'components', 'echo-c', 'component.wasm'));
    const manifest = JSON.parse(await page.inputValue('#deploy-manifest')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'echo', version: '1.0.0' });
    await page.fill('#deploy-manifest', JSON.stringify({ ...manifest, version: '1.2.0', capabilities: { kv: {} } }));
    await page.selectOption('#deploy-strategy', 'canary');
    await page.fill('#deploy-weight', '30');
    await dialog.locator('button.primary').click();
    await dialog.locator('.diff-added').waitFor(WAIT);
    expect(await dialog.locator('.diff-added').textContent()).toContain('key-value');
    await dialog.locator('button:has-text("Confirm deploy")').click();
    // The deploy's steps as the host reports them, then its result; the dialog stays until closed.
    await page.waitForSelector('#deploy-result', WAIT);
    expect(await page.textContent('#deploy-result')).toContain('Deployed echo@1.2.0: canary at 30 %');
    expect(await page.locator('#deploy-progress li[data-step]').count()).toBeGreaterThan(1);
    await dialog.locator('button:has-text("Close")').click();
    await page.waitForSelector('.card.canary', WAIT);
    expect(await page.textContent('.card.canary')).toContain('1.2.0 at 30 %');
    await page.click('button:has-text("Promote 1.2.0")');
    await page.locator('#action-dialog .diff').waitFor(WAIT);
    await page.locator('#action-dialog button.primary').click();
    await page.waitForFunction(() => document.querySelector('#active-version')?.textContent === '1.2.0', null, WAIT);
    expect((await host.api<{ deployment: { active: string } }>('GET', '/components/echo')).body.deployment.active).toBe('1.2.0');
  });

  it('shows the audit trail and its verified hash chain', async () => {
    await page.click('nav a[href="#/audit"]');
    await page.waitForSelector('#audit-verification.ok', WAIT);
    expect(await page.textContent('#audit-verification')).toMatch(/Hash chain verified: \d+ entries/);
    expect(await page.locator('tr[data-action="rolled-back"]').count()).toBeGreaterThan(0);
    await screenshot('audit');
  });

  it('streams a timeline entry as it happens', async () => {
    await page.click('nav a[href="#/live"]');
    await page.waitForSelector('#live-connection', WAIT);
    await page.waitForFunction(() => document.querySelector('#live-connection')?.textContent === 'Stream: live', null, WAIT);
    const res = await fetch(`${host.ingressUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'console-live-1', type: 'sensor.reading', source: '/e2e', data: { t: 1 } }),
    });
    expect(res.status).toBe(200);
    await page.waitForSelector('table.timeline tr:has-text("console-live-1")', WAIT);
    expect(await page.textContent('table.timeline tbody')).toContain('echo@1.2.0');
    await screenshot('live');
    // A row opens its details.
    await page.click('table.timeline tr:has-text("console-live-1") td[data-label="Component"]');
    await page.waitForSelector('#entry-dialog', WAIT);
    expect(await page.textContent('#entry-dialog')).toContain('console-live-1');
    await page.keyboard.press('Escape');
    await page.locator('#entry-dialog').waitFor({ state: 'detached', ...WAIT });
    // The filters are in the URL: a reload (or a shared link) opens the same view.
    await page.selectOption('#filter-status', 'error');
    expect(new URL(page.url()).hash).toBe('#/live?status=error');
    await page.reload();
    await page.waitForSelector('#live-connection', WAIT);
    expect(await page.inputValue('#filter-status')).toBe('error');
    expect(await page.locator('table.timeline tbody tr').count()).toBe(0);
    await page.selectOption('#filter-status', '');
    expect(new URL(page.url()).hash).toBe('#/live');
  });

  it('composes a two-step pipeline from deployed components, saves and runs it', async () => {
    await page.click('nav a[href="#/pipelines"]');
    await page.click('a[href="#/compose"]');
    await page.fill('#pipeline-name', 'two-step');
    await page.fill('#pipeline-description', 'echo twice');
    await page.click('button:has-text("Add step")');
    await page.selectOption('#step-0-component', 'echo');
    await page.click('button:has-text("Add step")');
    await page.selectOption('#step-1-component', 'echo');
    expect(await page.inputValue('#step-1-input')).toBe('step-1');
    await page.click('button:has-text("Validate")');
    await page.waitForSelector('#composer-message.notice', WAIT);
    expect(await page.textContent('#composer-message')).toContain('step-1 → step-2');
    await page.waitForSelector('svg.dag g[data-step="step-2"]', WAIT);
    await screenshot('composer');
    await page.click('button:has-text("Save and run")');
    await page.waitForSelector('article[data-pipeline="two-step"] [data-run-status="succeeded"]', WAIT);
    expect(await page.locator('article[data-pipeline="two-step"] g[data-status="succeeded"]').count()).toBe(2);
    const saved = await host.api<{ pipeline: { steps: Array<{ id: string; input: string }> } }>('GET', '/pipelines/two-step');
    expect(saved.body.pipeline.steps.map((s) => [s.id, s.input])).toEqual([
      ['step-1', 'event'],
      ['step-2', 'step-1'],
    ]);
    await screenshot('pipelines');
  });

  it('composes a join, a condition and a fallback, and the host runs what it saved', async () => {
    await page.evaluate(() => {
      location.hash = '#/compose';
    });
    await page.waitForSelector('#pipeline-name', WAIT);
    await page.fill('#pipeline-name', 'branchy');
    for (let i = 0; i < 4; i += 1) {
      await page.click('button:has-text("Add step")');
      await page.selectOption(`#step-${i}-component`, 'echo');
    }
    // step-2 runs only when its input's type contains "echoed" (echo answers <type>.echoed).
    await page.selectOption('#step-1-when', 'path');
    await page.fill('#step-1-when-path', '$.type');
    await page.selectOption('#step-1-when-op', 'contains');
    await page.fill('#step-1-when-value', 'echoed');
    // step-3 takes step-1 and joins step-2; step-4 is its fallback, fed by step-1.
    await page.selectOption('#step-2-input', 'step-1');
    await page.check('#step-2-join-step-2');
    await page.check('#step-3-role');
    await page.selectOption('#step-3-input', 'step-1');
    await page.selectOption('#step-2-fallback', 'step-4');
    expect(await page.isDisabled('#step-3-fallback')).toBe(true);
    await page.click('button:has-text("Validate")');
    await page.waitForSelector('#composer-message.notice', WAIT);
    expect(await page.textContent('#composer-message')).toMatch(/^Valid: runs step-1 → /);
    await page.click('button:has-text("Save and run")');
    await page.waitForSelector('article[data-pipeline="branchy"] [data-run-status="succeeded"]', WAIT);
    const saved = await host.api<{ document: { steps: Array<Record<string, unknown>> } }>('GET', '/pipelines/branchy/document');
    expect(saved.body.document.steps).toEqual([
      { id: 'step-1', component: 'echo', input: 'event' },
      { id: 'step-2', component: 'echo', input: 'step-1', when: { path: '$.type', contains: 'echoed' } },
      { id: 'step-3', component: 'echo', input: ['step-1', 'step-2'], fallback: 'step-4' },
      { id: 'step-4', component: 'echo', input: 'step-1', role: 'fallback' },
    ]);
    const runs = await host.api<{ runs: Array<{ status: string; steps: Array<{ id: string; status: string }> }> }>('GET', '/pipelines/branchy/runs');
    expect(runs.body.runs[0]!.status).toBe('succeeded');
    // step-2 ran (its condition held) and answered nothing (echo-c does not echo an echo), so the
    // join step-3 was skipped as docs/pipelines.md says; no step failed, so its fallback never ran.
    expect(runs.body.runs[0]!.steps.map((st) => [st.id, st.status])).toEqual([
      ['step-1', 'succeeded'],
      ['step-2', 'succeeded'],
      ['step-3', 'skipped'],
      ['step-4', 'skipped'],
    ]);
  });

  it('explains composer errors counted from 1, highlights the field and moves the focus to it', async () => {
    await page.evaluate(() => {
      location.hash = '#/compose';
    });
    await page.waitForSelector('#pipeline-name', WAIT);
    await page.fill('#pipeline-name', 'bad-ids');
    await page.click('button:has-text("Add step")');
    await page.selectOption('#step-0-component', 'echo');
    await page.fill('#step-0-id', 'Bad Id');
    // The pattern compiles under Chrome's `v` flag, so the browser checks it as well.
    expect(await page.$eval('#step-0-id', (el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(true);
    await page.click('button:has-text("Validate")');
    await page.waitForSelector('#composer-message.error', WAIT);
    expect(await page.textContent('#composer-message')).toBe("Step 1's id must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter.");
    expect(await page.getAttribute('#step-0-id', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('step-0-id');
    // What only the host knows (a duplicate id): its words, counted from 1, the second step's id highlighted.
    await page.fill('#step-0-id', 'dup');
    await page.click('button:has-text("Add step")');
    await page.selectOption('#step-1-component', 'echo');
    await page.fill('#step-1-id', 'dup');
    await page.selectOption('#step-1-input', 'event');
    await page.click('button:has-text("Validate")');
    await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent?.startsWith('Step 2'), null, WAIT);
    expect(await page.textContent('#composer-message')).toBe('Step 2\'s id "dup" is already the id of step 1.');
    expect(await page.getAttribute('#step-1-id', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#step-0-id', 'aria-invalid')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('step-1-id');
  });

  it('draws a fallback right below its step, keeps every label inside its box, and keeps $schema on save', async () => {
    const put = await host.api('PUT', '/pipelines/with-fallback', {
      $schema: '../docs/pipeline.schema.json',
      name: 'with-fallback',
      steps: [
        { id: 'first', component: 'echo' },
        { id: 'second-step-with-a-long-id', component: 'echo', input: 'first', fallback: 'rescue', when: { not: { step: 'first', status: 'failed' } } },
        { id: 'rescue', component: 'secret-name', role: 'fallback' },
      ],
    });
    expect(put.status).toBe(200);
    await page.evaluate(() => {
      location.hash = '#/pipelines';
    });
    const graph = page.locator('article[data-pipeline="with-fallback"] svg.dag');
    await graph.waitFor(WAIT);
    const layout = await graph.evaluate((svg) => {
      const box = (id: string) => (svg.querySelector(`g[data-step="${id}"] rect`) as SVGRectElement).getBoundingClientRect();
      const overflow = [...svg.querySelectorAll('g.node')].flatMap((g) => {
        const width = (g.querySelector('rect') as SVGRectElement).width.baseVal.value;
        return [...g.querySelectorAll('text')].filter((t) => t.getBBox().x + t.getBBox().width > width - 2).map((t) => t.textContent);
      });
      const owner = box('second-step-with-a-long-id');
      const fallback = box('rescue');
      return { sameColumn: Math.abs(owner.x - fallback.x) < 1, below: fallback.y > owner.y, overflow };
    });
    expect(layout).toEqual({ sameColumn: true, below: true, overflow: [] });
    await page.click('a[href="#/compose/with-fallback"]');
    await page.waitForFunction(() => (document.querySelector('#step-2-id') as HTMLInputElement | null)?.value === 'rescue', null, WAIT);
    // A condition the form cannot show is kept as it is, and said so.
    expect(await page.inputValue('#step-1-when')).toBe('kept');
    expect(await page.textContent('fieldset.flow-when .kept-condition')).toBe('{"not":{"step":"first","status":"failed"}}');
    await page.click('button[type=submit]');
    await page.waitForSelector('#composer-message.notice', WAIT);
    const saved = await host.api<{ document: Record<string, unknown> }>('GET', '/pipelines/with-fallback/document');
    expect(saved.body.document.$schema).toBe('../docs/pipeline.schema.json');
    expect((saved.body.document.steps as Array<Record<string, unknown>>)[1]!.when).toEqual({ not: { step: 'first', status: 'failed' } });
  });

  it("shows a component's log lines in its Logs tab, the level filter in the URL", async () => {
    // echo-c logs "echo" at info on every event (the live test above sent one).
    await page.evaluate(() => {
      location.hash = '#/component/echo/logs?level=warn';
    });
    await page.waitForSelector('#logs-count:has-text("of the last")', WAIT);
    expect(await page.title()).toBe('Logs of echo · Components — Liquid Nano console');
    expect(await page.getAttribute('#tab-logs', 'aria-current')).toBe('page');
    expect(await page.locator('.log-line').count()).toBe(0);
    expect(await page.textContent('#logs-count')).toMatch(/^0 of the last [1-9]\d* lines/);
    await page.selectOption('#logs-level', 'info');
    // The guest's own line, and the host's lines about the component (its deploys, its rollback).
    await page.waitForSelector('.log-line.level-info:has-text("guest")', WAIT);
    expect(await page.textContent('.log-line.level-info:has-text("guest")')).toMatch(/ info \[1\.\d\.0\] guest echo$/);
    expect(await page.textContent('#component-logs')).toContain('rolled back');
    expect(await page.evaluate(() => location.hash)).toBe('#/component/echo/logs?level=info');
    // The text filter narrows to nothing, and back.
    await page.fill('#logs-text', 'no-such-text-in-any-line');
    await page.click('#component-logs button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('.log-line').length === 0, null, WAIT);
    expect(await page.evaluate(() => location.hash)).toBe('#/component/echo/logs?level=info&q=no-such-text-in-any-line');
    await page.fill('#logs-text', '');
    await page.click('#component-logs button[type=submit]');
    await page.waitForSelector('.log-line', WAIT);
    await page.click('#logs-pause');
    expect(await page.getAttribute('#logs-pause', 'aria-pressed')).toBe('true');
    await page.waitForSelector('#logs-count:has-text("(paused)")', WAIT);
  });

  it('fits every view on a phone and a laptop: no sideways scrolling, no console error, a working skip link, no serious axe violation', async () => {
    const views = [
      { hash: '#/components', ready: 'tr[data-component="echo"]', shot: 'components' },
      { hash: '#/component/echo', ready: 'table.versions tbody tr', shot: 'component' },
      { hash: '#/component/echo/logs', ready: '.log-line', shot: 'component-logs' },
      { hash: '#/component/no-such-component', ready: '#component-missing', shot: null },
      { hash: '#/audit', ready: '#audit-verification', shot: null },
      { hash: '#/live', ready: 'table.timeline tbody tr', shot: 'live' },
      { hash: '#/pipelines', ready: 'article[data-pipeline="two-step"] [data-run-status="succeeded"]', shot: 'pipelines' },
      { hash: '#/compose/two-step', ready: '#step-1-id', shot: null },
    ];
    const found: Array<{ view: string; size: string; problem: string }> = [];
    consoleErrors.length = 0;
    await page.goto(`${host.adminUrl}/console/#/components`);
    // Evaluated through the DevTools protocol: the console's CSP (rightly) refuses an injected <script>.
    await page.evaluate(readFileSync(AXE, 'utf8'));
    for (const [size, viewport, scheme] of [
      ['phone', PHONE, 'light'],
      ['laptop', LAPTOP, 'light'],
      ['phone dark', PHONE, 'dark'],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      for (const v of views) {
        const at = { view: v.hash, size };
        await page.evaluate((hash) => {
          location.hash = hash;
        }, v.hash);
        await page.waitForSelector(v.ready, WAIT);
        const fit = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, view: innerWidth }));
        if (fit.scroll > fit.view) found.push({ ...at, problem: `scrollWidth ${fit.scroll} > ${fit.view}` });
        if (!(await page.title()).endsWith('— Liquid Nano console')) found.push({ ...at, problem: `title ${await page.title()}` });
        // The skip link: the first Tab stop; Enter moves the focus to this view's heading and keeps the route.
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.focus('a.skip');
        await page.keyboard.press('Enter');
        const skip = await page.evaluate(() => ({ hash: location.hash, focus: document.activeElement === document.querySelector('main h1') }));
        if (skip.hash !== v.hash || !skip.focus) found.push({ ...at, problem: `skip link: ${JSON.stringify(skip)}` });
        if (scheme === 'light' || v.shot) {
          const violations = await page.evaluate(async () => {
            const axe = (
              window as unknown as {
                axe: { run(c: Document, o: object): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> };
              }
            ).axe;
            const result = await axe.run(document, { resultTypes: ['violations'] });
            return result.violations
              .filter((x) => x.impact === 'serious' || x.impact === 'critical')
              .map((x) => `${x.id} (${x.impact}): ${JSON.stringify(x.nodes.slice(0, 3).map((n) => n.target))}`);
          });
          for (const problem of violations) found.push({ ...at, problem });
        }
        if ((v.shot && size === 'phone') || (v.shot === 'pipelines' && size === 'phone dark')) {
          await page.evaluate(() => scrollTo(0, 0));
          await screenshot(`${v.shot}-${size.replace(' ', '-')}`);
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(LAPTOP);
    expect(found).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('renders 50 components without breaking the layout on a laptop or a tablet', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `bulk-component-with-a-long-name-${String(i).padStart(2, '0')}`);
    for (let i = 0; i < names.length; i += 5) {
      await Promise.all(names.slice(i, i + 5).map((n) => host.deploy(n, '1.0.0', { events: ['bulk.never'], limits: { minInstances: 0 } })));
    }
    await page.click('nav a[href="#/components"]');
    await page.waitForFunction(() => document.querySelectorAll('table.components tbody tr').length >= 52, null, { timeout: 30_000 });
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 820, height: 1180 },
    ]) {
      await page.setViewportSize(viewport);
      const layout = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        view: innerWidth,
        rows: document.querySelectorAll('table.components tbody tr').length,
      }));
      expect(layout.rows).toBe(52);
      expect(layout.page).toBeLessThanOrEqual(layout.view);
    }
    await screenshot('components-tablet');
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot('components-50');
  }, 120_000);

  it('is usable by keyboard: a skip link, the sections in tab order, visible focus', async () => {
    await page.goto('about:blank');
    await page.goto(`${host.adminUrl}/console/#/components`);
    if (await page.locator('#token').isVisible()) await login(host.token);
    await page.waitForSelector('nav', WAIT);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const order: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.textContent ?? ''));
    }
    expect(order).toEqual(['Components', 'Audit', 'Live', 'Pipelines']);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    const unlabelled = await page.evaluate(
      () =>
        [...document.querySelectorAll('input, select, textarea')].filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .length,
    );
    expect(unlabelled).toBe(0);
  });

  it('made every request to the admin listener: console files, or /v1 calls carrying the token', () => {
    const origin = new URL(host.adminUrl).origin;
    expect(requests.length).toBeGreaterThan(20);
    const outside = requests.filter((r) => new URL(r.url).origin !== origin);
    expect(outside).toEqual([]);
    for (const r of requests) {
      const path = new URL(r.url).pathname;
      expect(r.url).not.toContain(host.token);
      if (path.startsWith('/console/')) {
        expect(r.method).toBe('GET');
        expect(r.authorization).toBeUndefined();
      } else {
        expect(path).toMatch(/^\/v1\//);
        expect(r.authorization).toMatch(/^Bearer /);
      }
    }
    // After logging in, the data calls carry the real token (before it: the wrong and revoked ones).
    const authorized = requests.filter((r) => r.authorization === `Bearer ${host.token}`);
    expect(authorized.length).toBeGreaterThan(10);
    const paths = new Set(authorized.map((r) => `${r.method} ${new URL(r.url).pathname}`));
    expect(paths).toContain('POST /v1/components/echo/rollback');
    expect(paths).toContain('POST /v1/components/echo/capability-diff');
    expect(paths).toContain('PUT /v1/artifacts');
    expect(paths).toContain('POST /v1/deployments');
    expect(paths).toContain('POST /v1/components/echo/promote');
  });
});
