// Mail latency: the built deck in a PTY with one live shell worker; 200 mail
// files renamed into mail/new; time from the rename to the first stdout chunk
// of the deck after which the deck's screen shows the message's token.
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeckTerm, log, now, percentile, sleep, tempDir, tempRepo, trackStateDir, firstArrival } from './lib.js';

/** @param {{ messages: number }} o mail files to deliver, one at a time */
export async function benchMail({ messages }) {
  const repo = tempRepo('mail', { defaultAgent: 'sleeper', presets: { sleeper: { command: 'sleep', args: ['1000'] } } });
  const stateDir = path.join(tempDir('mail-state'), 'state');
  trackStateDir(stateDir);
  const deck = new DeckTerm({ cwd: repo, stateDir });
  try {
    await deck.waitForText('q quit');
    const worker = await deck.spawnWorker('wait for mail', 'mailee');
    await deck.waitForText('No mail from this worker yet');
    await sleep(300);
    const tmp = path.join(stateDir, 'mail', 'tmp');
    const fresh = path.join(stateDir, 'mail', 'new');
    /** @type {number[]} */
    const samples = [];
    let timeouts = 0;
    for (let i = 0; i < messages; i++) {
      const token = `m${String(i).padStart(3, '0')}${randomBytes(3).toString('hex')}`;
      const name = `${Date.now()}.${token}.json`;
      const body = { id: token, workerId: worker.id, workerName: worker.name, type: 'progress', content: `note ${token}`, timestamp: new Date().toISOString() };
      writeFileSync(path.join(tmp, name), JSON.stringify(body));
      // Ink redraws only the cells that changed, so the token is never whole in
      // the raw bytes: parse the output and check the screen after each chunk.
      const seen = firstArrival((l) => deck.onParsed((at) => l(null, at)), () => deck.screen().includes(token));
      const t0 = now();
      renameSync(path.join(tmp, name), path.join(fresh, name));
      const seenAt = await seen;
      if (seenAt) samples.push(seenAt - t0);
      else timeouts++;
      await sleep(20 + Math.random() * 30);
    }
    if (timeouts > 0) log(`mail: ${timeouts} of ${messages} messages never showed within 2 s`);
    if (samples.length < messages * 0.9) throw new Error(`mail: only ${samples.length} of ${messages} messages showed on screen`);
    return { mail_p50_ms: percentile(samples, 50), mail_p99_ms: percentile(samples, 99), mail_timeouts: timeouts };
  } finally {
    await deck.quit();
  }
}
