/**
 * Hard-link groups on the receiving side (hlink.c: match_hard_links(),
 * hard_link_check(), finish_hard_link(), skip_hard_link()).
 *
 * A group is identified by its gnum (the transmission index of its first
 * member). The first member that can be finished (already up to date, or
 * transferred) becomes the leader; the others are hard-linked to it. Members
 * missing at the destination wait for the group's last member in the list,
 * which is the one transferred, so a new group costs one transfer.
 */
import type { ListEntry, SubList } from '../flist/file-list.js';
import { FL } from '../flist/file-list.js';

export interface HardLinkGroup {
  /** Name of the finished leader (its content is final). */
  leader?: Uint8Array;
  /** Member whose transfer is in progress. */
  inTransfer?: ListEntry | undefined;
  /** Members to link once a leader is finished. */
  waiters: ListEntry[];
}

export class HardLinks {
  readonly groups = new Map<number, HardLinkGroup>();
  /** Per group, the last active member of each list (FLAG_HLINK_LAST). */
  readonly #last = new Set<ListEntry>();

  readonly #lastByGnum = new Map<number, ListEntry>();

  /**
   * match_hard_links() for one received list: the group's last member so far
   * (across lists, as rsync's prior_hlinks chain does) is the one transferred.
   */
  addList(list: SubList): void {
    for (const e of list.entries) {
      if (e.gnum === undefined || e.fl & FL.CLEARED) continue;
      const prev = this.#lastByGnum.get(e.gnum);
      if (prev) this.#last.delete(prev);
      this.#lastByGnum.set(e.gnum, e);
      this.#last.add(e);
    }
  }

  group(e: ListEntry): HardLinkGroup {
    const g = e.gnum!;
    let grp = this.groups.get(g);
    if (!grp) {
      grp = { waiters: [] };
      this.groups.set(g, grp);
    }
    return grp;
  }

  isLast(e: ListEntry): boolean {
    return this.#last.has(e);
  }

  /** Makes `e` the last member (after the real last one was skipped). */
  markLast(e: ListEntry): void {
    this.#last.add(e);
  }
}
