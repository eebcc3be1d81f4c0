/**
 * Usage limits: recognise an agent CLI's "usage limit reached / resets at"
 * screen, and read the reset time off it. Pure: no I/O; the clock and the
 * time zone come in as arguments.
 *
 * What each pinned CLI prints (see the presets' LIMIT rules):
 * - Claude Code 2.1.332: `You've hit your 5-hour limit · resets 12:53am (UTC)`,
 *   then `Usage limit reached · limit resets 12:53am` and `Continuing
 *   automatically at 12:53am` (it resumes by itself).
 * - Codex 0.169.0: `You've hit your usage limit. … or try again at 3:04 PM.`,
 *   with a date when the reset is not today (`Dec 29th, 2025 10:15 PM`).
 * - Gemini CLI 0.61.0: `Usage limit reached for <model>. … Access resets at 3:00 PM UTC.`
 *   and `You have exhausted your daily quota on this model.`
 */

export interface LimitRule {
  /**
   * Tested against the bottom of the screen as one line of text: the rows
   * trimmed and joined with a space, so a message the agent wrapped still
   * matches. A named group `reset` holds the reset time as printed (see
   * RESET_TIME); without it the reset time is unknown.
   */
  pattern: RegExp;
  /** When this matches too, the agent resumes by itself at the reset (Claude's `Continuing automatically`). */
  resumesItself?: RegExp;
}

/** A usage limit a worker hit, as the deck records it on the worker. */
export interface UsageLimit {
  /** What the agent printed, from the rule's match (at most 200 chars). */
  text: string;
  /** epoch ms of the reset, or null when the screen gives none the deck can read */
  resetAt: number | null;
  /** true when the agent continues by itself at the reset, so the deck must not nudge it */
  resumesItself: boolean;
  /** epoch ms when the deck saw it */
  since: number;
}

const MONTH = String.raw`(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?`;
const CLOCK = String.raw`\d{1,2}(?::\d{2})?\s?(?:[AaPp]\.?[Mm]\.?)?`;
const ZONE = String.raw`(?:\s?\([A-Za-z_/+0-9-]+\)|\s(?:UTC|GMT(?:[+-]\d{1,2}(?::?\d{2})?)?|[ECMP][SD]T|AK[SD]T|HST)\b)?`;
const DATE = String.raw`${MONTH}\s\d{1,2}(?:st|nd|rd|th)?,?(?:\s\d{4},?)?`;

/**
 * A regular expression source for a reset time as the agents print it, in a
 * named group `reset`: a span (`in 2h 13m`), or a date and/or a time of day
 * with an optional zone (`12:53am (UTC)`, `Dec 29th, 2025 10:15 PM`, `3:00 PM UTC`).
 * `parseResetTime` reads what it captures.
 */
export const RESET_TIME = String.raw`(?<reset>in\s\d+\s?[a-z]+(?:,?\s(?:and\s)?\d+\s?[a-z]+)*|(?:${DATE}(?:\s(?:at\s)?${CLOCK})?|${CLOCK})${ZONE})`;

/** How many rows from the bottom of the screen the rules look at. */
const TAIL_ROWS = 24;

/**
 * Every usage-limit message at the bottom of the screen, top first: at most
 * one per place (where rules overlap, the one that starts first wins, then
 * the earlier rule).
 * @param rows plain-text screen rows, top first
 * @param now epoch ms, the reference for a reset given as a time of day
 * @param timeZone the IANA zone a reset without a zone is read in (the server's own by default)
 */
