import meow from 'meow';
import { describe, expect, it } from 'vitest';
import { FLAGS, packageInfo, quickDeckFlags } from '../../src/cli-args.js';

/** What meow makes of a command line, with the table src/cli.ts gives it. */
function meowParse(argv: string[]) {
  const cli = meow('help', { importMeta: import.meta, argv, flags: FLAGS, allowUnknownFlags: false, booleanDefault: undefined });
  return { input: cli.input, flags: cli.flags, version: cli.pkg.version };
}

describe('quickDeckFlags: the TUI start without meow', () => {
  const quick = [
    [],
    ['--state-dir', '/srv/state'],
    ['--state-dir=/srv/state'],
    ['--state-dir', 'relative/dir'],
    ['--state-dir', '123'],
    ['--agent', 'shell'],
    ['--agent=claude', '--skip-permissions'],
    ['--skip-permissions', '--agent', 'claude'],
    ['--theme', 'light'],
    ['--theme', './my theme.json'],
    ['--theme=a=b'],
    ['--agent', 'shell', '--state-dir', '/s', '--theme', 'light', '--skip-permissions'],
    ['--state-dir', 'true'],
  ];

  it.each(quick.map((argv) => [argv]))('parses %j exactly as meow does', (argv) => {
    const flags = quickDeckFlags(argv);
    expect(flags).not.toBeNull();
    const parsed = meowParse(argv);
    expect(parsed.input).toEqual([]);
    expect(flags).toEqual(parsed.flags);
  });

  const slow = [
    ['list'],
    ['spawn', '--', 'do it'],
    ['--help'],
    ['--version'],
    ['--json'],
    ['--agent'],
    ['--agent', '--theme', 'light'],
    ['--agent='],
    ['--agent', ''],
    ['--agent', 'a', '--agent', 'b'],
    ['--skip-permissions', '--skip-permissions'],
    ['--no-skip-permissions'],
    ['--skip-permissions=false'],
    ['--stateDir', '/s'],
    ['--state-dirx', '/s'],
    ['-h'],
    ['--'],
    ['--bogus'],
    ['--theme', 'light', 'extra'],
  ];

  it.each(slow.map((argv) => [argv]))('leaves %j to meow', (argv) => {
    expect(quickDeckFlags(argv)).toBeNull();
  });

  it('reads the version meow reports and the process title meow sets', () => {
    const before = process.title;
    try {
      process.title = 'not-yet';
      const parsed = meowParse([]);
      expect(process.title).not.toBe('not-yet');
      expect(packageInfo()).toEqual({ version: parsed.version, title: process.title });
      expect(packageInfo()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), title: 'workerdeck' });
    } finally {
      process.title = before;
    }
  });
});
