/**
 * An SVG line chart of template size against jobs per stack, one line per library, with the 1 MB template quota
 * and the point where each library's stack stops.
 */

export interface Series {
  readonly label: string;
  readonly color: string;
  /** Measured points: jobs, template bytes. */
  readonly points: Array<[number, number]>;
  /** The most jobs the stack can hold, and the quota that stops it. */
  readonly limit: { jobs: number; by: string };
  /** Bytes of the template at `jobs`, from the measured growth. */
  readonly bytesAt: (jobs: number) => number;
}

export function chart(series: Series[], templateQuota: number): string {
  const width = 720;
  const height = 420;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const maxJobs = 500;
  const maxBytes = Math.max(templateQuota * 1.1, ...series.flatMap((s) => s.points.map(([, b]) => b)));
  const x = (jobs: number) => left + (jobs / maxJobs) * (width - left - right);
  const y = (bytes: number) => height - bottom - (bytes / maxBytes) * (height - top - bottom);
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  // Below the quota line, which sits near the top.
  const legendTop = y(templateQuota) + 24;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">Template size against SMS replication jobs per stack</text>`);
  for (let jobs = 0; jobs <= maxJobs; jobs += 100) {
    out.push(`<line x1="${x(jobs)}" y1="${y(0)}" x2="${x(jobs)}" y2="${top}" stroke="#eee"/>`);
    out.push(`<text x="${x(jobs)}" y="${height - bottom + 18}" text-anchor="middle">${jobs}</text>`);
  }
  const step = 256 * 1024;
  for (let bytes = 0; bytes <= maxBytes; bytes += step) {
    out.push(`<line x1="${left}" y1="${y(bytes)}" x2="${width - right}" y2="${y(bytes)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${y(bytes) + 4}" text-anchor="end">${kb(bytes)}</text>`);
  }
  out.push(`<line x1="${left}" y1="${y(0)}" x2="${width - right}" y2="${y(0)}" stroke="black"/>`);
  out.push(`<line x1="${left}" y1="${y(0)}" x2="${left}" y2="${top}" stroke="black"/>`);
  out.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">replication jobs in the stack</text>`);
  out.push(`<line x1="${left}" y1="${y(templateQuota)}" x2="${width - right}" y2="${y(templateQuota)}" stroke="#c00" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${width - right - 4}" y="${y(templateQuota) - 6}" text-anchor="end" fill="#c00">CloudFormation template quota (1 MB)</text>`);
  series.forEach((s, i) => {
    // Solid up to the most jobs the stack can hold, dashed beyond: those stacks would not deploy.
    const stopAt = Math.min(s.limit.jobs, maxJobs);
    const line = (points: Array<[number, number]>) => points.map(([j, b], k) => `${k === 0 ? 'M' : 'L'}${x(j).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    const within: Array<[number, number]> = [...s.points.filter(([j]) => j < stopAt), [stopAt, s.bytesAt(stopAt)]];
    const beyond: Array<[number, number]> = [[stopAt, s.bytesAt(stopAt)], ...s.points.filter(([j]) => j > stopAt)];
    out.push(`<path d="${line(within)}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    if (beyond.length > 1) {
      out.push(`<path d="${line(beyond)}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="4 4"/>`);
    }
    for (const [j, b] of s.points) {
      out.push(`<circle cx="${x(j).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const stop = stopAt;
    const sy = y(s.bytesAt(stop));
    out.push(`<line x1="${x(stop).toFixed(1)}" y1="${(sy - 14).toFixed(1)}" x2="${x(stop).toFixed(1)}" y2="${(sy + 14).toFixed(1)}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${(x(stop) + (stop > 400 ? -6 : 6)).toFixed(1)}" y="${(sy - 18).toFixed(1)}" text-anchor="${stop > 400 ? 'end' : 'start'}" fill="${s.color}">stops at ${s.limit.jobs} jobs (${s.limit.by})</text>`);
    out.push(`<rect x="${left + 12}" y="${legendTop + i * 18}" width="14" height="4" fill="${s.color}"/>`);
    out.push(`<text x="${left + 32}" y="${legendTop + 6 + i * 18}">${s.label}</text>`);
  });
  out.push(`<text x="${left + 12}" y="${legendTop + 6 + series.length * 18}" fill="#666">dashed: measured, but past a quota (would not deploy)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
