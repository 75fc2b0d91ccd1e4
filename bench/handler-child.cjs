// A stand-in for the Lambda runtime, in a fresh Node.js process: loads one custom resource handler and invokes it.
//
//   node handler-child.cjs cold <handler.js> <event.json>  one event, then reports its CPU time and memory on fd 3
//   node handler-child.cjs warm <handler.js> [timeout ms]  events from the parent over IPC, one at a time
//
// Plain CommonJS, so that nothing but the handler is compiled or loaded before it.
'use strict';
const { readFileSync, writeSync } = require('node:fs');

const [mode, handlerPath, eventPath] = process.argv.slice(2);
/** The function's timeout: in warm mode the third argument, if given. */
const timeoutMs = mode === 'warm' && eventPath ? Number(eventPath) : 90_000;

/** The parts of the Lambda context the two handlers read. */
function context() {
  const deadline = Date.now() + timeoutMs;
  return {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    logStreamName: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    functionName: 'bench',
    awsRequestId: 'bench',
  };
}

/**
 * The process's peak resident memory, in KiB. Not resourceUsage().maxRSS: Linux carries that over from the forked
 * parent across exec, so it reports the parent's size. VmHWM belongs to this process's own address space.
 */
let sampledPeakKb = 0;
function peakRssKb() {
  sampledPeakKb = Math.max(sampledPeakKb, Math.round(process.memoryUsage().rss / 1024));
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch { /* not Linux: the sampled peak */ }
  return sampledPeakKb;
}

/** Bytes of JavaScript loaded so far (every module in require's cache). */
function loadedBytes() {
  let bytes = 0;
  for (const file of Object.keys(require.cache)) {
    try { bytes += readFileSync(file).length; } catch { /* a built-in */ }
  }
  return bytes;
}

async function main() {
  const { handler } = require(handlerPath);
  if (mode === 'cold') {
    const event = JSON.parse(readFileSync(eventPath, 'utf8'));
    await handler(event, context());
    const usage = process.resourceUsage();
    writeSync(3, JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKb: peakRssKb(), loadedBytes: loadedBytes() }));
    // Lambda would freeze the process here; the SDK's keep-alive sockets must not keep it running.
    process.exit(0);
  }
  let peakHeap = 0;
  process.on('message', async (event) => {
    if (event === 'done') {
      process.send({ maxRssKb: peakRssKb(), peakHeapBytes: peakHeap, loadedBytes: loadedBytes() }, () => process.exit(0));
      return;
    }
    if (event && typeof event === 'object' && 'invocationId' in event) {
      // An asynchronous invocation (HandlerPool.invoke): what the handler threw goes back to the parent, as Lambda records it.
      let error;
      try {
        await handler(event.event, context());
      } catch (e) {
        error = { name: e && e.name || 'Error', message: String(e && e.message || e) };
      }
      process.send({ invocationId: event.invocationId, error });
      return;
    }
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await handler(event, context());
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    peakRssKb();
    process.send({ ms, cpuMs: (used.user + used.system) / 1000 });
  });
  process.send('ready');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
