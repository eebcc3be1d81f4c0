#!/usr/bin/env node
// The layer rules of workerdeck's architecture ("Layout" in docs/architecture.md),
// checked on every import in src/**/*.ts(x). `npm test` runs this first; it
// prints every broken rule with file:line and exits 1.
//
//   node scripts/check-layers.mjs [root]     root: the directory holding src/ (default: this repo)
//
// Imports are read with the TypeScript parser the build already uses, so
// comments, strings, multi-line imports, `export … from`, `import()` and
// `import type` are told apart without a new dependency.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * @typedef {object} Rule
 * @property {string} id short name, printed with each violation
 * @property {string} text the rule as a sentence, printed once above its violations
 * @property {string[]} from modules the rule applies to (see `matches`)
 * @property {string[]} [only] when set, these modules may import nothing else
 * @property {string[]} [never] modules they must not import
 * @property {string[]} [typeOnly] modules among `never` that may still be imported with `import type`
 */

/**
 * @typedef {object} Import
 * @property {string} specifier as written in the source
 * @property {number} line 1-based
 * @property {boolean} typeOnly `import type`, `export type`, or only type specifiers: erased from the build
 */

/**
 * @typedef {object} Violation
 * @property {string} file relative to the root, e.g. `src/ui/App.tsx`
 * @property {number} line 1-based
 * @property {string} specifier as written
 * @property {string} target what it names: `src/pty/mirror.ts`, `node:fs`, `ink`, or a path outside src/
 * @property {Rule} rule the rule it breaks
 */

// Node modules that do no I/O: the pure core may use them.
const PURE_NODE = ['node:path', 'node:util', 'node:url', 'node:buffer', 'node:string_decoder'];
// Packages the pure core may use: plain functions and schemas, no I/O, no UI.
const PURE_PACKAGES = ['zod', 'string-width'];

/** @type {Rule[]} */
export const RULES = [
  {
    id: 'core-is-pure',
    text: `src/core imports only src/core, ${PURE_PACKAGES.join(', ')} and the node modules that do no I/O (${PURE_NODE.join(', ')}): no fs, net, child_process, worker_threads, no ink or react.`,
    from: ['src/core/'],
    only: ['src/core/', ...PURE_PACKAGES, ...PURE_NODE],
  },
  {
    id: 'ui-is-a-view',
    text: 'src/ui and src/store.ts (the TUI\'s view and its state) never import the deck, the server or the parts that do its I/O (src/deck.ts, src/server, src/pty, src/mail, src/git, src/registry, src/agents, src/mcp); they reach the deck only through the DeckClient type of src/client/remote-deck.ts (`import type`) and the store.',
    from: ['src/ui/', 'src/store'],
    never: ['src/deck', 'src/server/', 'src/pty/', 'src/mail/', 'src/git/', 'src/registry/', 'src/agents/', 'src/mcp/', 'src/client/'],
    typeOnly: ['src/client/remote-deck'],
  },
  {
    id: 'client-is-a-client',
    text: 'src/client never imports src/deck.ts, src/server, src/pty, src/mail or src/mcp: it talks to the server over the protocol (src/core/protocol.ts).',
    from: ['src/client/'],
    never: ['src/deck', 'src/server/', 'src/pty/', 'src/mail/', 'src/mcp/'],
  },
  {
    id: 'server-has-no-ui',
    text: 'src/server never imports src/client, src/ui or src/store.ts: the server never touches a terminal.',
    from: ['src/server/'],
    never: ['src/client/', 'src/ui/', 'src/store'],
  },
  {
    id: 'deck-has-no-ui',
    text: 'src/deck.ts never imports src/server, src/client, src/ui or src/store.ts.',
    from: ['src/deck'],
    never: ['src/server/', 'src/client/', 'src/ui/', 'src/store'],
  },
  {
    id: 'parts-below-deck',
    text: 'src/pty, src/mail, src/git, src/registry, src/agents and src/mcp never import src/deck.ts, src/server, src/client, src/ui or src/store.ts: they are parts the deck composes.',
    from: ['src/pty/', 'src/mail/', 'src/git/', 'src/registry/', 'src/agents/', 'src/mcp/'],
    never: ['src/deck', 'src/server/', 'src/client/', 'src/ui/', 'src/store'],
  },
  {
    id: 'cli-is-the-root',
    text: 'Nothing imports src/cli.ts: it composes the parts, and nothing composes it.',
    from: ['src/'],
    never: ['src/cli'],
  },
  {
    id: 'src-stays-in-src',
    text: 'Code in src/ imports no file outside src/ (tests, bench, scripts): the build compiles src/ alone.',
    from: ['src/'],
    only: ['src/', 'package:'],
  },
];

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/**
 * Whether module `id` is named by `pattern`: a pattern ending in `/` names a
 * folder and everything under it; `package:` names every bare specifier
 * (a package or a node module); any other pattern names one module, without
 * its extension (`src/deck`) or one package or node module (`zod`, `node:fs`).
 * @param {string} id a resolved module id (see `resolve`)
 * @param {string} pattern
 */
function matches(id, pattern) {
  if (pattern === 'package:') return !id.startsWith('src/') && !id.startsWith('.');
  if (pattern.endsWith('/')) return id.startsWith(pattern);
  return id === pattern;
}

