/** A counting semaphore: `const release = await sem.acquire(); try { … } finally { release(); }`. */
export class Semaphore {
  #free: number;
  #waiters: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Waits for a slot; resolves with the function that gives it back. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          const next = this.#waiters.shift();
          if (next) next();
          else this.#free++;
        });
      };
      if (this.#free > 0) {
        this.#free--;
        grant();
      } else {
        this.#waiters.push(grant);
      }
    });
  }
}
