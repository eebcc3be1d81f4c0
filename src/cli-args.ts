/**
 * The command line's flags, and a quick parse for the common start of the TUI
 * (`workerdeck`, perhaps with `--state-dir`, `--agent`, `--theme`,
 * `--skip-permissions`). meow, with its package.json normalisation and its
 * parser, takes tens of ms to load and run; every other command line (a
 * subcommand, --help, --version, anything unusual) still goes through meow in
 * src/cli.ts, so its help text, errors and parsing stay the one behaviour.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

/** The flags meow parses (src/cli.ts passes this table to meow). */
export const FLAGS = {
  agent: { type: 'string' },
  stateDir: { type: 'string' },
  theme: { type: 'string' },
  skipPermissions: { type: 'boolean' },
  json: { type: 'boolean', default: false },
  worker: { type: 'string' },
  name: { type: 'string' },
  worktree: { type: 'boolean', default: true },
  base: { type: 'string' },
  timeout: { type: 'number' },
  idleTimeout: { type: 'number' },
  follow: { type: 'boolean', default: false },
  transcript: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
} as const;

/** The parsed flags, as meow gives them for FLAGS. */
export interface CliFlags {
  agent?: string | undefined;
  stateDir?: string | undefined;
  theme?: string | undefined;
  skipPermissions?: boolean | undefined;
  json: boolean;
  worker?: string | undefined;
  name?: string | undefined;
  worktree: boolean;
  base?: string | undefined;
  timeout?: number | undefined;
  idleTimeout?: number | undefined;
  follow: boolean;
  transcript: boolean;
  yes: boolean;
}

/** The TUI's string flags, by their spelling on the command line. */
const DECK_STRING_FLAGS: Record<string, 'agent' | 'stateDir' | 'theme'> = { '--agent': 'agent', '--state-dir': 'stateDir', '--theme': 'theme' };

/**
 * The flags of a command line that opens the TUI and uses only its own flags,
 * each at most once: `--agent <p>`, `--state-dir <dir>`, `--theme <t>` (also
 * as `--flag=value`) and `--skip-permissions`. The result equals what meow
 * parses for it (test/unit/cli-args.test.ts checks them side by side).
 * @param argv arguments after the program name
 * @returns the flags with meow's defaults, or null when meow must parse this
 *   command line (a subcommand, another flag, a repeated flag, a value that is
 *   empty or starts with `-`, --help, --version, `--`)
 */
export function quickDeckFlags(argv: readonly string[]): CliFlags | null {
  // As meow parses with booleanDefault undefined (src/cli.ts): skipPermissions, which has no default, is absent unless given.
  const flags: CliFlags = { json: false, worktree: true, follow: false, transcript: false, yes: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--skip-permissions') {
      if (seen.has(arg)) return null;
      seen.add(arg);
      flags.skipPermissions = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const spelling = eq === -1 ? arg : arg.slice(0, eq);
    const key = Object.hasOwn(DECK_STRING_FLAGS, spelling) ? DECK_STRING_FLAGS[spelling] : undefined;
    if (!key || seen.has(spelling)) return null;
    seen.add(spelling);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    flags[key] = value;
  }
  return flags;
}

/**
 * What meow takes from this install's package.json: the version it reports as
 * `pkg.version`, and the process title it sets (the first name under `bin`,
 * else the unscoped package name), so the quick path looks the same in `ps`.
 * @returns e.g. `{ version: '0.1.0', title: 'workerdeck' }`; version `0.0.0` when package.json has none
 * @throws Error when package.json cannot be read or parsed (a broken install)
 */
export function packageInfo(): { version: string; title: string } {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown; name?: unknown; bin?: unknown };
  const name = typeof pkg.name === 'string' ? pkg.name : '';
  const unscoped = name.startsWith('@') ? (name.split('/')[1] ?? name) : name;
  const bin = pkg.bin;
  const title = typeof bin === 'string' ? unscoped : bin && typeof bin === 'object' ? (Object.keys(bin).at(0) ?? name) : name;
  return { version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', title };
}
