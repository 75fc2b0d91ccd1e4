/**
 * `npm run bench:model`: a model of N events that retry against one SMS rate, to tell which targets of issue 9 a
 * retry strategy can meet at all. Writes bench/MODEL.md.
 *
 * The bench (RESULTS.md, STRATEGIES.md) measures a few strategies on the real handler, one process per event. This
 * model replaces the processes with a loop and a seeded random generator, so that it can try hundreds of strategies
 * and seeds in seconds, and strategies that need something an invocation cannot have (knowing R, or sharing a rate
 * between invocations), to show what that knowledge would buy. Its limiter is the emulator's
 * (test/harness/sms-emulator.ts): a request is refused when R were accepted in the second before it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG_PAGE, THROTTLED } from '../lambda/retry';

/** What a strategy knows when one of its requests was throttled. */
export interface Throttled {
  /** Throttles this client has had, 1 for the first. */
  readonly retry: number;
  /** Seconds since the batch began. */
  readonly now: number;
  readonly random: () => number;
  /** Only for the oracles: the true rate, and the clients still without an answer. */
  readonly rate: number;
  readonly waiting: number;
}

/** A retry strategy: seconds to wait after a throttle, or, for a shared schedule, the time of the next attempt. */
export interface ModelStrategy {
  readonly name: string;
  /** Whether an invocation could run it: no knowledge of R, nothing shared with the other invocations. */
  readonly independent: boolean;
  /** Independent clients: the wait after a throttle (s). */
  readonly wait?: (t: Throttled) => number;
  /** Whether its waits are exponential (memoryless): then every waiting client draws its wait again after each answer. */
  readonly memoryless?: boolean;
  /** Clients sharing one schedule: a new one for each batch. */
  readonly shared?: () => SharedSchedule;
}

/** One rate shared by every client of a batch, as one SDK client in adaptive mode would be if all events shared it. */
export interface SharedSchedule {
  /** The time of a throttled client's next attempt. */
  next(now: number): number;
  accepted(): void;
}

export interface BatchResult {
  /** Seconds from the batch's start to the last answer. */
  readonly lastAnswer: number;
  readonly requestsPerEvent: number;
}

/** A seeded generator (mulberry32), so that every row of MODEL.md can be reproduced. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seconds from a request's sending to its answer reaching the client. */
const ROUND_TRIP = 0.03;
/** The first attempts arrive over this many seconds (CloudFormation sends the events at once). */
const START_SPREAD = 0.2;

/**
 * N events at once, each retrying with `strategy`, against a limit of `rate` accepted requests per second. The first
 * attempts are spread at random over START_SPREAD, or sent at `firstAttempts` (s); ties go to the lower index. Each
 * event needs `steps` requests answered one after the other (a Delete that reads the job, then deletes it, needs 2),
 * each a call of its own whose backoff starts again from its first throttle, as the handler's SMS calls do.
 */
export function batch(events: number, rate: number, strategy: ModelStrategy, seed: number, firstAttempts?: number[], steps = 1): BatchResult {
  const random = seeded(seed);
  const next = firstAttempts?.slice() ?? Array.from({ length: events }, () => random() * START_SPREAD);
  /** When each client learned of its last throttle: it cannot try again before. */
  const throttledAt = new Array<number>(events).fill(0);
  const retries = new Array<number>(events).fill(0);
  const answered = new Array<boolean>(events).fill(false);
  const done = new Array<number>(events).fill(0);
  const accepted: number[] = [];
  const shared = strategy.shared?.();
  let requests = 0;
  let waiting = events;
  let lastAnswer = 0;
  while (waiting > 0) {
    let client = -1;
    for (let i = 0; i < events; i++) if (!answered[i] && (client < 0 || next[i] < next[client])) client = i;
    const now = next[client];
    requests++;
    while (accepted.length > 0 && accepted[0] <= now - 1) accepted.shift();
    if (accepted.length < rate) {
      accepted.push(now);
      if (++done[client] < steps) {
        // The next call goes out when this one's answer arrives, with a backoff of its own.
        next[client] = now + ROUND_TRIP;
        retries[client] = 0;
        throttledAt[client] = now + ROUND_TRIP;
        shared?.accepted();
        continue;
      }
      answered[client] = true;
      waiting--;
      lastAnswer = Math.max(lastAnswer, now + ROUND_TRIP);
      shared?.accepted();
      if (strategy.memoryless) {
        // Clients still waiting after a throttle draw again at the new count; first attempts stay as they are.
        for (let i = 0; i < events; i++) {
          if (answered[i] || retries[i] === 0) continue;
          const from = Math.max(now, throttledAt[i]);
          next[i] = from + strategy.wait!({ retry: retries[i], now: from, random, rate, waiting });
        }
      }
      continue;
    }
    retries[client]++;
    const answerAt = now + ROUND_TRIP;
    throttledAt[client] = answerAt;
    next[client] = shared
      ? Math.max(answerAt, shared.next(answerAt))
      : answerAt + strategy.wait!({ retry: retries[client], now: answerAt, random, rate, waiting });
  }
  return { lastAnswer, requestsPerEvent: requests / events };
}

