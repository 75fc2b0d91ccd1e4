/**
 * Writes are deliberate: a write command lists what it will do (its plan, one line per write), then asks on a
 * terminal; without one it needs --yes; --dry-run prints the plan and writes nothing. Each write is logged on stderr
 * with the call and the job.
 */
import { createInterface } from 'node:readline';
import type { ReadFailure } from './report';

export interface WriteFlags {
  readonly yes: boolean;
  readonly dryRun: boolean;
}

/** What came of the plan: go ahead, only shown (--dry-run), or nothing written (no terminal and no --yes, or "no"). */
export type Decision = 'go' | 'dry-run' | 'refused' | 'declined';

/**
 * Shows the plan on stderr (on stdout with --dry-run, unless stdout carries JSON) and decides. `what` names the
 * command's writes for the refusal, e.g. "StartOnDemandReplicationRun for 3 jobs".
 */
export async function decide(command: string, what: string, plan: string[], flags: WriteFlags, json: boolean): Promise<Decision> {
  const text = `${command} will:\n${plan.map((l) => `  ${l}`).join('\n')}\n`;
  if (flags.dryRun) {
    (json ? process.stderr : process.stdout).write(`${text}--dry-run: nothing was written.\n`);
    return 'dry-run';
  }
  process.stderr.write(text);
  if (flags.yes) return 'go';
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    process.stderr.write(`${command} writes to SMS (${what}) and there is no terminal to confirm on: pass --yes to go ahead, ` +
      'or --dry-run to print the plan only. Nothing was written.\n');
    return 'refused';
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal, Ctrl-C at the prompt reaches readline as a key, not as a signal: it declines, as does end of input.
  const answer = await new Promise<string>((resolve) => {
    prompt.on('SIGINT', () => resolve(''));
    prompt.on('close', () => resolve(''));
    prompt.question(`Go ahead? Type yes to ${what}: `, resolve);
  });
  prompt.close();
  if (/^y(es)?$/i.test(answer.trim())) return 'go';
  process.stderr.write('\nNot confirmed: nothing was written.\n');
  return 'declined';
}

/** One write, as it happened: `2026-12-07T19:30:00.000Z SMS StartOnDemandReplicationRun sms-job-…: started sms-run-…`. */
export function logWrite(call: string, jobId: string | null, outcome: string): void {
  process.stderr.write(`${new Date().toISOString()} SMS ${call}${jobId ? ` ${jobId}` : ''}: ${outcome}\n`);
}

/** Set on the first Ctrl-C: the commands stop starting writes and waiting, and report what was done. */
export const interrupt = new AbortController();

/** Resolves after `ms`, or at once on Ctrl-C. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (interrupt.signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      interrupt.signal.removeEventListener('abort', done);
      resolve();
    }
    interrupt.signal.addEventListener('abort', done);
  });
}

/** Errors of a caller without the permission: the fix is the command's policy (README, "Commands"). */
const DENIED = new Set(['UnauthorizedOperationException', 'AccessDenied', 'AccessDeniedException']);

/** The failure, with the fix when it is a missing permission. */
export function withFix(failure: ReadFailure): ReadFailure {
  if (!DENIED.has(failure.code)) return failure;
  const action = `${failure.service === 'SMS' ? 'sms' : 'cloudformation'}:${failure.call}`;
  return { ...failure, message: `${failure.message}: allow ${action} to the caller (README, "Commands", has each command's policy)` };
}
