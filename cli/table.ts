/**
 * The report as text for people: per stack, a table with one row per ReplicationJob, the details of what needs
 * attention beneath it, then the orphans. Ids, states and times are never cut (they are meant to be copied); the
 * construct path is cut at its start (its end names the job), the logical id in its middle (its end is a hash) and
 * the server's VM name at its end. The path shown is the ReplicationJob's, in its stack; --json has the whole path. Colour only when asked (a terminal, without NO_COLOR).
 */
import { JobReport, StatusReport } from './report';

type Cut = 'none' | 'start' | 'middle' | 'end';

interface Column {
  readonly title: string;
  readonly value: (job: JobReport, stackName: string) => string;
  readonly cut: Cut;
  /** Widest the column gets, and narrowest when fitted to a terminal. */
  readonly max?: number;
  readonly min?: number;
  readonly paint?: (value: string, job: JobReport) => Paint | undefined;
}

type Paint = 'green' | 'yellow' | 'red';
const CODES: Record<Paint, string> = { green: '32', yellow: '33', red: '31' };

const COLUMNS: Column[] = [
  { title: 'RESOURCE', value: (j) => j.logicalId, cut: 'middle', max: 32, min: 16 },
  { title: 'PATH', value: (j, stack) => shortPath(j.constructPath, stack), cut: 'start', max: 40, min: 12 },
  { title: 'JOB', value: (j) => j.jobId ?? j.physicalResourceId ?? '-', cut: 'none' },
  { title: 'SERVER', value: (j) => `${j.server.id ?? '-'}${j.server.vmName ? ` ${j.server.vmName}` : ''}`, cut: 'end', max: 32, min: 11 },
  { title: 'STATE', value: (j) => j.state ?? '-', cut: 'none', paint: (_, j) => (j.state === null ? undefined : stateColour(j.state)) },
  { title: 'LAST RUN', value: (j) => (j.lastRun ? `${j.lastRun.state ?? '?'} ${short(j.lastRun.at)}` : '-'), cut: 'none',
    paint: (_, j) => (j.lastRun?.state === 'FAILED' ? 'red' : undefined) },
  { title: 'NEXT RUN', value: (j) => (j.nextRun?.state === 'ACTIVE' ? `ACTIVE ${short(j.nextRun.at)}` : short(j.nextRun?.at ?? j.nextRunAt)), cut: 'none' },
  { title: 'LATEST AMI', value: (j) => j.latestAmiId ?? '-', cut: 'none' },
  { title: 'DRIFT', value: (j) => j.drift.status + (j.drift.differences.length > 0 ? ` (${j.drift.differences.length})` : ''), cut: 'none',
    paint: (_, j) => (j.drift.status === 'IN_SYNC' ? 'green' : j.drift.status === 'DELETED' ? 'red' : 'yellow') },
];

export interface TableOptions {
  readonly colour: boolean;
  /** The terminal's width, to fit the table to; undefined (not a terminal): each column up to its max. */
  readonly width?: number;
}

/** The whole report as text, ending with a newline. */
export function renderTable(report: StatusReport, options: TableOptions): string {
  const paint = (text: string, colour: Paint | undefined) => (options.colour && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const stack of report.stacks) {
    if (!stack.read) {
      lines.push(`Stack ${stack.stackName}: ${paint('not read', 'red')} (the error is on stderr)`, '');
      continue;
    }
    lines.push(`Stack ${stack.stackName} (${stack.stackStatus}): ${count(stack.jobs.length, 'replication job')}`);
    if (stack.jobs.length > 0) {
      const cells = stack.jobs.map((job) => COLUMNS.map((c) => c.value(job, stack.stackName)));
      const widths = fit(COLUMNS.map((c, i) => Math.min(c.max ?? Infinity, Math.max(c.title.length, ...cells.map((row) => row[i].length)))), options.width);
      lines.push(COLUMNS.map((c, i) => c.title.padEnd(widths[i])).join('  ').trimEnd());
      stack.jobs.forEach((job, r) => {
        lines.push(COLUMNS.map((c, i) => paint(cut(cells[r][i], widths[i], c.cut).padEnd(widths[i]), c.paint?.(cells[r][i], job))).join('  ').trimEnd());
      });
      for (const job of stack.jobs) {
        lines.push(...details(job).map((d) => `  ${d}`));
      }
    }
    if (stack.orphans.length > 0) {
      lines.push('', paint(`${count(stack.orphans.length, 'orphan')}: jobs marked by stack ${stack.stackName} that it does not hold`, 'red'));
      for (const o of stack.orphans) {
        lines.push(`  ${o.jobId}  ${o.serverId ?? '-'}${o.vmName ? ` ${o.vmName}` : ''}  ${o.state ?? '-'}  ${o.marker}`,
          `    ${o.why}`, `    delete: ${o.deleteCommand}`, `    adopt:  ${o.adopt}`);
      }
    }
    lines.push('');
  }
  // The errors themselves go to stderr, once (cli/index.ts); the summary counts them.
  lines.push(summary(report));
  return lines.join('\n') + '\n';
}

