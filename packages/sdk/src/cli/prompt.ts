/** Questions on the terminal: plain, or hidden for secrets (nothing echoed). */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export async function ask(question: string, opts: { hidden?: boolean; input?: Readable; output?: Writable } = {}): Promise<string> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stderr;
  const rl = createInterface({ input, output, terminal: Boolean((input as { isTTY?: boolean }).isTTY) });
  if (opts.hidden) {
    // Print the question once, then swallow what readline would echo.
    const write = (rl as unknown as { _writeToOutput?: (s: string) => void })._writeToOutput;
    let asked = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true;
        write?.call(rl, s);
      }
    };
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.question(question, (answer) => resolve(answer.trim()));
      rl.once('close', () => reject(new Error(`no answer to "${question.trim()}" (stdin closed): pass it as a flag`)));
    });
  } finally {
    if (opts.hidden) output.write('\n');
    rl.close();
  }
}