/** A backoff of lambda/retry.ts (milliseconds by retry number) itself, drawing from the model's generator. */
export function fromBackoff(name: string, backoff: (retry: number) => number): ModelStrategy {
  return { name, independent: true, wait: (t) => withRandom(t.random, () => backoff(t.retry)) / 1000 };
}

/** The shipped strategy: lambda/retry.ts's THROTTLED backoff itself. */
export function shipped(): ModelStrategy {
  return fromBackoff('shipped (lambda/retry.ts): window 3 s doubling to 20 s, wait 30-100% of it', THROTTLED);
}

/** Exponential backoff: a window from `base` seconds growing by `growth` up to `cap`, waiting `floor`-100% of it. */
export function exponential(base: number, growth: number, cap: number, floor: number): ModelStrategy {
  return {
    name: `window ${base} s x${growth} up to ${cap} s, wait ${floor * 100}-100%`,
    independent: true,
    wait: (t) => Math.min(cap, base * growth ** (t.retry - 1)) * (floor + (1 - floor) * t.random()),
  };
}

/**
 * An oracle no invocation can be: each waiting client knows R and how many still wait, and tries again after an
 * exponential wait at `c` x R / waiting, so that together they try c x R times a second, at random moments.
 */
export function oracleRandom(c: number): ModelStrategy {
  return {
    name: `oracle: knows R and how many wait, tries at random, ${c} x R a second together`,
    independent: false,
    memoryless: true,
    wait: (t) => -Math.log(1 - t.random()) * t.waiting / (c * t.rate),
  };
}

/**
 * Clients sharing one adaptive rate, which none of them knows at first: each throttled client takes the next free
 * turn at the shared rate, which starts at `start` a second, falls by 20% at most once a second while throttles come,
 * and grows by 0.1 a second with each accepted request (these two figures were tuned on this model's seeds). Lambda gives concurrent events no such shared state; a
 * DynamoDB item or similar would have to hold it.
 */
export function sharedAdaptive(start: number): ModelStrategy {
  return {
    name: `shared schedule: one adaptive rate for every event, from ${start}/s`,
    independent: false,
    shared: () => {
      let rate = start;
      let lastTurn = 0;
      let lastCut = -Infinity;
      return {
        next(now) {
          if (now - lastCut >= 1) {
            rate = Math.max(0.2, rate * 0.8);
            lastCut = now;
          }
          lastTurn = Math.max(now, lastTurn + 1 / rate);
          return lastTurn;
        },
        accepted() {
          rate += 0.1;
        },
      };
    },
  };
}

/** Runs `f` with Math.random drawing from `random`, so that lambda/retry.ts's own jitter is reproducible here. */
function withRandom<T>(random: () => number, f: () => T): T {
  const original = Math.random;
  Math.random = random;
  try {
    return f();
  } finally {
    Math.random = original;
  }
}

export const EVENTS = 50;
export const RATES = [10, 5, 2, 1];
export const SEEDS = 200;

/** One strategy at one rate, over `seeds` batches of EVENTS. */
export interface Cell {
  readonly rate: number;
  /** The 90th percentile of the last answer, over N/R. */
  readonly timeRatio: number;
  /** Requests per event, on average. */
  readonly requests: number;
}

export function cell(strategy: ModelStrategy, rate: number, seeds = SEEDS): Cell {
  const runs = Array.from({ length: seeds }, (_, seed) => batch(EVENTS, rate, strategy, seed + 1));
  const times = runs.map((r) => r.lastAnswer).sort((a, b) => a - b);
  return {
    rate,
    timeRatio: times[Math.ceil(0.9 * seeds) - 1] / (EVENTS / rate),
    requests: runs.reduce((sum, r) => sum + r.requestsPerEvent, 0) / seeds,
  };
}

