type Waiting<T, R> = { item: T; resolve: (result: R) => void; reject: (error: unknown) => void };

export type BatcherOptions = {
  maxBatch: number;
  /**
   * Whether a failed batch should be split and each item run alone. For errors about one item (a
   * row the database refuses), so that one bad event does not fail its neighbours; not for errors
   * about the destination (the database is down), where running every item again only adds load.
   */
  splitOnError?: (error: unknown) => boolean;
  /**
   * Runs at most this many batches at once; items arriving meanwhile wait for the next batch (group
   * commit). Under load batches grow instead of queries piling up; when idle nothing waits longer.
   */
  maxInFlight?: number;
};

/**
 * Coalesces calls made in the same tick into one call of `run` with all their items (up to
 * `maxBatch`). Each caller's promise settles with its batch, which is right for an all-or-nothing
 * write such as one INSERT, unless `splitOnError` asks for each item to be tried alone. When `run`
 * returns an array, each caller gets the element at its item's index.
 */
export function createBatcher<T, R = void>(
  run: (items: T[]) => Promise<readonly R[] | void>,
  options: BatcherOptions,
): (item: T) => Promise<R> {
  const waiting: Waiting<T, R>[] = [];
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  let inFlight = 0;
  let scheduled = false;

  function settleAlone(entry: Waiting<T, R>): void {
    run([entry.item]).then((results) => entry.resolve(results?.[0] as R), entry.reject);
  }

  function schedule(): void {
    if (scheduled || waiting.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    while (waiting.length > 0 && inFlight < maxInFlight) {
      const batch = waiting.splice(0, options.maxBatch);
      inFlight += 1;
      run(batch.map((entry) => entry.item))
        .then(
          (results) => batch.forEach((entry, index) => entry.resolve(results?.[index] as R)),
          (error: unknown) => {
            if (batch.length > 1 && options.splitOnError?.(error)) batch.forEach(settleAlone);
            else batch.forEach((entry) => entry.reject(error));
          },
        )
        .finally(() => {
          inFlight -= 1;
          schedule();
        });
    }
  }

  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
