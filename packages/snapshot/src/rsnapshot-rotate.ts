/**
 * Pure planner for rsnapshot-style rotation (snapshot-tools.md §2.2–2.4, rsnapshot 1.5 semantics).
 *
 * One deliberate difference from rsnapshot: rsnapshot rotates the lowest level *before* the transfer, so a failed
 * run has already pushed every snapshot down and deleted the oldest (§2.2 "Consequences"). tsrsync builds the new
 * snapshot in a staging directory first and only plans the rotation once that succeeded, so a failure changes
 * nothing. Higher levels keep the 1.5 behaviour of refusing when the previous level is not full yet (§2.3 step 1);
 * the 1.4.5 behaviour that rotates history into deletion is not reproduced.
 */
import type { RsnapshotLevel } from './rsnapshot-conf.js';

export type RotateOp = { op: 'delete'; name: string } | { op: 'rename'; from: string; to: string };

/** A rotation that must not happen; nothing has been (or may be) changed. */
export class RotateRefused extends Error {
  override readonly name = 'RotateRefused';
}

export const slotName = (level: string, index: number): string => `${level}.${index}`;

/**
 * §2.3 steps 2–3 (also §2.2 steps 2–3): delete `name.max` if present, then shift `name.i → name.(i+1)` for
 * i = max-1 … 0. Missing numbers are skipped, so holes stay holes.
 */
function dropAndShift(existing: ReadonlySet<string>, name: string, count: number): RotateOp[] {
  const ops: RotateOp[] = [];
  const max = count - 1;
  if (existing.has(slotName(name, max))) ops.push({ op: 'delete', name: slotName(name, max) });
  for (let i = max - 1; i >= 0; i--) {
    if (existing.has(slotName(name, i)))
      ops.push({ op: 'rename', from: slotName(name, i), to: slotName(name, i + 1) });
  }
  return ops;
}

/**
 * Lowest level, after the new snapshot succeeded in staging dir `staging`: drop L.(max), shift L.i→L.(i+1) for
 * i=max-1..0 (holes stay holes), then staging→L.0. count 1: delete L.0 then staging → L.0.
 *
 * Compared with §2.2 step 4 there is no `cp -al L.0 L.1`: the staged tree is a fresh directory (hard-linked
 * against older snapshots by the transfer), so L.0 simply moves down like every other slot. That also avoids the
 * "chmod rewrites history" problem of link_dest 0. A missing staging dir is refused like 1.5 refuses a missing
 * `.sync` (§2.4).
 */
export function planLowest(
  existing: ReadonlySet<string>,
  level: RsnapshotLevel,
  staging: string,
): RotateOp[] {
  if (!existing.has(staging))
    throw new RotateRefused(
      `Staging directory ${staging} not found, refusing to rotate this level (${level.name})`,
    );
  if (staging.startsWith(`${level.name}.`))
    throw new Error(`staging directory ${staging} must not look like a slot of level ${level.name}`);
  return [
    ...dropAndShift(existing, level.name, level.count),
    { op: 'rename', from: staging, to: slotName(level.name, 0) },
  ];
}

/**
 * Higher level k>0 (§2.3): refuse (RotateRefused with rsnapshot 1.5's message) if prev.(pmax) is missing; else
 * delete name.(max) if present, shift, and rename (not copy) prev.(pmax) → name.0.
 */
export function planHigher(
  existing: ReadonlySet<string>,
  levels: readonly RsnapshotLevel[],
  levelName: string,
): RotateOp[] {
  const k = levels.findIndex((l) => l.name === levelName);
  const level = levels[k];
  const prev = levels[k - 1];
  if (!level) throw new Error(`unknown backup level "${levelName}"`);
  if (!prev) throw new Error(`"${levelName}" is the lowest level; rotate it with planLowest`);
  const source = slotName(prev.name, prev.count - 1);
  if (!existing.has(source))
    throw new RotateRefused(
      `Did not find previous interval max (${source}), refusing to rotate this level (${levelName})`,
    );
  return [
    ...dropAndShift(existing, level.name, level.count),
    { op: 'rename', from: source, to: slotName(level.name, 0) },
  ];
}

/** Applies a plan to a set of names (simulation and tests). Throws, leaving `existing` untouched, if a step is impossible. */
export function applyOps(existing: Set<string>, ops: readonly RotateOp[]): void {
  const next = new Set(existing);
  for (const op of ops) {
    if (op.op === 'delete') {
      if (!next.delete(op.name)) throw new Error(`cannot delete ${op.name}: it does not exist`);
    } else {
      if (!next.has(op.from)) throw new Error(`cannot rename ${op.from}: it does not exist`);
      if (next.has(op.to)) throw new Error(`cannot rename ${op.from} to ${op.to}: target exists`);
      next.delete(op.from);
      next.add(op.to);
    }
  }
  existing.clear();
  for (const name of next) existing.add(name);
}