/** What needs attention about one job, a line each: drift, a failed state, a failed run. */
function details(job: JobReport): string[] {
  const out: string[] = [];
  const name = job.logicalId;
  if (job.drift.status === 'DELETED' || job.drift.status === 'NOT_CHECKED') {
    out.push(`${name}: ${job.drift.status}: ${job.drift.reason}`);
  }
  for (const d of job.drift.differences) {
    out.push(`${name}: MODIFIED ${d.propertyPath}: expected ${show(d.expectedValue)}, SMS has ${show(d.actualValue)}`);
  }
  if (!job.healthy && job.state) {
    out.push(`${name}: ${job.state}${job.statusMessage ? `: ${job.statusMessage}` : ''}`);
  }
  if (job.lastRun?.state === 'FAILED') {
    out.push(`${name}: last run ${job.lastRun.id ?? ''} FAILED${job.lastRun.statusMessage ? `: ${job.lastRun.statusMessage}` : ''}`);
  }
  return out;
}

function summary(report: StatusReport): string {
  const jobs = report.stacks.flatMap((s) => s.jobs);
  const byDrift = new Map<string, number>();
  for (const j of jobs) byDrift.set(j.drift.status, (byDrift.get(j.drift.status) ?? 0) + 1);
  const unhealthy = jobs.filter((j) => !j.healthy).length;
  const orphans = report.stacks.reduce((n, s) => n + s.orphans.length, 0);
  const parts = [
    `${count(jobs.length, 'replication job')} in ${count(report.stacks.length, 'stack')}`,
    [...byDrift].map(([status, n]) => `${n} ${status}`).join(', ') || 'no drift to report',
    `${unhealthy} failed`,
    count(orphans, 'orphan'),
  ];
  if (report.errors.length > 0) parts.push(count(report.errors.length, 'read that failed', 'reads that failed'));
  const meaning = ['all in sync and healthy', 'drift, a failed state or an orphan', 'something could not be read'][report.exitCode];
  return `${parts.join('; ')}. Exit ${report.exitCode}: ${meaning}.`;
}

/** Narrows the cuttable columns, widest first, down to their minimum until the table fits `width`. */
function fit(widths: number[], width: number | undefined): number[] {
  if (width === undefined) return widths;
  const out = [...widths];
  let excess = out.reduce((a, b) => a + b, 0) + 2 * (out.length - 1) - width;
  while (excess > 0) {
    const candidates = COLUMNS.map((_, i) => i).filter((i) => COLUMNS[i].cut !== 'none' && out[i] > (COLUMNS[i].min ?? 0));
    if (candidates.length === 0) break;
    const widest = candidates.reduce((a, b) => (out[b] > out[a] ? b : a));
    out[widest]--;
    excess--;
  }
  return out;
}

/** Cuts `text` to `width` characters, marking the cut with an ellipsis. */
export function cut(text: string, width: number, how: Cut): string {
  if (text.length <= width || how === 'none') return text;
  if (width <= 1) return text.slice(0, width);
  switch (how) {
    case 'start': return '…' + text.slice(text.length - width + 1);
    case 'end': return text.slice(0, width - 1) + '…';
    case 'middle': {
      const head = Math.ceil((width - 1) / 2);
      return text.slice(0, head) + '…' + text.slice(text.length - (width - 1 - head));
    }
  }
}

/** The ReplicationJob's own path: without the stack (the heading names it) and its inner `/Resource` (`/Default`). */
function shortPath(path: string | null, stackName: string): string {
  if (!path) return '-';
  const inStack = path.startsWith(`${stackName}/`) ? path.slice(stackName.length + 1) : path;
  return inStack.replace(/\/Resource(\/Default)?$/, '');
}

/** `2026-12-04 02:00Z`. */
function short(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '-';
}

function show(value: string | null): string {
  return value === null ? '(none)' : JSON.stringify(value);
}

function stateColour(state: string): Paint | undefined {
  if (['FAILED', 'FAILING', 'PAUSED_ON_FAILURE', 'DELETED', 'DELETING'].includes(state)) return 'red';
  return ['ACTIVE', 'COMPLETED', 'PENDING'].includes(state) ? 'green' : undefined;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A plain table for the other commands: a title row, then one row per item, columns padded to their widest cell (at
 * most `max` for a column given one, cut at its end: ids have none and are never cut).
 */
export function renderGrid(titles: string[], rows: string[][], max: Array<number | undefined> = []): string[] {
  const widths = titles.map((t, i) => Math.min(max[i] ?? Infinity, Math.max(t.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => cut(c, widths[i], 'end').padEnd(widths[i])).join('  ').trimEnd();
  return [line(titles), ...rows.map(line)];
}
