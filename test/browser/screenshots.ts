import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';

/** Test artefacts, gitignored (test/browser/.gitignore). */
const ARTEFACTS = new URL('./screenshots/', import.meta.url).pathname;
/** The README's pictures, written only when asked: HOOKLINE_DOCS_SCREENSHOTS=1. */
const DOCS = new URL('../../docs/', import.meta.url).pathname;
const WRITE_DOCS = process.env.HOOKLINE_DOCS_SCREENSHOTS === '1';

/** Saves the page as test artefact `<name>.png`, and as `docs/status-<name>.png` when docs are being written. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTEFACTS}${name}.png`, fullPage: true });
  if (WRITE_DOCS) {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: `${DOCS}status-${name}.png`, fullPage: true });
  }
}

/** The little of the DOM these tests read; the project compiles without the DOM library. */
type Window = { innerWidth: number; document: { documentElement: { scrollWidth: number; scrollHeight: number } } };

/** The document's scrolling size, and the viewport's width. */
export function documentSize(page: Page): Promise<{ width: number; height: number; viewport: number }> {
  return page.evaluate(() => {
    const window = globalThis as unknown as Window;
    return { width: window.document.documentElement.scrollWidth, height: window.document.documentElement.scrollHeight, viewport: window.innerWidth };
  });
}

/** How far the document reaches beyond the viewport sideways (0 or less: no horizontal scrolling). */
export async function horizontalOverflow(page: Page): Promise<number> {
  const size = await documentSize(page);
  return size.width - size.viewport;
}
