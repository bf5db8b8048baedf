/**
 * The container's HEALTHCHECK: exits 0 when this process' own /healthz answers 200 within 3 s.
 * Plain Node, no curl or wget in the slim image.
 */
export {};

const port = process.env.PORT?.trim() || '3000';

try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
