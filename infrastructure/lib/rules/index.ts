export {
  ADR002_PACK,
  ADR002_RULES,
  Adr002Checks,
  type Adr002Rule,
  MIN_REASON_LENGTH,
} from './adr002-checks.ts';