export function findLimits(rows: string[], rules: LimitRule[], now: number, timeZone?: string): UsageLimit[] {
  const text = rows
    .slice(-TAIL_ROWS)
    .map((row) => row.trim())
    .filter((row) => row !== '')
    .join(' ');
  if (text === '') return [];
  const matches: { match: RegExpExecArray; rule: number }[] = [];
  rules.forEach((rule, index) => {
    const all = everyMatch(rule.pattern);
    all.lastIndex = 0;
    for (let m = all.exec(text); m; m = all.exec(text)) {
      if (m[0] === '') all.lastIndex++;
      else matches.push({ match: m, rule: index });
    }
  });
  matches.sort((a, b) => a.match.index - b.match.index || a.rule - b.rule);
  const found: UsageLimit[] = [];
  let end = -1;
  for (const { match, rule } of matches) {
    if (match.index < end) continue;
    end = match.index + match[0].length;
    const reset = match.groups?.['reset']?.trim();
    found.push({
      text: match[0].replace(/\s+/g, ' ').slice(0, 200),
      resetAt: reset ? parseResetTime(reset, now, timeZone) : null,
      resumesItself: rules[rule]?.resumesItself?.test(text) ?? false,
      since: now,
    });
  }
  return found;
}

/** Global twins of the rules' patterns, compiled once each: `findLimits` needs every match. */
const globalTwins = new WeakMap<RegExp, RegExp>();

function everyMatch(pattern: RegExp): RegExp {
  let twin = globalTwins.get(pattern);
  if (!twin) {
    twin = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    globalTwins.set(pattern, twin);
  }
  return twin;
}

/**
 * The newest usage limit at the bottom of the screen (the lowest), or null.
 * Arguments as `findLimits`.
 */
export function detectLimit(rows: string[], rules: LimitRule[], now: number, timeZone?: string): UsageLimit | null {
  return findLimits(rows, rules, now, timeZone).at(-1) ?? null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The epoch ms a reset time as the agents print it stands for, or null when
 * it cannot be read. Accepted forms (case-insensitive):
 * - a span: `in 2h 13m`, `in 45 minutes`, `in 30 seconds`;
 * - a time of day, the next one after `now`: `3pm`, `12:53am`, `3:04 PM`, `15:00`;
 * - a date, with or without a time and a year: `Aug 8`, `Dec 29th, 2025 10:15 PM`, `Aug 8 at 3pm`;
 * - an ISO timestamp;
 * and, after any of the clock forms, a zone: `(UTC)`, `UTC`, `(America/New_York)`,
 * `GMT+1`, `PST` (US zones only). Without one, `timeZone` (default: the process's).
 * @param now epoch ms
 */
export function parseResetTime(text: string, now: number, timeZone?: string): number | null {
  const t = text.trim().replace(/[.。]+$/, '').trim();
  const span = /^in\s+((?:\d+\s*(?:h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?|s(?:ec(?:ond)?s?)?|d(?:ays?)?)[\s,]*(?:and\s+)?)+)$/i.exec(t);
  if (span) {
    let ms = 0;
    for (const part of (span[1] ?? '').matchAll(/(\d+)\s*([hmsd])/gi)) ms += Number(part[1]) * (UNIT_MS[(part[2] ?? 's').toLowerCase()] ?? 0);
    return ms > 0 ? now + ms : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const at = Date.parse(t);
    return Number.isNaN(at) ? null : at;
  }
  const zoneMatch = /\s*(?:\(([^)]+)\)|\b(UTC|GMT(?:[+-]\d{1,2}(?::?\d{2})?)?|[ECMP][SD]T|AK[SD]T|HST))\s*$/i.exec(t);
  let zone = timeZone;
  if (zoneMatch) {
    const named = normaliseZone((zoneMatch[1] ?? zoneMatch[2] ?? '').trim());
    if (named === null) return null;
    zone = named;
  }
  const body = zoneMatch ? t.slice(0, zoneMatch.index).trim() : t;
  const m = /^(?:(?<mon>[a-z]{3})[a-z]*\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(?<year>\d{4}),?)?(?:\s+at)?\s*)?(?:(?<h>\d{1,2})(?::(?<min>\d{2}))?\s*(?<ap>[ap]\.?m\.?)?)?$/i.exec(body);
  if (!m?.groups || (m.groups['mon'] === undefined && m.groups['h'] === undefined)) return null;
  const g = m.groups;
  let hour = g['h'] !== undefined ? Number(g['h']) : 0;
  const minute = g['min'] !== undefined ? Number(g['min']) : 0;
  const ap = g['ap']?.toLowerCase().replace(/\./g, '');
  if (ap && (hour < 1 || hour > 12)) return null;
  if (ap === 'pm' && hour !== 12) hour += 12;
  if (ap === 'am' && hour === 12) hour = 0;
  if (hour > 23 || minute > 59) return null;
  if (g['h'] !== undefined && g['mon'] === undefined && !ap && g['min'] === undefined) return null; // a bare number is no time
  const today = wallDate(now, zone);
  let year = g['year'] !== undefined ? Number(g['year']) : today.year;
  let month = today.month;
  let day = today.day;
  if (g['mon'] !== undefined) {
    month = MONTHS.indexOf(g['mon'].toLowerCase()) + 1;
    day = Number(g['day']);
    if (month === 0 || day < 1 || day > 31) return null;
  }
  let at = fromWall({ year, month, day, hour, minute }, zone);
  if (at === null) return null;
  // A time without a date is the next such time; a date without a year is the next such date.
  if (g['mon'] === undefined && at <= now) at = fromWall(addDays({ year, month, day }, 1, hour, minute), zone);
  else if (g['mon'] !== undefined && g['year'] === undefined && at !== null && at < now - 86_400_000) {
    year += 1;
    at = fromWall({ year, month, day, hour, minute }, zone);
  }
  return at;
}

