import { compareCodePoints } from '../contract/code-point-order.js';

/**
 * Document ids kept in code-point order for cursor paging. New ids wait in a small unsorted buffer
 * and are merged in on the next read, so creating many documents costs O(1) each, not a splice.
 */
export class SortedIdIndex {
  private sorted: string[] = [];
  private pending: string[] = [];
  private pendingSet = new Set<string>();

  add(id: string): void {
    this.pending.push(id);
    this.pendingSet.add(id);
  }

  remove(id: string): void {
    if (this.pendingSet.delete(id)) {
      this.pending.splice(this.pending.indexOf(id), 1);
      return;
    }
    const index = this.lowerBound(id);
    if (this.sorted[index] === id) this.sorted.splice(index, 1);
  }

  /** At most `limit` ids strictly after `cursor`. */
  page(limit: number, cursor: string | null): string[] {
    this.mergePending();
    let start = 0;
    if (cursor !== null) {
      start = this.lowerBound(cursor);
      if (this.sorted[start] === cursor) start++;
    }
    return this.sorted.slice(start, start + limit);
  }

  private mergePending(): void {
    if (this.pending.length === 0) return;
    const incoming = this.pending.sort(compareCodePoints);
    const merged: string[] = new Array<string>(this.sorted.length + incoming.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.sorted.length && j < incoming.length) {
      merged[k++] = compareCodePoints(this.sorted[i]!, incoming[j]!) <= 0 ? this.sorted[i++]! : incoming[j++]!;
    }
    while (i < this.sorted.length) merged[k++] = this.sorted[i++]!;
    while (j < incoming.length) merged[k++] = incoming[j++]!;
    this.sorted = merged;
    this.pending = [];
    this.pendingSet.clear();
  }

  /** First index whose id is >= `id`. */
  private lowerBound(id: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareCodePoints(this.sorted[mid]!, id) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
