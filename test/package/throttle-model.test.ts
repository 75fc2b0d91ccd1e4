/**
 * bench/model.ts stands in for fifty Lambda invocations in bench/MODEL.md, so its loop and its limiter must reproduce
 * what can be worked out by hand: at one request a second, clients that try at random moments, c x R times a second
 * together, need N (1 + 1/c) / R seconds and c + 1 requests each (MODEL.md, "Why R = 1 is the hard case").
 */
import { batch, oracleRandom } from '../../bench/model';

const EVENTS = 50;
const SEEDS = 40;

test.each([2, 3])('at 1 request a second, random tries at %d x R a second take N (1 + 1/c) / R s and c + 1 requests each', (c) => {
  const runs = Array.from({ length: SEEDS }, (_, seed) => batch(EVENTS, 1, oracleRandom(c), seed + 1));
  const seconds = runs.reduce((sum, r) => sum + r.lastAnswer, 0) / SEEDS;
  const requests = runs.reduce((sum, r) => sum + r.requestsPerEvent, 0) / SEEDS;
  expect(Math.abs(seconds / (EVENTS * (1 + 1 / c)) - 1)).toBeLessThan(0.05);
  expect(Math.abs(requests / (c + 1) - 1)).toBeLessThan(0.05);
});

test('the limiter lets at most R requests a second through: N events take at least (N - R) / R seconds', () => {
  for (const rate of [1, 2, 5]) {
    expect(batch(EVENTS, rate, oracleRandom(2), 7).lastAnswer).toBeGreaterThanOrEqual((EVENTS - rate) / rate);
  }
});
