import { compareCodePoints } from '../contract/code-point-order.js';
import { SortedChunks } from './sorted-chunks.js';

/**
 * Document ids kept in code-point order for cursor paging. Adding or removing an id costs O(log n) plus one
 * chunk, whatever the order ids arrive in and however reads interleave with writes (a sorted array with a
 * buffer merged on the next read cost the whole index per read after a write).
 */
export class SortedIdIndex {
  private readonly ids = new SortedChunks<string, string>((id) => id, compareCodePoints);

  add(id: string): void {
    this.ids.insert(id);
  }

  remove(id: string): void {
    this.ids.remove(id);
  }

  /** At most `limit` ids strictly after `cursor`. */
  page(limit: number, cursor: string | null): string[] {
    const page: string[] = [];
    if (limit <= 0) return page;
    for (const id of this.ids.itemsAbove(cursor ?? undefined)) {
      page.push(id);
      if (page.length === limit) break;
    }
    return page;
  }
}
