import { SEED_MARGIN_MS, nextRunStart, seedForCreate } from '../../lambda/seed';

/** A fixed "now" for the decisions; the lifecycle tests check the same against the emulator's clock. */
const NOW = Date.UTC(2026, 10, 27, 8, 0, 0, 250);
const MINUTE = 60_000;

describe('seedForCreate', () => {
  beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('a time far enough ahead is sent as it is', () => {
    const seed = new Date(NOW + 7 * 24 * 60 * MINUTE);
    expect(seedForCreate(seed, NOW)).toBe(seed);
    expect(console.log).not.toHaveBeenCalled();
  });

  test.each([
    ['no time', undefined],
    ['a time a year past', new Date(NOW - 365 * 24 * 60 * MINUTE)],
    ['a time a minute ahead, which could be past when SMS reads it', new Date(NOW + MINUTE)],
  ])('%s becomes the margin from now, in whole seconds, and is logged', (_, requested) => {
    const sent = seedForCreate(requested, NOW);
    expect(sent.getTime()).toBe(Date.UTC(2026, 10, 27, 8, 5, 1));
    expect(sent.getTime() - NOW).toBeGreaterThanOrEqual(SEED_MARGIN_MS);
    expect(sent.getTime() - NOW).toBeLessThan(SEED_MARGIN_MS + 1000);
    const [line] = (console.log as jest.Mock).mock.calls[0];
    expect(JSON.parse(line)).toEqual({
      message: expect.stringContaining('as soon as possible'),
      ...(requested ? { requested: requested.toISOString() } : {}),
      seedReplicationTime: '2026-11-27T08:05:01.000Z',
    });
  });
});

describe('nextRunStart', () => {
  const old = new Date(NOW - 30 * 24 * 60 * MINUTE);

  test('a changed future time moves the next run', () => {
    const later = new Date(NOW + 2 * 24 * 60 * MINUTE);
    expect(nextRunStart(later, old, NOW)).toBe(later);
    expect(nextRunStart(later, undefined, NOW)).toBe(later);
  });

  test('an unchanged, past or removed time moves nothing', () => {
    expect(nextRunStart(new Date(old.getTime()), old, NOW)).toBeUndefined();
    expect(nextRunStart(new Date(NOW - MINUTE), old, NOW)).toBeUndefined();
    expect(nextRunStart(undefined, old, NOW)).toBeUndefined();
  });
});
