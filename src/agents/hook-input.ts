/** Reading an agent hook's JSON input from stdin (every `workerdeck hook <event>`). */

/** Read stdin to its end, or give up after `timeoutMs` (a hook must not hang its agent). */
async function readStdin(timeoutMs: number): Promise<string> {
  if (process.stdin.isTTY) return '';
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      process.stdin.pause();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, timeoutMs);
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', done);
    process.stdin.on('error', done);
  });
}

/**
 * The hook's stdin JSON as an object; {} when it is empty, not JSON, or not
 * an object.
 * @param timeoutMs how long to wait for stdin to end, in ms
 */
export async function readHookInput(timeoutMs = 5000): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readStdin(timeoutMs));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: no input
  }
  return {};
}