/** One strategy at every rate. */
export interface Row {
  readonly strategy: ModelStrategy;
  readonly cells: Cell[];
  /** The larger of (time ratio / 1.5) and (requests / 4) at the worst rate: at most 1 meets both targets. */
  readonly worst: number;
}

export function evaluate(strategy: ModelStrategy, seeds = SEEDS): Row {
  const cells = RATES.map((rate) => cell(strategy, rate, seeds));
  return { strategy, cells, worst: Math.max(...cells.map((c) => Math.max(c.timeRatio / 1.5, c.requests / 4))) };
}

/** The exponential backoffs tried: every combination of these. */
export function grid(): ModelStrategy[] {
  const out: ModelStrategy[] = [];
  for (const base of [0.5, 1, 2, 3, 5, 8]) {
    for (const growth of [1.5, 2, 3]) {
      for (const cap of [10, 20, 30, 60]) {
        for (const floor of [0, 0.3, 0.5]) out.push(exponential(base, growth, cap, floor));
      }
    }
  }
  return out;
}

function render(rows: Row[], gridRows: Row[], seconds: number): string {
  const cell = (c: Row['cells'][number]) => {
    const time = `${c.timeRatio.toFixed(2)} x`;
    const requests = c.requests.toFixed(2);
    return `${c.timeRatio <= 1.5 ? time : `**${time}** ✗`} / ${c.requests <= 4 ? requests : `**${requests}** ✗`}`;
  };
  const line = (r: Row) => `| ${r.strategy.name} | ${r.strategy.independent ? 'yes' : 'no'} | ${r.cells.map(cell).join(' | ')} | ${r.worst <= 1 ? 'yes' : 'no'} |`;
  const meeting = gridRows.filter((r) => r.worst <= 1).length;
  return [
    `# Throttling: what ${gridRows.length} backoffs, an oracle and a shared schedule reach in a model`, '',
    `Generated by \`npm run bench:model\` (bench/model.ts) in ${seconds.toFixed(1)} s; every row computed in this run. ${EVENTS} events at once, `
      + `each retrying until answered, against a limit of R accepted requests in any second (the emulator's rule); ${SEEDS} seeded batches per cell, `
      + `answers ${ROUND_TRIP * 1000} ms after the request, first attempts spread over ${START_SPREAD * 1000} ms. A model, not the handler: the handler's `
      + 'own figures are in [RESULTS.md](RESULTS.md#deploys-under-sms-throttling) and [STRATEGIES.md](STRATEGIES.md).', '',
    'Each cell: the 90th percentile of the last answer over N/R (issue 9\'s target: at most 1.5 x), then SMS requests per event on average '
      + '(target: at most 4). "Independent" means an invocation could run it: it needs neither R nor anything shared with the other invocations.', '',
    `| strategy | independent | ${RATES.map((r) => `R = ${r}`).join(' | ')} | meets both |`,
    `| --- | --- | ${RATES.map(() => '---').join(' | ')} | --- |`,
    ...rows.map(line), '',
    `### ${gridRows.length} exponential backoffs (window 0.5-8 s, growth 1.5-3, cap 10-60 s, floor 0-50%; the shipped one among them): `
      + `${meeting} meet both targets at every R`, '',
    'The five nearest, by the larger of (time ratio / 1.5) and (requests / 4) at their worst rate:', '',
    '| strategy | independent | ' + RATES.map((r) => `R = ${r}`).join(' | ') + ' | meets both |',
    `| --- | --- | ${RATES.map(() => '---').join(' | ')} | --- |`,
    ...gridRows.slice(0, 5).map(line), '',
    '### Why R = 1 is the hard case', '',
    'At one request a second, an accepted request blocks the next second; the next one accepted is the first attempt after it. Clients that try '
      + 'at random, memoryless moments, c x R times a second together, leave on average 1/c s unused after each second, and spend c + 1 attempts '
      + 'on each accepted one. With every event\'s first attempt sent at once (one passes), N events at R = 1 take (N - 1)(1 + 1/c) s and '
      + '1 + (c + 1)(N - 1)/N requests each, on average (test/package/throttle-model.test.ts checks the model against this). For N = 50 the targets '
      + 'then need 1 + 1/c <= 1.5 and c <= 2.06: c = 2 and hardly anything else, on average, and the 90th percentile misses even then, for the oracle '
      + 'that knows R and how many still wait. An independent client knows neither, and a backoff by throttle count only slows down: it cannot tell when the '
      + `others have finished. None of the ${gridRows.length} backoffs tried meets both targets at every R; this is a search, not a proof. `
      + 'A rate shared by every event is learned once, together: the shared schedule meets both targets from 10/s, the highest R measured '
      + '(its two figures were tuned on this setup), and misses from 5/s or 20/s. Concurrent Lambda invocations share no memory; they could share '
      + 'a rate only through a new resource (a DynamoDB item, say) in every user\'s stack, or through SMS itself, whose job list costs requests '
      + 'from the very limit being shared.', '',
    ...deletesSection(), '',
    ...vmNamesSection(), '',
    '### The model against the bench', '',
    'The shipped row is lambda/retry.ts\'s own backoff. The bench runs the real handler with it, 50 processes against the emulator, once per rate: '
      + 'see the "new" rows of [RESULTS.md](RESULTS.md#deploys-under-sms-throttling), which also count DescribeStacks and the time the handler '
      + `itself takes, and are one batch, not a 90th percentile of ${SEEDS}.`, '',
  ].join('\n');
}

