import { SinkError } from '../shared/errors.ts';

/**
 * Settles with `work`, or rejects (retryable) as soon as `signal` aborts. `work` itself may still
 * finish later; every sink is idempotent or deduplicated by the worker, so a retry is safe.
 */
export function abortable<T>(sink: string, work: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = () => new SinkError(sink, `${sink} delivery aborted: ${reason(signal)}`, { retryable: true });
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function reason(signal: AbortSignal): string {
  const value: unknown = signal.reason;
  // AbortSignal.timeout() aborts with a DOMException whose legacy code is TIMEOUT_ERR.
  if (value instanceof DOMException && value.code === DOMException.TIMEOUT_ERR) return 'timed out';
  if (value instanceof Error) return value.message;
  return 'aborted';
}
