type Waiting<T> = { item: T; resolve: () => void; reject: (error: unknown) => void };

/**
 * Coalesces calls made in the same tick into one call of `run` with all their items (up to
 * `maxBatch`). Each caller's promise settles with its batch: a failed batch fails every caller in it,
 * which is right for an all-or-nothing write such as one INSERT.
 */
export function createBatcher<T>(run: (items: T[]) => Promise<void>, maxBatch: number): (item: T) => Promise<void> {
  let waiting: Waiting<T>[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      run(batch.map((entry) => entry.item)).then(
        () => batch.forEach((entry) => entry.resolve()),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
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