/**
 * What a specifier names: for a relative import, the file's path from the root
 * without extension (`src/pty/mirror`; `./test/helpers/deck` or `../x` when it
 * leaves src/); `node:<name>` for node modules (`fs/promises` → `node:fs`);
 * else the package name (`ink`, `@scope/pkg`).
 * @param {string} fromId the importing module's id, e.g. `src/ui/App`
 * @param {string} specifier
 * @returns {string}
 */
export function resolve(fromId, specifier) {
  if (specifier.startsWith('.')) {
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromId), specifier)).replace(/\.(js|jsx|ts|tsx|mjs|cjs)$/, '');
    return joined.startsWith('src/') || joined.startsWith('../') ? joined : `./${joined}`;
  }
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const head = bare.split('/')[0] ?? bare;
  if (BUILTINS.has(head) || specifier.startsWith('node:')) return `node:${head}`;
  if (specifier.startsWith('@')) return specifier.split('/').slice(0, 2).join('/');
  return head;
}

/**
 * Every import of one TypeScript source: static imports, `export … from`,
 * `import()`, `require()`, `import('x')` types, and the JSX runtime a .tsx
 * file imports implicitly (tsconfig `jsx: react-jsx`).
 * @param {string} file its name (the extension picks TS or TSX parsing)
 * @param {string} text its source
 * @returns {Import[]}
 */
export function importsOf(file, text) {
  const tsx = file.endsWith('.tsx');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  /** @type {Import[]} */
  const found = [];
  /** @param {ts.Node} node @param {ts.Expression | undefined} spec @param {boolean} typeOnly */
  const add = (node, spec, typeOnly) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier: spec.text, line, typeOnly });
  };
  let jsx = false;
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isJsxElement(node) || ts.isJsxSelfClosingElement(node) || ts.isJsxFragment(node)) jsx = true;
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      // Without verbatimModuleSyntax, tsc drops an import whose every specifier is a type.
      const allTypes =
        !!clause &&
        !clause.name &&
        !!bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, !!clause && (clause.isTypeOnly || allTypes));
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(node, arg.literal, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if ((isImport || isRequire) && node.arguments.length > 0) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (jsx) found.push({ specifier: 'react/jsx-runtime', line: 1, typeOnly: false });
  return found;
}

/**
 * Whether import `imp` of module `fromId`, naming `target`, breaks `rule`.
 * @param {Rule} rule
 * @param {string} fromId
 * @param {string} target
 * @param {Import} imp
 */
function breaks(rule, fromId, target, imp) {
  if (!rule.from.some((p) => matches(fromId, p))) return false;
  if (rule.only && !rule.only.some((p) => matches(target, p))) return true;
  if (rule.never && rule.never.some((p) => matches(target, p))) {
    return !(imp.typeOnly && (rule.typeOnly ?? []).some((p) => matches(target, p)));
  }
  return false;
}

/** @param {string} dir @returns {string[]} paths relative to `dir`, with `/` */
function sourcesUnder(dir) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
}

/**
 * Check every import in `<root>/src/**\/*.ts(x)` against RULES.
 * @param {string} root the directory holding src/
 * @returns {{ files: number, imports: number, violations: Violation[] }}
 * @throws Error when `<root>/src` is not a directory
 */
export function checkLayers(root) {
  const srcDir = path.join(root, 'src');
  if (!existsSync(srcDir)) throw new Error(`${srcDir} does not exist: pass the directory that holds src/.`);
  const files = sourcesUnder(srcDir);
  /** @type {Violation[]} */
  const violations = [];
  let imports = 0;
  for (const rel of files) {
    const file = `src/${rel}`;
    const fromId = file.replace(/\.tsx?$/, '');
    for (const imp of importsOf(file, readFileSync(path.join(root, file), 'utf8'))) {
      imports++;
      const id = resolve(fromId, imp.specifier);
      for (const rule of RULES) {
        if (breaks(rule, fromId, id, imp)) violations.push({ file, line: imp.line, specifier: imp.specifier, target: display(root, id), rule });
      }
    }
  }
  return { files: files.length, imports, violations };
}

/** A module id as a file a reader can open: `src/pty/mirror` → `src/pty/mirror.ts`. */
function display(/** @type {string} */ root, /** @type {string} */ id) {
  if (!id.startsWith('src/')) return id;
  for (const ext of ['.ts', '.tsx']) if (existsSync(path.join(root, id + ext))) return id + ext;
  return id;
}

/**
 * The report: each broken rule's text, then its imports as `file:line`.
 * @param {Violation[]} violations
 * @returns {string}
 */
export function formatViolations(violations) {
  const n = violations.length;
  const lines = [`${n} ${n === 1 ? 'import breaks' : 'imports break'} the layer rules of docs/architecture.md ("Layout"):`];
  for (const rule of RULES) {
    const mine = violations.filter((v) => v.rule === rule);
    if (mine.length === 0) continue;
    lines.push('', `${rule.id}: ${rule.text}`);
    for (const v of mine) lines.push(`  ${v.file}:${v.line}  imports ${v.target}  ('${v.specifier}')`);
  }
  lines.push('', 'Move the code to the layer it belongs to; change a rule in scripts/check-layers.mjs only with a reason.');
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  try {
    const { files, imports, violations } = checkLayers(root);
    if (violations.length > 0) {
      process.stderr.write(`${formatViolations(violations)}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`check-layers: ${files} files, ${imports} imports, ${RULES.length} rules: no rule broken.\n`);
    }
  } catch (error) {
    process.stderr.write(`check-layers: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