/** Delete batches of issue 32: N events of one request (DeleteReplicationJob) or two (GetReplicationJobs, then it). */
export const DELETE_CELLS: Array<{ events: number; rate: number }> = [{ events: 50, rate: 2 }, { events: 50, rate: 1 }, { events: 100, rate: 1 }];

/** The 90th percentile of the last answer over N/R, and the mean requests per event, for `steps` requests per event. */
export function deleteCell(events: number, rate: number, steps: number, seeds = SEEDS): { timeRatio: number; lastAnswer: number; requests: number } {
  const runs = Array.from({ length: seeds }, (_, seed) => batch(events, rate, shipped(), seed + 1, undefined, steps));
  const times = runs.map((r) => r.lastAnswer).sort((a, b) => a - b);
  const p90 = times[Math.ceil(0.9 * seeds) - 1];
  return { timeRatio: p90 / (events / rate), lastAnswer: p90, requests: runs.reduce((sum, r) => sum + r.requestsPerEvent, 0) / seeds };
}

function deletesSection(): string[] {
  const text = (c: ReturnType<typeof deleteCell>) => `${c.lastAnswer.toFixed(1)} s (${c.timeRatio.toFixed(2)} x) / ${c.requests.toFixed(2)}`;
  return [
    '### Deletes: one SMS request each, or a read and then the delete (issue 32)', '',
    'The shipped backoff, N Deletes at once; each cell: the 90th percentile of the last answer (and over N/R), then SMS requests per event. '
      + 'A Delete that reads its job\'s marker first (GetReplicationJobs, then DeleteReplicationJob: main 2259fee) needs two accepted requests, '
      + 'one after the other, each with a backoff of its own; a Delete whose physical id says the job was made, not adopted, needs one. The '
      + 'provider\'s function times out at 180 s. Targets: 50 Deletes within 2.3 x N/R and at most 6 requests each.', '',
    '| N | R | N / R (s) | one request (DeleteReplicationJob) | two (read, then delete) |',
    '| --- | --- | --- | --- | --- |',
    ...DELETE_CELLS.map(({ events, rate }) => `| ${events} | ${rate} | ${events / rate} | ${text(deleteCell(events, rate, 1))} | ${text(deleteCell(events, rate, 2))} |`),
  ];
}

/** VM-named Creates of issue 34: N jobs named by VM in a catalog of CATALOG_PAGES pages of GetServers. */
export const VM_CELLS: Array<{ events: number; rate: number }> = [{ events: 50, rate: 2 }, { events: 100, rate: 5 }, { events: 50, rate: 1 }];
/** A catalog of 1,000 servers read 50 to a page (GetServers' documented default). */
export const CATALOG_PAGES = 20;
/** How many VM-named jobs share one read of the catalog (lib/private/catalog-read.ts). */
export const JOBS_PER_READ = 50;

