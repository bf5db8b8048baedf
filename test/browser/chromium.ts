import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Browser tests skip (loudly) where Debian's chromium is not installed; `.ci/run` installs it. */
export const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium) {
  console.warn(`[hookline tests] ${CHROMIUM_PATH} not found: browser tests are skipped (apt-get install -y chromium)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
