// Zod field types for human units. Patterns are in the schema itself (not only in transforms)
// so the generated JSON Schema rejects what the loader rejects.
import { z } from 'zod';
import { parseDuration, parsePercent, parseRate } from './units.js';

const DURATION_PATTERN = /^\s*(\d+(\.\d+)?(ms|s|m|h|d))+\s*$/;

export const duration = z
  .string({ error: 'expected a duration such as 30s, 5m or 2h' })
  .regex(DURATION_PATTERN, { error: (issue) => `${JSON.stringify(issue.input)} is not a duration; use a number with ms, s, m, h or d (e.g. 30s, 2h)` })
  .transform((text) => parseDuration(text) as number);

const PERCENT_ERROR = (input: unknown) => `${JSON.stringify(input)} is not a percentage between 0 and 100`;

export const percent = z
  .union(
    [
      z.number().min(0, { error: (i) => PERCENT_ERROR(i.input) }).max(100, { error: (i) => PERCENT_ERROR(i.input) }),
      z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, { error: (i) => PERCENT_ERROR(i.input) }),
    ],
    { error: (i) => PERCENT_ERROR(i.input) },
  )
  .transform((value, ctx) => {
    const p = parsePercent(value);
    if (p === undefined) {
      ctx.addIssue({ code: 'custom', message: PERCENT_ERROR(value) });
      return z.NEVER;
    }
    return p;
  });

export const rate = z
  .string({ error: 'expected a rate such as 10mbit' })
  .regex(/^\s*\d+(\.\d+)?\s*(kbit|mbit|gbit)\s*$/i, { error: (i) => `${JSON.stringify(i.input)} is not a rate; use kbit, mbit or gbit (e.g. 10mbit)` })
  .transform((text) => parseRate(text) as number);