/** US zone abbreviations to IANA zones; other names are taken as IANA names. null: not a zone. */
const US_ZONES: Record<string, string> = {
  EST: 'America/New_York', EDT: 'America/New_York', CST: 'America/Chicago', CDT: 'America/Chicago',
  MST: 'America/Denver', MDT: 'America/Denver', PST: 'America/Los_Angeles', PDT: 'America/Los_Angeles',
  AKST: 'America/Anchorage', AKDT: 'America/Anchorage', HST: 'Pacific/Honolulu',
};

function normaliseZone(name: string): string | null {
  const upper = name.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z') return 'UTC';
  if (US_ZONES[upper]) return US_ZONES[upper];
  const offset = /^(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(name);
  if (offset) {
    // Etc/GMT zones exist for whole hours only, with the sign reversed.
    if (offset[3] && offset[3] !== '00') return null;
    return `Etc/GMT${offset[1] === '+' ? '-' : '+'}${Number(offset[2])}`;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name;
  } catch {
    return null;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The calendar date at `at` in `zone`. */
function wallDate(at: number, zone: string | undefined): { year: number; month: number; day: number } {
  const w = wallTime(at, zone);
  return { year: w.year, month: w.month, day: w.day };
}

function wallTime(at: number, zone: string | undefined): Wall {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** The epoch ms of a wall-clock time in `zone` (the earlier one in a DST overlap); null for an invalid zone. */
function fromWall(w: Wall, zone: string | undefined): number | null {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  try {
    // Correct by the zone's offset at the guess, then once more across a DST change.
    let at = guess;
    for (let i = 0; i < 2; i++) {
      const seen = wallTime(at, zone);
      at += guess - Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    }
    return at;
  } catch {
    return null;
  }
}

function addDays(d: { year: number; month: number; day: number }, days: number, hour: number, minute: number): Wall {
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour, minute };
}

/**
 * A reset time for the operator, in the local zone: `00:53`, with the date
 * (`Dec 2 00:53`) when it is more than 20 h from `now`.
 * @param resetAt epoch ms
 * @param now epoch ms
 */
export function formatReset(resetAt: number, now: number): string {
  const at = new Date(resetAt);
  const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return resetAt - now > 20 * 3_600_000 ? `${MONTH_NAMES[at.getMonth()]} ${at.getDate()} ${time}` : time;
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A worker row's note for a usage limit (its status says `limited`):
 * `resets 00:53` (see formatReset), or `usage limit` when the reset is unknown.
 * @param now epoch ms
 */
export function limitNote(limit: UsageLimit, now: number): string {
  return limit.resetAt === null ? 'usage limit' : `resets ${formatReset(limit.resetAt, now)}`;
}
