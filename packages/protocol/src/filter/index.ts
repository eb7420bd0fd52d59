export { wildmatch, wildmatchWhere } from './wildmatch.js';
export {
  CVS_IGNORE,
  FilterSyntaxError,
  cvsRules,
  parseFilterRule,
  ruleFileLines,
  simpleRule,
  type FilterRule,
  type ParsedFilter,
} from './rules.js';
export { FilterList, ruleMatches, type FilterSide } from './filter-list.js';
export {
  decodeFilterList,
  encodeFilterList,
  rulePrefix,
  ruleIsRemote,
  type FilterWireOptions,
} from './wire.js';
