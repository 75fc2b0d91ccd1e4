/**
 * bench/model.ts stands in for fifty Lambda invocations in bench/MODEL.md, so its loop and its limiter must reproduce
 * what can be worked out by hand (MODEL.md, "Why R = 1 is the hard case").
 */
import { ModelStrategy, Throttled, batch, cell, fromBackoff, oracleRandom } from '../../bench/model';
import { DESCRIBE_STACKS, THROTTLED } from '../../lambda/retry';

const EVENTS = 50;
const SEEDS = 40;

test.each([2, 3])('at 1 request a second, random tries at %d x R a second take (N - 1)(1 + 1/c) s and 1 + (c + 1)(N - 1)/N requests each', (c) => {
  const runs = Array.from({ length: SEEDS }, (_, seed) => batch(EVENTS, 1, oracleRandom(c), seed + 1));
  const seconds = runs.reduce((sum, r) => sum + r.lastAnswer, 0) / SEEDS;
  const requests = runs.reduce((sum, r) => sum + r.requestsPerEvent, 0) / SEEDS;
  expect(Math.abs(seconds / ((EVENTS - 1) * (1 + 1 / c)) - 1)).toBeLessThan(0.04);
  expect(Math.abs(requests / (1 + (c + 1) * (EVENTS - 1) / EVENTS) - 1)).toBeLessThan(0.04);
});

test('three events at once, 1 request a second, a constant wait of 0.5 s: worked out by hand', () => {
  const seen: Throttled[] = [];
  const halfSecond: ModelStrategy = { name: 'half a second', independent: true, wait: (t) => { seen.push(t); return 0.5; } };
  const result = batch(3, 1, halfSecond, 1, [0, 0, 0]);
  // t = 0: the first passes, the others are told at 0.03 and come back at 0.53, refused (the first still counts), at
  // 1.06 the second passes and the third is refused, at 1.59 refused again (1.06 counts), at 2.12 it passes.
  expect(seen.map((t) => [t.retry, Number(t.now.toFixed(2))])).toEqual([[1, 0.03], [1, 0.03], [2, 0.56], [2, 0.56], [3, 1.09], [4, 1.62]]);
  expect(result.lastAnswer).toBeCloseTo(2.15, 6);
  expect(result.requestsPerEvent).toBeCloseTo(9 / 3, 6);
});

test('the limiter lets at most R requests a second through: N events take at least (N - R) / R seconds', () => {
  for (const rate of [1, 2, 5]) {
    expect(batch(EVENTS, rate, oracleRandom(2), 7).lastAnswer).toBeGreaterThanOrEqual((EVENTS - rate) / rate);
  }
});

test('in the model, DESCRIBE_STACKS meets issue 22\'s targets at 1 request a second, and the SMS backoff it replaced does not', () => {
  // bench/DESCRIBE-STACKS-MODEL.md: fifty reads at 1 a second, the 90th percentile of the last answer within 1.5 x 50 s
  // and at most 6 requests each on average, over the same 200 seeds.
  const shipped = cell(fromBackoff('DESCRIBE_STACKS', DESCRIBE_STACKS), 1, 200);
  expect(shipped.timeRatio).toBeLessThanOrEqual(1.5);
  expect(shipped.requests).toBeLessThanOrEqual(6);
  expect(cell(fromBackoff('THROTTLED', THROTTLED), 1, 200).timeRatio).toBeGreaterThan(1.5);
});
