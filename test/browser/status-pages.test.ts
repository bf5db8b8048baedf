import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { waitFor } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from '../admin/admin-pipeline.ts';
import { hasChromium, launchChromium } from './chromium.ts';
import { documentSize, horizontalOverflow, screenshot } from './screenshots.ts';

/** One Persona run through its lifecycle, a run with a 3,000-character name, a Plextera failure, an event nobody can normalize. */
const RUN_ID = 'mprtpr_LIFE0001';
const FAILED_KEY = 'persona:evt_LIFE_errored';
const LONG_KEY = 'persona:evt_LONG_errored';
const UNKNOWN_KEY = 'plextera:evt_unknown_type';
const LONG_NAME = `Nightly ${'N'.repeat(3_000)}`;

const errored = (eventId: string, runId: string, at: string, name?: string) => {
  const body = fixture('persona', 'importer-pipeline-run.errored')
    .replace('evt_ABC123DEF456GHI789JKL012MNO345', eventId)
    .replace('"id": "mprtpr_ABC123DEF456"', `"id": "${runId}"`)
    .replace('"created-at": "2024-01-15T11:05:15.732Z"', `"created-at": "${at}"`);
  return name === undefined ? body : body.replace('"Customer Data Import"', JSON.stringify(name));
};

describe.skipIf(!hasChromium)('the run, series, search pages and charts in headless Chromium', () => {
  let slack: SlackStandIn;
  let p: AdminPipeline;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
    for (const stage of ['started', 'paused', 'resumed']) {
      expect((await sendSigned(p.baseUrl, 'persona', fixture('persona', `variants/importer-pipeline-run.${stage}`))).status).toBe(202);
    }
    expect((await sendSigned(p.baseUrl, 'persona', errored('evt_LIFE_errored', RUN_ID, '2024-01-17T03:00:00.000Z'))).status).toBe(202);
    expect((await sendSigned(p.baseUrl, 'persona', errored('evt_LONG_errored', 'mprtpr_LONG0001', '2024-01-17T04:00:00.000Z', LONG_NAME))).status).toBe(202);
    expect((await sendSigned(p.baseUrl, 'plextera', fixture('plextera', 'workflow.run.failed'))).status).toBe(202);
    const unknown = JSON.stringify({ eventId: 'evt_unknown_type', eventType: 'billing.invoice.paid', data: {} });
    expect((await sendSigned(p.baseUrl, 'plextera', unknown)).status).toBe(202);
    await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 6, 20_000, 'six stored events');
    await waitFor(async () => (await p.queues.ingest.getFailedCount()) === 1, 15_000, 'the unnormalizable event');
    // Three failures to alert on (a burst may go out as one digest): every Slack job has finished.
    await waitFor(async () => (await p.queues.slack.getCompletedCount()) === 3, 20_000, 'three Slack jobs completed');

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(`${p.adminUrl}/login`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(p.adminUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await p?.close();
    await slack?.stop();
  });

  it('charts the last 24 hours by status and provider with readable counts, and the deliveries’ latency', async () => {
    await page.goto(p.adminUrl);
    expect(await page.getAttribute('#chart-status', 'data-total')).toBe('6');
    expect(await page.getAttribute('#chart-status li[data-series=failed]', 'data-total')).toBe('3');
    expect(await page.textContent('#chart-status li[data-series=failed]')).toContain('failed 3');
    expect(await page.getAttribute('#chart-provider li[data-series=persona]', 'data-total')).toBe('5');
    expect(await page.getAttribute('#chart-provider li[data-series=plextera]', 'data-total')).toBe('1');
    // Each bar says its counts in its <title> (the tooltip, and what a screen reader reads).
    const titles = await page.locator('#chart-status g.bar[data-total]:not([data-total="0"]) > title').allTextContents();
    expect(titles.join(' ')).toMatch(/UTC: \d+ events? — .*\d+ failed/);
    expect(await page.locator('#chart-latency g.latency[data-destination=database]').getAttribute('data-samples')).toBe('6');
    expect(await page.locator('#chart-latency g.latency[data-destination=slack]').getAttribute('data-samples')).toBe('3');
    expect(slack.delivered.length).toBeGreaterThan(0);
    expect(await page.getAttribute('#chart-dead-letters li[data-series=ingest]', 'data-total')).toBe('1');
    await screenshot(page, 'overview');
  });

  it('searches for an event, opens it and sees each delivery attempt, then follows the run timeline and its series', async () => {
    await page.goto(`${p.adminUrl}/events`);
    await page.fill('input[name=who]', RUN_ID);
    await page.selectOption('select[name=provider]', 'persona');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/who=mprtpr_LIFE0001/);
    expect(await page.locator('table.results tbody tr').count()).toBe(4);
    await page.fill('input[name=text]', '150 of 150 rows errored');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/text=/);
    expect(await page.locator('table.results tbody tr').count()).toBe(1);
    expect(await page.inputValue('input[name=who]')).toBe(RUN_ID);
    await screenshot(page, 'search');

    await page.locator(`table.results tr[data-event-key="${FAILED_KEY}"] td.key a`).click();
    await page.waitForURL(/\/admin\/events\/persona%3Aevt_LIFE_errored$/);
    const slackRow = page.locator('table.deliveries tr[data-destination=slack]');
    expect(await slackRow.getAttribute('data-state')).toBe('completed');
    expect(await slackRow.locator('td').nth(3).textContent()).toBe('1');
    expect(await page.locator('table.deliveries tr[data-destination=database]').textContent()).toMatch(/stored/);
    await screenshot(page, 'event');

    await page.click('#run-link');
    await page.waitForURL(/\/admin\/runs\/persona\/mprtpr_LIFE0001$/);
    expect(await page.textContent('#run-path')).toBe('started → paused → resumed → failed');
    expect(await page.locator('ol.timeline li').evaluateAll((items) => items.map((item) => item.getAttribute('data-status')))).toEqual([
      'started',
      'paused',
      'resumed',
      'failed',
    ]);
    // 02:00:00.250 → 03:00:00.000
    expect(await page.textContent('#run-duration')).toMatch(/^59 min/);
    expect(await page.locator('#incidents tr[data-state=open]').count()).toBe(1);
    await screenshot(page, 'run');

    await page.click('#series-link');
    await page.waitForURL(/\/admin\/series\/persona\/mprtp_XYZ789ABC123$/);
    expect(await page.locator('#series-runs tr[data-run]').count()).toBe(2);
    expect(await page.getAttribute(`#series-runs tr[data-run="${RUN_ID}"] td[data-seconds]`, 'data-seconds')).toBe('3600');
    expect(await page.textContent('#series-outcomes')).toBe('2 failed');
    await screenshot(page, 'series');
  });

  it('replays an event nobody can normalize: the filters stay, and the top says it failed again', async () => {
    await page.goto(`${p.adminUrl}?provider=plextera`);
    await page.getByRole('button', { name: `Replay normalizing of ${UNKNOWN_KEY}` }).click();
    await page.waitForURL(/replayed=1/);
    const url = new URL(page.url());
    expect(url.searchParams.get('provider')).toBe('plextera');
    expect(await page.textContent('#replay-outcome')).toMatch(/Replayed 1 dead letter\. It failed again/);
    expect(await page.getAttribute('#replay-outcome li', 'data-state')).toBe('failed');
    expect(await page.textContent('#replay-outcome li')).toContain(UNKNOWN_KEY);
    expect(await page.locator(`#dead-letters tr[data-event-key="${UNKNOWN_KEY}"]`).count()).toBe(1);
  });

  it('keeps a 3,000-character name to its column, whole in the tooltip and on the event page', async () => {
    await page.goto(`${p.adminUrl}/runs`);
    const clipped = page.locator('table.results span.clipped', { hasText: 'Nightly NNN' }).first();
    expect((await clipped.getAttribute('title'))?.length).toBeGreaterThanOrEqual(3_000);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const size = await documentSize(page);
    expect(size.width).toBeLessThanOrEqual(1280);
    expect(size.height).toBeLessThan(5_000);
    await page.goto(`${p.adminUrl}/events/${encodeURIComponent(LONG_KEY)}`);
    expect(await page.textContent('table.fields')).toContain(LONG_NAME);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });

  it('fits a 390-pixel-wide phone: no page scrolls sideways', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    await phone.addCookies(await context.cookies());
    const small = await phone.newPage();
    const pages = [
      '',
      '/events',
      '/runs',
      `/events/${encodeURIComponent(LONG_KEY)}`,
      `/events/${encodeURIComponent(FAILED_KEY)}`,
      `/runs/persona/${RUN_ID}`,
      '/series/persona/mprtp_XYZ789ABC123',
    ];
    for (const path of pages) {
      await small.goto(`${p.adminUrl}${path}`);
      expect(small.url()).not.toMatch(/\/login/);
      expect(await horizontalOverflow(small), path || '/admin').toBeLessThanOrEqual(0);
    }
    await small.goto(p.adminUrl);
    await screenshot(small, 'phone');
    await phone.close();
  });

  it('refreshes itself only when asked to, keeping its filters', async () => {
    await page.goto(`${p.adminUrl}/events?provider=persona`);
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0);
    await page.click('.refresh a:text-is("30 s")');
    await page.waitForURL(/refresh=30/);
    expect(await page.getAttribute('meta[http-equiv=refresh]', 'content')).toBe('30; url=/admin/events?provider=persona&refresh=30');
  });
});
