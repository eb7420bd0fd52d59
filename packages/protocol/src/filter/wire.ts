/**
 * The filter list on the wire (exclude.c: send_rules(), get_rule_prefix(),
 * recv_filter_list()): `int32 len, bytes` per rule, ended by int32 0.
 * Rule text = prefix + pattern [+ "/" for dir-only rules].
 */
import { BIGPATHBUFLEN } from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';
import { FilterSyntaxError, parseFilterRule, simpleRule, type FilterRule } from './rules.js';

export interface FilterWireOptions {
  protocol: number;
  /** The local side sends the files (push) or receives them (pull). */
  amSender: boolean;
  deleteExcluded: boolean;
}

/** Which rules a client sends to its server, and which it keeps for itself (send_rules() elide logic). */
export function ruleIsRemote(r: FilterRule, o: FilterWireOptions): boolean {
  if (r.senderSide && !r.receiverSide) return !o.amSender;
  if (r.receiverSide && !r.senderSide) return o.amSender;
  return true;
}

/** get_rule_prefix(rule, for_xfer=1); undefined if the peer's protocol cannot express it. */
export function rulePrefix(r: FilterRule, o: FilterWireOptions): string | undefined {
  const legalLen = o.protocol < 29 ? 1 : 16;
  let p = '';
  const pat = Buffer.from(r.pattern).toString('latin1');
  let withSpace = true;
  if (r.dirMerge) {
    if (legalLen === 1) return undefined;
    p += ':';
  } else if (r.include) p += '+';
  else if (legalLen !== 1 || ((pat[0] === '-' || pat[0] === '+') && pat[1] === ' ')) p += '-';
  else withSpace = false;
  if (r.negate) p += '!';
  if (r.dirMerge) p += r.mergeMods.replace(/[^-+nweC]/g, '');
  if (r.senderSide && o.protocol >= 29) p += 's';
  if (r.receiverSide && (o.protocol >= 29 || (o.deleteExcluded && o.amSender))) p += 'r';
  if (r.perishable) {
    if (o.protocol >= 30) p += 'p';
    else if (o.amSender) return undefined;
  }
  if (p.length > (withSpace ? legalLen : 0)) return undefined;
  return withSpace ? `${p} ` : p;
}

export function encodeFilterList(w: WireWriter, rules: readonly FilterRule[], o: FilterWireOptions): void {
  for (const r of rules) {
    if (r.clear || (r.mergeMods === 'C' && !r.dirMerge)) continue;
    if (!ruleIsRemote(r, o)) continue;
    const prefix = rulePrefix(r, o);
    if (prefix === undefined) throw new FilterSyntaxError('filter rules are too modern for remote rsync.');
    const body = Buffer.concat([
      Buffer.from(prefix, 'latin1'),
      r.pattern,
      r.dirOnly ? Buffer.from('/') : Buffer.alloc(0),
    ]);
    if (body.length === 0) continue;
    w.i32(body.length).bytes(body);
  }
  w.i32(0);
}

/** Reads one whole filter list (recv_filter_list()); rewinds on ShortRead. */
export function decodeFilterList(r: WireReader, protocol: number): FilterRule[] {
  const start = r.offset;
  try {
    const out: FilterRule[] = [];
    for (;;) {
      const len = r.i32();
      if (len === 0) return out;
      if (len < 0 || len >= BIGPATHBUFLEN) throw new ProtocolError(`filter rule length ${len} out of range`);
      const text = Buffer.from(r.bytes(len)).toString('latin1');
      try {
        if (protocol < 29) out.push(simpleRule(false, text));
        else {
          const p = parseFilterRule(text);
          if (p.mergeFile) throw new ProtocolError(`merge-file rule received from peer: ${text}`);
          if (p.rule) out.push(p.rule);
        }
      } catch (e) {
        if (e instanceof FilterSyntaxError)
          throw new ProtocolError(`invalid filter rule from peer: ${e.message}`);
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}

/**
 * exclude.c:send_filter_list(): a sending client writes no list at all unless
 * the receiver needs rules for deletion; the receiving server reads one under
 * the same condition.
 */
export function receiverWantsFilterList(
  o: { delete: unknown; deleteExcluded: boolean },
  protocol: number,
): boolean {
  return o.delete !== undefined && (!o.deleteExcluded || protocol >= 29);
}
