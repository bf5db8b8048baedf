type Waiting<T> = { item: T; resolve: () => void; reject: (error: unknown) => void };

export type BatcherOptions = {
  maxBatch: number;
  /**
   * Whether a failed batch should be split and each item run alone. For errors about one item (a
   * row the database refuses), so that one bad event does not fail its neighbours; not for errors
   * about the destination (the database is down), where running every item again only adds load.
   */
  splitOnError?: (error: unknown) => boolean;
};

/**
 * Coalesces calls made in the same tick into one call of `run` with all their items (up to
 * `maxBatch`). Each caller's promise settles with its batch, which is right for an all-or-nothing
 * write such as one INSERT, unless `splitOnError` asks for each item to be tried alone.
 */
export function createBatcher<T>(run: (items: T[]) => Promise<void>, options: BatcherOptions): (item: T) => Promise<void> {
  let waiting: Waiting<T>[] = [];
  let scheduled = false;

  function settleAlone(entry: Waiting<T>): void {
    run([entry.item]).then(entry.resolve, entry.reject);
  }

  function flush(): void {
    scheduled = false;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, options.maxBatch);
      run(batch.map((entry) => entry.item)).then(
        () => batch.forEach((entry) => entry.resolve()),
        (error: unknown) => {
          if (batch.length > 1 && options.splitOnError?.(error)) batch.forEach(settleAlone);
          else batch.forEach((entry) => entry.reject(error));
        },
      );
    }
  }

  return (item: T) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
