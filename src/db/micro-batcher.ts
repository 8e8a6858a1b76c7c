/**
 * Group commit for concurrent jobs: items submitted while a flush is running (or within the same
 * tick) are handled together by one `run`, so a hundred concurrent sends make a few database
 * round trips instead of hundreds. Each submitter gets its own item's result; if `run` throws,
 * every item of that flush gets the error (their jobs fail and are retried, as a single one would).
 * Batches grow with load and shrink to one item when it is quiet, so nothing waits for a timer.
 */
export class MicroBatcher<I, O> {
  readonly #pending: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: {
      maxItems: number;
      maxInFlight: number;
      /** With `maxWeight`: what an item counts for (e.g. the events of a request); a flush stops before exceeding `maxWeight`, but always takes one item. */
      weigh?: (item: I) => number;
      maxWeight?: number;
    },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.length === 0 || this.#inFlight >= this.options.maxInFlight) return;
    this.#scheduled = true;
    // The rest of this tick's submissions join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  /** How many pending items the next flush takes: up to maxItems, and up to maxWeight when items are weighed. */
  #takeCount(): number {
    const { maxItems, weigh, maxWeight } = this.options;
    if (!weigh || maxWeight === undefined) return maxItems;
    let weight = 0;
    let count = 0;
    for (const { item } of this.#pending) {
      if (count === maxItems) break;
      weight += weigh(item);
      if (count > 0 && weight > maxWeight) break;
      count++;
    }
    return count;
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0 || this.#inFlight >= this.options.maxInFlight) return;
    const batch = this.#pending.splice(0, this.#takeCount());
    this.#inFlight++;
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} gave ${results.length} results: run must answer each item in order`);
      results.forEach((result, i) => batch[i]?.resolve(result));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.#inFlight--;
      this.#schedule();
    }
  }
}