/**
 * N VM-named Creates against one SMS rate, each cell over `seeds` batches: `perJob`, every Create reads the catalog
 * itself (CATALOG_PAGES GetServers, then CreateReplicationJob: main 846eaf3); `shared`, the stack's reads of the
 * catalog (one per JOBS_PER_READ jobs, each CATALOG_PAGES requests with retry.ts's CATALOG_PAGE backoff, at once),
 * after which the N Creates go at once, one request each, with the shipped backoff.
 * The 90th percentile of the last answer (over N/R), the mean SMS requests per job, and the batches whose last
 * answer came after `timeoutSeconds` (the function's 180 s, less the 15 s the handler keeps to answer).
 */
export function vmCell(events: number, rate: number, design: 'perJob' | 'shared', seeds = SEEDS, timeoutSeconds = 165): { timeRatio: number; lastAnswer: number; requests: number; late: number } {
  const runs = Array.from({ length: seeds }, (_, seed) => {
    if (design === 'perJob') return batch(events, rate, shipped(), seed + 1, undefined, CATALOG_PAGES + 1);
    const readers = Math.ceil(events / JOBS_PER_READ);
    const read = batch(readers, rate, fromBackoff('catalog pages', CATALOG_PAGE), seed + 1, Array.from({ length: readers }, () => 0), CATALOG_PAGES);
    const random = seeded(seed + 1_000_001);
    const creates = batch(events, rate, shipped(), seed + 1, Array.from({ length: events }, () => read.lastAnswer + random() * START_SPREAD));
    return { lastAnswer: creates.lastAnswer, requestsPerEvent: creates.requestsPerEvent + (read.requestsPerEvent * readers) / events };
  });
  const times = runs.map((r) => r.lastAnswer).sort((a, b) => a - b);
  const p90 = times[Math.ceil(0.9 * seeds) - 1];
  return {
    timeRatio: p90 / (events / rate),
    lastAnswer: p90,
    requests: runs.reduce((sum, r) => sum + r.requestsPerEvent, 0) / seeds,
    late: runs.filter((r) => r.lastAnswer > timeoutSeconds).length,
  };
}

function vmNamesSection(): string[] {
  const text = (c: ReturnType<typeof vmCell>) => `${c.lastAnswer.toFixed(1)} s (${c.timeRatio.toFixed(2)} x) / ${c.requests.toFixed(2)}` +
    (c.late > 0 ? ` / **${c.late} of ${SEEDS} past 165 s**` : '');
  return [
    '### VM-named Creates: the catalog read by every job, or once for the stack (issue 34)', '',
    `The shipped backoff, N Creates at once of jobs named by VM in a catalog of ${CATALOG_PAGES} GetServers pages (1,000 servers, 50 a page); `
      + 'each cell: the 90th percentile of the last answer (and over N/R), then SMS requests per job, and how many batches ended past the 165 s '
      + `a Create has for SMS. "Every job reads" is main 846eaf3: ${CATALOG_PAGES} pages, then CreateReplicationJob, one after the other. "One read for `
      + `the stack": the stack's reads of the catalog (one per ${JOBS_PER_READ} jobs) take the ${CATALOG_PAGES} pages each, at once, with a lone `
      + 'reader\'s backoff (lambda/retry.ts\'s CATALOG_PAGE: 1 s plus up to 20%, doubling; CloudFormation starts no job before they answer), then the N Creates go at once, one request each; the reads\' pages count in the requests per job. Targets: 50 at 2/s '
      + 'within 3 x N/R and at most 8 requests per job; 100 at 5/s all made. The pages could be fewer: GetServers takes a maxResults, but SMS '
      + 'documents no largest value, and an emulator that accepts any would measure an assumption; every row here reads 50 a page.', '',
    '| N | R | N / R (s) | every job reads the catalog | one read for the stack |',
    '| --- | --- | --- | --- | --- |',
    ...VM_CELLS.map(({ events, rate }) => `| ${events} | ${rate} | ${events / rate} | ${text(vmCell(events, rate, 'perJob'))} | ${text(vmCell(events, rate, 'shared'))} |`),
  ];
}

function main(): void {
  const started = Date.now();
  const gridRows = grid().map((s) => evaluate(s)).sort((a, b) => a.worst - b.worst);
  const rows = [shipped(), oracleRandom(2), oracleRandom(3), sharedAdaptive(5), sharedAdaptive(10), sharedAdaptive(20)].map((s) => evaluate(s));
  const markdown = render(rows, gridRows, (Date.now() - started) / 1000);
  fs.writeFileSync(path.join(__dirname, 'MODEL.md'), markdown);
  process.stdout.write(markdown);
}

if (require.main === module) main();
