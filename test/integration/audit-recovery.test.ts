import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMail } from '../../src/core/mail.js';
import { recoverAuditLines } from '../../src/mail/audit.js';
import { Registry } from '../../src/registry/registry.js';
import { prepareStateDir } from '../../src/registry/state-dir.js';
import { tempDir } from '../helpers/git-repo.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

describe('audit lines of mail a killed server handled', () => {
  it('appends exactly the missing mail-received lines, in seq order, and nothing on a second start', async () => {
    const t = tempDir('wd-audit-');
    dirs.push(t);
    const layout = await prepareStateDir(path.join(t.dir, 'state'));
    for (const seq of [1, 2, 3]) {
      const mail = buildMail({ id: `m${seq}`, workerId: 'abcd', type: 'progress', content: `note ${seq}`, now: 1000 + seq });
      writeFileSync(path.join(layout.mail.cur, `${String(seq).padStart(10, '0')}_m${seq}.json`), JSON.stringify(mail));
    }
    // The server logged seq 1, then was killed after moving 2 and 3 into cur/ (and a torn line).
    writeFileSync(
      layout.eventsFile,
      `${JSON.stringify({ at: new Date(0).toISOString(), type: 'mail-received', message: { id: 'm1', seq: 1 } })}\n{"at":"2026`,
    );
    const registry = new Registry(layout.stateFile, layout.eventsFile, () => undefined, 5);
    expect(await recoverAuditLines(layout, registry)).toBe(2);
    await registry.flush();
    const lines = () =>
      readFileSync(layout.eventsFile, 'utf8')
        .split('\n')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { type: string; recovered?: boolean; message: { id: string; seq: number } }];
          } catch {
            return [];
          }
        });
    expect(lines().map((e) => [e.message.seq, e.message.id, e.recovered ?? false])).toEqual([
      [1, 'm1', false],
      [2, 'm2', true],
      [3, 'm3', true],
    ]);
    // The next start finds nothing missing.
    expect(await recoverAuditLines(layout, registry)).toBe(0);
    await registry.flush();
    expect(lines()).toHaveLength(3);
  });
});
