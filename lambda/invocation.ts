/**
 * What one invocation of the handler knows and keeps, created by the handler for each event and passed to whatever
 * needs it (index.ts says why).
 */
import { Budget, budgetOf } from './budget';
import { AttemptCheck, Send, SmsSender, call, sms } from './sms';
import { StatusReader } from './stack-status';

export class Invocation {
  /** How the invocation spends its time (budget.ts). */
  public readonly budget: Budget;
  /** The one reader of the stack's status: its latest reading may serve the next write (rollback.ts). */
  public readonly reader: StatusReader;
  /** The check every SMS write of this invocation passes (rollback.ts's follow); none when undefined. */
  private writeGuard?: AttemptCheck;

  /**
   * `remainingMs`: the time Lambda gives the invocation (context.getRemainingTimeInMillis()). `client`: the SMS client
   * to send with, the container's unless a test gives another; `reader`: the stack's status reader, likewise.
   */
  constructor(stackId: string, remainingMs: number, private readonly client: SmsSender = sms, reader?: StatusReader) {
    this.budget = budgetOf(remainingMs);
    this.reader = reader ?? new StatusReader(stackId);
  }

  /** Makes every later SMS write of this invocation pass `guard`, or none when undefined. */
  guardWrites(guard: AttemptCheck | undefined): void {
    this.writeGuard = guard;
  }

  /** Whether the invocation's SMS writes are checked. */
  get writesGuarded(): boolean {
    return this.writeGuard !== undefined;
  }

  /**
   * One SMS call of this invocation (sms.ts's `call`): every attempt of each command that `run` sends passes this
   * invocation's write guard, and the call keeps its own record of what SMS answered, for its Reason. Fails with a
   * DeadlineError at `deadline` (epoch ms), else with an SmsCallError (errors.ts).
   */
  call<T>(operation: string, run: (send: Send) => Promise<T>, deadline: number): Promise<T> {
    return call(operation, run, deadline, { client: this.client, checks: this.writeGuard ? [this.writeGuard] : [] });
  }
}
