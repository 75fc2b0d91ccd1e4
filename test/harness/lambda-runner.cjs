'use strict';
/**
 * Runs one invocation of a Lambda function's handler the way the Node.js managed runtime does, in its own process.
 *
 *   node lambda-runner.cjs <event.json> <timeout ms> <aws request id> <invoked function arn>
 *
 * The environment is the function's (LAMBDA_TASK_ROOT, _HANDLER, AWS_REGION, ...), prepared by cfn-driver.ts; the
 * working directory is the task root. Like the runtime, it loads `<module>.js|.mjs|.cjs` from the task root, calls
 * the exported function with the event and a context whose getRemainingTimeInMillis() counts down the timeout from
 * the end of the init phase (as in Lambda, init is not part of the invocation's time),
 * prefixes console output with the time, request id and level, and freezes the process (here: exits) as soon as the
 * handler's promise settles or its callback is called: work the handler did not await never happens. The parent
 * kills the process at the deadline. Lines of JSON on file descriptor 3 tell the parent when the invocation starts
 * ({"kind":"invoke","at":<epoch ms>}) and how it ended.
 */
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const [eventFile, timeoutArg, awsRequestId, invokedFunctionArn] = process.argv.slice(2);
let deadline = Infinity;

function report(outcome) {
  try {
    fs.writeSync(3, JSON.stringify(outcome) + '\n');
  } catch {
    // The parent may be gone; nothing to report to.
  }
}

function errorOf(e) {
  return e instanceof Error
    ? { errorType: e.name, errorMessage: e.message, stack: String(e.stack ?? '').split('\n') }
    : { errorType: typeof e, errorMessage: String(e) };
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      process.stdout.write(`${new Date().toISOString()}\t${awsRequestId}\t${level}\t${util.format(...args)}\n`);
    };
  }
}

async function loadHandler() {
  const taskRoot = process.env.LAMBDA_TASK_ROOT;
  const spec = process.env._HANDLER;
  const dot = spec.indexOf('.');
  const moduleName = spec.slice(0, dot);
  const functionPath = spec.slice(dot + 1).split('.');
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => path.join(taskRoot, moduleName + ext));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  }
  const mod = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  let fn = mod;
  for (const part of functionPath) fn = fn?.[part];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

async function main() {
  patchConsole();
  process.on('unhandledRejection', (reason) => {
    console.error('Unhandled Promise Rejection', reason);
    report({ kind: 'error', error: { ...errorOf(reason), errorType: 'Runtime.UnhandledPromiseRejection' } });
    process.exit(128);
  });
  process.on('uncaughtException', (e) => {
    console.error('Uncaught Exception', e);
    report({ kind: 'error', error: errorOf(e) });
    process.exit(129);
  });

  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    console.error('INIT_ERROR', e);
    report({ kind: 'initError', error: errorOf(e) });
    process.exit(1);
  }
  const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
  deadline = Date.now() + Number(timeoutArg);
  report({ kind: 'invoke', at: Date.now() });
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };

  const settled = (outcome) => {
    if (outcome.kind === 'error') {
      console.error('Invoke Error', JSON.stringify(outcome.error));
    }
    report(outcome);
    // The runtime freezes the sandbox here; anything still pending never runs.
    process.exit(0);
  };
  try {
    const result = handler(event, context, (err, value) => settled(err ? { kind: 'error', error: errorOf(err) } : { kind: 'returned', value }));
    if (result && typeof result.then === 'function') {
      result.then((value) => settled({ kind: 'returned', value }), (e) => settled({ kind: 'error', error: errorOf(e) }));
    }
  } catch (e) {
    settled({ kind: 'error', error: errorOf(e) });
  }
}

void main();
