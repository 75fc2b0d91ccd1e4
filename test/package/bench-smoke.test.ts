/**
 * `npm run bench` is how issue 9's numbers are produced, and nothing else runs it: a handler change it does not model
 * (a new call, a new intrinsic in the template) breaks it silently. This runs its throttled deploy end to end on three
 * jobs, the shipped handler and the one before issue 9, unthrottled enough to take seconds. And `npm run bench:replicate`
 * on three jobs whose runs take half a second. And `npm run bench:latest-ami` on three jobs and three AMI events.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HandlerBench } from '../../bench/handlers';
import { latestAmiMatrix } from '../../bench/latest-ami';
import { replicateBench } from '../../bench/replicate';
import { seedTime } from '../../bench/stacks';
import { serverMatrix } from '../../bench/server';
import { OLD, SHIPPED, deployEvents, throttlingMatrix } from '../../bench/throttling';

jest.setTimeout(120_000);

test('the bench deploys and deletes three jobs with the shipped handler and the old one', async () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const { creates, servers, newServers } = deployEvents(3, seedTime(), path.join(workDir, 'cdk.out'));
    expect(creates).toHaveLength(3);
    const bench = await HandlerBench.start(workDir);
    try {
      const { deploys, replacements } = await throttlingMatrix(bench, workDir, [SHIPPED, OLD], creates, servers, newServers,
        () => undefined, { rates: [10], replacement: true });
      for (const run of deploys) {
        expect({ strategy: run.strategy, created: run.creates.succeeded, made: run.jobsMade, deleted: run.deletes?.succeeded, left: run.jobsLeft })
          .toEqual({ strategy: run.strategy, created: 3, made: 3, deleted: 3, left: 0 });
      }
      // Each handler reads its stack's status before its write (only the retry strategy differs between them).
      expect(deploys.map((d) => d.creates.describeStacks >= d.creates.events)).toEqual([true, true]);
      for (const run of replacements) {
        expect({ strategy: run.strategy, left: run.jobsLeft, moved: run.jobsOnNewServers }).toEqual({ strategy: run.strategy, left: 3, moved: 3 });
      }
    } finally {
      await bench.close();
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
});

test('bench:server creates and deletes three VM-named jobs through one read of the catalog, three named by address, and three by id', async () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const bench = await HandlerBench.start(workDir);
    try {
      const runs = await serverMatrix(bench, workDir, () => undefined, [{ jobs: 3, rate: 1000 }], { baseline: false });
      expect(runs.map((r) => ({ naming: r.naming, created: r.created, deleted: r.deleted, failure: r.failure }))).toEqual([
        { naming: 'vmName', created: 3, deleted: 3, failure: undefined },
        { naming: 'vmAddress', created: 3, deleted: 3, failure: undefined },
        { naming: 'serverId', created: 3, deleted: 3, failure: undefined },
      ]);
      // One read of the catalog's 20 pages for the three VM-named jobs (SMS unthrottled in effect: 1,000 requests a second), one
      // GetServers filtered to their three addresses for the address-named jobs, none for ids.
      expect(runs.map((r) => r.getServers)).toEqual([20, 1, 0]);
    } finally {
      await bench.close();
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
});

test('bench:replicate follows three runs to their AMIs and counts each SMS request', async () => {
  const row = await replicateBench({ jobs: 3, rate: 50, timings: { pendingMs: 100, stageMs: 200, stages: ['UPLOAD', 'CONVERT'] }, interval: 0.2 });
  expect({ exit: row.exit, completed: row.completed, withAmi: row.withAmi, starts: row.requests.StartOnDemandReplicationRun })
    .toEqual({ exit: 0, completed: 3, withAmi: 3, starts: 3 });
  // The runs' span is what the emulator timed, at least one run's own duration; the wall time includes it.
  expect(row.runsSpanMs).toBeGreaterThanOrEqual(row.runMs);
  expect(row.wallMs).toBeGreaterThan(row.runsSpanMs);
});

test('bench:latest-ami deletes three jobs with their parameters and three without, and writes three AMI events\' parameters', async () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const { creates, servers } = deployEvents(3, seedTime(), path.join(workDir, 'cdk.out'));
    const bench = await HandlerBench.start(workDir);
    try {
      const { deletes, events } = await latestAmiMatrix(bench, creates, servers, () => undefined,
        { deletes: [{ jobs: 3, rate: 1000 }], events: [{ events: 3, rate: 1000 }], quietMs: 0 });
      expect(deletes.map((d) => ({ variant: d.variant, deleted: d.succeeded, before: d.parametersBefore, left: d.parametersLeft, jobs: d.jobsLeft, ssm: d.ssm })))
        .toEqual([
          { variant: 'latestAmi', deleted: 3, before: 3, left: 0, jobs: 0, ssm: { GetParameterHistory: 3, DeleteParameter: 3 } },
          { variant: 'baseline', deleted: 3, before: 0, left: 0, jobs: 0, ssm: {} },
        ]);
      expect(events.map((e) => ({ right: e.right, failed: e.failed + e.timedOut, put: e.ssm.PutParameter }))).toEqual([{ right: 3, failed: 0, put: 3 }]);
    } finally {
      await bench.close();
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
});
