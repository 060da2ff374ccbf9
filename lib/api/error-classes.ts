import { z } from 'zod';
import { ERROR_CLASSES, type ErrorClass } from '../analytics/error-taxonomy';

/** Failed-call counts per error class (lib/analytics/error-taxonomy.ts), every class present. */
export const ErrorClassCountsSchema = z.strictObject(
  Object.fromEntries(ERROR_CLASSES.map((c) => [c, z.number().int().nonnegative()])) as Record<ErrorClass, z.ZodNumber>,
);
