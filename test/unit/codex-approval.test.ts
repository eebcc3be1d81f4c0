/**
 * Codex's command approval dialog as the screen rules see it. The fixtures are
 * screens of the real codex 0.169.0 (talking to test/helpers/fake-openai.ts), the
 * working directory renamed: at 120x40 through node-pty and @xterm/headless
 * (`approval-touch`, `approval-long-command`), and as `workerdeck logs` printed the
 * worker's mirror in test/e2e/codex.test.ts (`approval-deck-preview`, 78 columns).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODEX_PROMPT_RULES, codexApprovalCommand, codexPreset } from '../../src/agents/codex.js';
import { detectPrompt, type ScreenRule } from '../../src/core/prompt-detect.js';
import { ROOT } from '../helpers/term.js';

const screen = (name: string): string[] => readFileSync(path.join(ROOT, 'test', 'fixtures', 'codex', name), 'utf8').split('\n');

/** The bottom 16 rows, as detectPrompt tests them. */
const tail = (rows: string[]): string => {
  let end = rows.length;
  while (end > 0 && (rows[end - 1] ?? '').trim() === '') end--;
  return rows.slice(Math.max(0, end - 16), end).join('\n');
};

/** The first rule of the codex preset that matches the screen's tail. */
const ruleFor = (rows: string[]): ScreenRule | undefined => codexPreset(undefined).promptRules.find((r) => r.pattern.test(tail(rows)));

describe("Codex's command approval dialog", () => {
  it('is a permission prompt the deck can answer: y once, p for the prefix, Esc to decline', () => {
    const rows = screen('approval-touch.txt');
    expect(detectPrompt(rows, codexPreset(undefined).promptRules)).toBe('permission prompt');
    const rule = ruleFor(rows);
    expect(rule?.answers).toEqual({ allowOnce: 'y', allowAlways: 'p', deny: '\u001b' });
    expect(rule?.describe?.(tail(rows))).toEqual({ tool: 'command', detail: 'touch approved.txt' });
  });

  it("matches the dialog in the deck's mirror, where the worker's PTY is the preview's width", () => {
    const rows = screen('approval-deck-preview.txt');
    expect(detectPrompt(rows, codexPreset(undefined).promptRules)).toBe('permission prompt');
    expect(ruleFor(rows)?.describe?.(tail(rows))).toEqual({ tool: 'command', detail: 'touch approved.txt' });
  });

  it('joins a command wrapped over rows, and matches the options wrapped too', () => {
    const rows = screen('approval-long-command.txt');
    const rule = ruleFor(rows);
    expect(rule?.answers?.allowOnce).toBe('y');
    expect(rule?.describe?.(tail(rows))).toEqual({
      tool: 'command',
      detail:
        'printf "%s\\n" first-line-of-a-long-command-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on > long.txt && echo done',
    });
  });

  it('matches the dialog drawn narrow, with the selection moved, and not the same words in plain output', () => {
    const narrow = [
      '  Would you like to run the',
      '  following command?',
      '',
      '  $ git push origin',
      '  feature',
      '',
      '  1. Yes, proceed (y)',
      '› 2. Yes, and don\'t ask again',
      '     for commands that start',
      '     with `git push` (p)',
      '  3. No, and tell Codex what',
      '     to do differently (esc)',
    ];
    expect(ruleFor(narrow)?.answers?.allowAlways).toBe('p');
    expect(codexApprovalCommand(narrow.join('\n'))).toEqual({ tool: 'command', detail: 'git push origin feature' });
    // The same options quoted in the transcript, not as a list, are not the dialog.
    const quoted = ['• The dialog offers "1. Yes, proceed (y)" and "3. No, and tell Codex what to do differently (esc)".', '› Ask Codex to do anything'];
    expect(CODEX_PROMPT_RULES[0]!.pattern.test(quoted.join('\n'))).toBe(false);
  });

  it('describes nothing when the command row is not on the screen', () => {
    expect(codexApprovalCommand('  1. Yes, proceed (y)\n  3. No, and tell Codex what to do differently (esc)')).toBeNull();
    expect(codexApprovalCommand('• Ran ls\n  └ a.txt')).toBeNull();
  });

  it('leaves an idle Codex screen alone', () => {
    const idle = ['› Ask Codex to do anything', '', '  gpt-5-codex default · /home/me/repo', '  ← for agents · ? for shortcuts'];
    expect(detectPrompt(idle, codexPreset(undefined).promptRules)).toBeNull();
  });
});
