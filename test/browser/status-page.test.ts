import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { waitFor } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from '../admin/admin-pipeline.ts';
import { hasChromium, launchChromium } from './chromium.ts';

const FAILED_RUN_KEY = 'plextera:evt_01JY7MWFFAIL00000000001';

describe.skipIf(!hasChromium)('the status page in headless Chromium', () => {
  let slack: SlackStandIn;
  let p: AdminPipeline;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.close();
    await slack?.stop();
  });

  it('logs in, shows a failed run with its error and dead letter, and replays the delivery', async () => {
    // Slack refuses the message for good: the delivery is dead-lettered at once.
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    expect((await sendSigned(p.baseUrl, 'plextera', fixture('plextera', 'workflow.run.failed'))).status).toBe(202);
    await waitFor(async () => (await p.queues.slack.getFailed()).length === 1, 15_000, 'a Slack dead letter');
    // A hostile payload: every value on the page must be inert text.
    const hostile = fixture('persona', 'importer-pipeline-run.errored')
      .replace('evt_ABC123DEF456GHI789JKL012MNO345', 'evt_hostile')
      .replace('Customer Data Import', '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>');
    expect((await sendSigned(p.baseUrl, 'persona', hostile)).status).toBe(202);
    await waitFor(async () => (await p.db.query('select 1 from job_runs')).rowCount === 2, 15_000, 'two job runs');

    const response = await page.goto(p.adminUrl);
    expect(page.url()).toBe(`${p.adminUrl}/login`);
    expect(response?.status()).toBe(200);
    await page.fill('#token', 'not-the-token-0000000');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[role=alert]')).toMatch(/not the admin token/);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(p.adminUrl);

    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'hookline_admin', httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);

    const failedRun = page.locator(`table.runs[data-provider=plextera] tr[data-event-key="${FAILED_RUN_KEY}"]`);
    await expect.poll(() => failedRun.getAttribute('data-status')).toBe('failed');
    expect(await failedRun.textContent()).toContain('Client endpoint rejected the request.');
    const deadLetter = page.locator(`#dead-letters tr[data-event-key="${FAILED_RUN_KEY}"]`);
    expect(await deadLetter.textContent()).toContain('invalid_payload');

    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('table.runs[data-provider=persona]').textContent()).toContain('<script>window.__pwned=1</script>');

    await deadLetter.getByRole('button', { name: `Replay slack delivery of ${FAILED_RUN_KEY}` }).click();
    await page.waitForURL(/replayed=1/);
    expect(await page.textContent('.flash')).toMatch(/Replayed 1 dead letter/);

    const isFailedRun = (request: { body: Record<string, unknown> }) => String(request.body.text).includes('69d224901610662a576cd7e6');
    await waitFor(async () => slack.delivered.some(isFailedRun), 15_000, 'the replayed Slack message');
    expect(slack.requests.filter(isFailedRun)).toHaveLength(2);
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator('#dead-letters .empty').textContent();
      }, { timeout: 10_000 })
      .toBe('No dead letters.');
    expect(await page.locator('#queues tr[data-queue=deliver-slack] td').nth(4).textContent()).toBe('0');
    expect(p.logs.text).not.toContain(ADMIN_TOKEN);
  });

  it('shows Bull Board under /admin/queues to the logged-in browser only, under its CSP, loading nothing from elsewhere', async () => {
    const requested: string[] = [];
    const refusedByCsp: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refusedByCsp.push(message.text());
    });
    const response = await page.goto(`${p.adminUrl}/queues/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['x-powered-by']).toBeUndefined();
    await expect.poll(() => page.title()).toMatch(/hookline/i);
    // The board's own UI rendered (React, its API calls), not just the loading placeholder.
    await expect.poll(() => page.locator('#root').textContent(), { timeout: 10_000 }).toMatch(/deliver-slack/);
    expect(refusedByCsp).toEqual([]);
    const origin = new URL(p.adminUrl).origin;
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    const anonymous = await browser.newPage();
    await anonymous.goto(`${p.adminUrl}/queues/`);
    expect(anonymous.url()).toBe(`${p.adminUrl}/login`);
    await anonymous.close();
  });

  it('logs out: the cookie the browser had before opens nothing afterwards', async () => {
    await page.goto(p.adminUrl);
    const [before] = await page.context().cookies();
    expect(before?.name).toBe('hookline_admin');
    await page.getByRole('button', { name: 'Log out' }).first().click();
    await page.waitForURL(`${p.adminUrl}/login`);
    // A browser that kept (or stole) the old cookie is sent to the login form.
    const other = await browser.newContext();
    await other.addCookies([before!]);
    const stale = await other.newPage();
    await stale.goto(p.adminUrl);
    expect(stale.url()).toBe(`${p.adminUrl}/login`);
    await other.close();
  });
});
