import { describe, expect, it } from 'vitest';
import { detectLimit, limitNote, parseResetTime } from '../../src/core/limit-detect.js';
import { CLAUDE_LIMIT_RULES } from '../../src/agents/claude.js';
import { CODEX_LIMIT_RULES } from '../../src/agents/codex.js';
import { GEMINI_LIMIT_RULES } from '../../src/agents/gemini.js';

/** 2026-11-30 21:00 UTC, 16:00 in New York (EST). */
const NOW = Date.UTC(2026, 10, 30, 21, 0);
const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

describe('parseResetTime', () => {
  it.each([
    ['12:53am (UTC)', '2026-12-01T00:53:00.000Z'],
    ['3:04 PM', '2026-12-01T15:04:00.000Z'],
    ['11:30 PM', '2026-11-30T23:30:00.000Z'],
    ['15:00', '2026-12-01T15:00:00.000Z'],
    ['3pm', '2026-12-01T15:00:00.000Z'],
    ['11pm (America/New_York)', '2026-12-01T04:00:00.000Z'],
    ['3:00 PM PST', '2026-11-30T23:00:00.000Z'],
    ['3:00 PM GMT+1', '2026-12-01T14:00:00.000Z'],
    ['Dec 29th, 2025 10:15 PM', '2025-12-29T22:15:00.000Z'],
    ['Aug 8', '2027-08-08T00:00:00.000Z'],
    ['Dec 2 at 3pm', '2026-12-02T15:00:00.000Z'],
    ['in 2h 13m', '2026-11-30T23:13:00.000Z'],
    ['in 45 minutes', '2026-11-30T21:45:00.000Z'],
    ['in 30 seconds.', '2026-11-30T21:00:30.000Z'],
    ['2026-12-01T04:00:00Z', '2026-12-01T04:00:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(iso(parseResetTime(text, NOW, 'UTC'))).toBe(expected);
  });

  it.each(['soon', '42', '3pm (Mars/Olympus)', '13pm', '25:00', 'Foo 8', ''])('gives up on %j', (text) => {
    expect(parseResetTime(text, NOW, 'UTC')).toBeNull();
  });

  it('reads a time without a zone in the zone it is given', () => {
    expect(iso(parseResetTime('5pm', NOW, 'America/New_York'))).toBe('2026-11-30T22:00:00.000Z');
  });
});

describe('detectLimit', () => {
  it("reads Claude Code's limit screen (2.1.332, captured against a stand-in API), newest message first, which resumes by itself", () => {
    const rows = [
      ' ▐▛███▛█   Claude Code v2.1.332',
      '❯ hello there',
      "  ⎿  You've hit your 5-hour limit · resets 12:53am (UTC)",
      '● Usage limit reached · set to continue automatically at 12:53am',
      '────────────────────────────────────────',
      '❯ ',
      '────────────────────────────────────────',
      '  ⚠ Usage limit reached · limit resets 12:53am',
      '    Continuing automatically at 12:53am · Esc to cancel',
      '  ⏵⏵ auto mode on (shift+tab to cycle)',
      '',
      '',
    ];
    expect(detectLimit(rows, CLAUDE_LIMIT_RULES, NOW, 'UTC')).toEqual({
      text: 'Usage limit reached · limit resets 12:53am',
      resetAt: Date.UTC(2026, 11, 1, 0, 53),
      resumesItself: true,
      since: NOW,
    });
  });

  it("reads Codex's message wrapped over rows, in local time", () => {
    const rows = [
      "■ You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit",
      '  https://chatgpt.com/settings/usage to purchase more credits or try again at 10:15 PM.',
      '',
      '› Ask Codex to do anything',
    ];
    const found = detectLimit(rows, CODEX_LIMIT_RULES, NOW, 'UTC');
    expect(iso(found?.resetAt ?? null)).toBe('2026-11-30T22:15:00.000Z');
    expect(found?.resumesItself).toBe(false);
    expect(found?.text).toMatch(/^You've hit your usage limit\. .*try again at 10:15 PM\.?$/);
  });

  it("reads Gemini's quota message, and a limit without a reset time", () => {
    const gemini = detectLimit(['✕ Usage limit reached for gemini-3-pro-preview.', 'Access resets at 3:00 PM UTC.', '> '], GEMINI_LIMIT_RULES, NOW);
    expect(iso(gemini?.resetAt ?? null)).toBe('2026-12-01T15:00:00.000Z');
    const daily = detectLimit(['You have exhausted your daily quota on this model.'], GEMINI_LIMIT_RULES, NOW);
    expect(daily).toMatchObject({ resetAt: null, text: 'You have exhausted your daily quota' });
  });

  it('sees nothing on an ordinary screen, or in a limit mentioned above the bottom 24 rows', () => {
    expect(detectLimit(['● Running tests', '❯ '], CLAUDE_LIMIT_RULES, NOW)).toBeNull();
    const old = ["You've hit your 5-hour limit · resets 12:53am (UTC)", ...Array.from({ length: 30 }, (_, i) => `line ${i}`)];
    expect(detectLimit(old, CLAUDE_LIMIT_RULES, NOW)).toBeNull();
  });
});

describe('limitNote', () => {
  it('gives the reset as a local time, with the date when it is far off', () => {
    const limit = { text: 'x', resumesItself: false, since: NOW };
    expect(limitNote({ ...limit, resetAt: null }, NOW)).toBe('usage limit');
    const soon = new Date(NOW + 3_600_000);
    expect(limitNote({ ...limit, resetAt: soon.getTime() }, NOW)).toBe(
      `resets ${String(soon.getHours()).padStart(2, '0')}:${String(soon.getMinutes()).padStart(2, '0')}`,
    );
    expect(limitNote({ ...limit, resetAt: NOW + 3 * 86_400_000 }, NOW)).toMatch(/^resets [A-Z][a-z]{2} \d{1,2} \d\d:\d\d$/);
  });
});
