/**
 * Gemini CLI's and opencode's permission dialogs as the screen rules see them. The
 * fixtures are screens of the real gemini 0.61.0 and opencode 1.18.33 at 120x40
 * (node-pty and @xterm/headless), each talking to a stand-in API on 127.0.0.1, the
 * working directory renamed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiApprovalAsk, geminiPreset } from '../../src/agents/gemini.js';
import { opencodePermissionAsk, opencodePreset } from '../../src/agents/opencode.js';
import { detectPrompt, type ScreenRule } from '../../src/core/prompt-detect.js';
import { ROOT } from '../helpers/term.js';

const screen = (name: string): string[] => readFileSync(path.join(ROOT, 'test', 'fixtures', name), 'utf8').split('\n');

/** The bottom 16 rows, as detectPrompt tests them. */
const tail = (rows: string[]): string => {
  let end = rows.length;
  while (end > 0 && (rows[end - 1] ?? '').trim() === '') end--;
  return rows.slice(Math.max(0, end - 16), end).join('\n');
};

const ruleFor = (rules: ScreenRule[], rows: string[]): ScreenRule | undefined => rules.find((r) => r.pattern.test(tail(rows)));

describe("Gemini CLI's tool approval", () => {
  const rules = geminiPreset(undefined).promptRules;

  it('answers the shell dialog with 1 once, 2 for the session, Esc to decline, and names the command', () => {
    const rows = screen('gemini/shell-approval.txt');
    expect(detectPrompt(rows, rules)).toBe('permission prompt');
    const rule = ruleFor(rules, rows);
    expect(rule?.answers).toEqual({ allowOnce: '1', allowAlways: '2', deny: '\u001b' });
    expect(rule?.describe?.(tail(rows))).toEqual({ tool: 'Shell', detail: 'touch approved.txt' });
  });

  it('answers the edit dialog (four options) with the same keys, and names the file', () => {
    const rows = screen('gemini/write-approval.txt');
    const rule = ruleFor(rules, rows);
    expect(rule?.answers?.allowOnce).toBe('1');
    expect(rule?.describe?.(tail(rows))).toEqual({ tool: 'WriteFile', detail: 'Writing to notes.txt' });
  });

  it('joins a long command over the rows of its box, and describes nothing without a title', () => {
    const long = [
      '│ ? Shell  npm run build && npm test -- --reporter=verbose …   │',
      '│ ╭──────────────────────────────────────────────╮ │',
      '│ │ npm run build && npm test --                 │ │',
      '│ │ --reporter=verbose                           │ │',
      '│ ╰──────────────────────────────────────────────╯ │',
      '│ Allow execution of [Shell]?                      │',
    ];
    expect(geminiApprovalAsk(long.join('\n'))).toEqual({ tool: 'Shell', detail: 'npm run build && npm test -- --reporter=verbose' });
    expect(geminiApprovalAsk('│ Allow execution of [Shell]? │')).toBeNull();
  });
});

describe("opencode's permission dialog", () => {
  const rules = opencodePreset(undefined).promptRules;

  it('answers with Enter on Allow once, Right Enter Enter for always, Esc to reject, and names the command', () => {
    const rows = screen('opencode/shell-approval.txt');
    expect(detectPrompt(rows, rules)).toBe('permission prompt');
    const rule = ruleFor(rules, rows);
    expect(rule?.answers).toEqual({ allowOnce: '\r', allowAlways: '\u001b[C\r\r', deny: '\u001b' });
    expect(rule?.describe?.(tail(rows))).toEqual({ tool: 'Shell command', detail: 'touch approved.txt' });
  });

  it('sees the "Always allow" confirmation as a prompt the deck does not answer', () => {
    const rows = screen('opencode/always-allow-confirm.txt');
    expect(detectPrompt(rows, rules)).toBe('permission prompt');
    expect(ruleFor(rules, rows)?.answers).toBeUndefined();
  });

  it('describes nothing without the heading or the command row', () => {
    expect(opencodePermissionAsk('  ┃  $ touch a.txt')).toBeNull();
    expect(opencodePermissionAsk('  ┃  △ Permission required\n  ┃    # Edit')).toBeNull();
  });
});
