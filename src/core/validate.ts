import type { z } from 'zod';

/**
 * The first problem zod found, as one phrase that names the field:
 * `field "presets.custom.args": expected array, received string`, or
 * `top level: unknown key "colour"` for the object itself. Pure.
 * @param whole what to call the document itself when the problem has no path
 */
export function describeIssue(error: z.ZodError, whole = 'top level'): string {
  const issue = error.issues[0];
  if (!issue) return `${whole}: invalid`;
  const where = issue.path.length > 0 ? `field "${issue.path.join('.')}"` : whole;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  // A bad record key (such as a preset name) carries the useful message one level down.
  if (issue.code === 'invalid_key') message = issue.issues[0]?.message ?? message;
  return `${where}: ${message}`;
}
