// A minimal Lambda Runtime API client for Node.js: what the nodejs20.x managed runtime does
// between Lambda and a handler, and nothing more. The official client
// (aws-lambda-ric / aws-lambda-nodejs-runtime-interface-client) needs a native build
// (node-gyp and libcurl), which a benchmark that must run on any machine cannot require;
// this loop follows the same protocol with Node's own HTTP client on one keep-alive socket.
//
// Per invocation, as the managed runtime: long-poll `/invocation/next`, copy the trace header
// into `_X_AMZN_TRACE_ID`, build the context object, await the handler (or its callback),
// post the JSON result to `/response` or `{errorType, errorMessage, trace}` to `/error`.
// At start: load `_HANDLER` (`file.export`) from the task root; a failure goes to `/init/error`.
//
// On Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY` above 1) it runs that many of these
// loops at once in the one event loop, each with its own `/next` long poll and socket, as the
// Node.js LMI runtime does in each of its worker threads (one worker per vCPU; an environment of
// one vCPU has one). The trace id is then only on the context (`xRayTraceId`): a process-wide
// variable cannot belong to one of several invocations in flight.
// Not done: console patching into Lambda's log format, `callbackWaitsForEmptyEventLoop`
// semantics beyond the flag, response streaming, worker threads for more than one vCPU.
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

type Handler = (
  event: unknown,
  context: object,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

const api = process.env.AWS_LAMBDA_RUNTIME_API ?? '';
const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
/** Invocations at once: `AWS_LAMBDA_MAX_CONCURRENCY` on Managed Instances, else one. */
const concurrency = Math.max(1, Math.floor(Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY ?? '1')) || 1);
// One keep-alive socket per loop: each holds its `/next` open, then posts its answer on it.
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<ApiResponse>((resolve, reject) => {
    const [host, port] = api.split(':');
    const req = request(
      {
        agent,
        host,
        port: Number(port),
        method,
        path: `/2018-06-01/runtime${path}`,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function errorBody(error: unknown) {
  const failure = error instanceof Error ? error : new Error(String(error));
  return {
    type: failure.name || 'Error',
    body: JSON.stringify({
      errorType: failure.name || 'Error',
      errorMessage: failure.message,
      trace: (failure.stack ?? '').split('\n'),
    }),
  };
}

function loadHandler(): Handler {
  const setting = process.env._HANDLER ?? 'index.handler';
  const dot = setting.lastIndexOf('.');
  const file = setting.slice(0, dot);
  const name = setting.slice(dot + 1);
  const module = createRequire(join(taskRoot, 'noop.js'))(join(taskRoot, file)) as Record<string, unknown>;
  const handler = module[name];
  if (typeof handler !== 'function') throw new Error(`${setting} is not a function exported by ${file}`);
  return handler as Handler;
}

function header(response: ApiResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function invoke(handler: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      // An async handler returns a promise; a callback handler returns nothing and calls back.
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

/** One runtime loop: `/next`, the handler, the answer, forever. */
async function serve(handler: Handler) {
  const memory = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128';
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const requestId = header(next, 'lambda-runtime-aws-request-id') ?? '';
    const deadline = Number(header(next, 'lambda-runtime-deadline-ms') ?? 0);
    const trace = header(next, 'lambda-runtime-trace-id');
    if (concurrency === 1) {
      if (trace) process.env._X_AMZN_TRACE_ID = trace;
      else delete process.env._X_AMZN_TRACE_ID;
    }
    const identity = header(next, 'lambda-runtime-cognito-identity');
    const clientContext = header(next, 'lambda-runtime-client-context');
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: header(next, 'lambda-runtime-invoked-function-arn'),
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: memory,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      xRayTraceId: trace,
      identity: identity ? JSON.parse(identity) : undefined,
      clientContext: clientContext ? JSON.parse(clientContext) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    try {
      const result = await invoke(handler, JSON.parse(next.body), context);
      await call(
        'POST',
        `/invocation/${encodeURIComponent(requestId)}/response`,
        JSON.stringify(result ?? null),
      );
    } catch (error) {
      const { type, body } = errorBody(error);
      await call('POST', `/invocation/${encodeURIComponent(requestId)}/error`, body, {
        'lambda-runtime-function-error-type': type,
      });
    }
  }
}

async function main() {
  let handler: Handler;
  try {
    handler = loadHandler();
  } catch (error) {
    const { type, body } = errorBody(error);
    await call('POST', '/init/error', body, { 'lambda-runtime-function-error-type': `Runtime.${type}` });
    process.exit(1);
  }
  await Promise.all(Array.from({ length: concurrency }, () => serve(handler)));
}

main().catch((error: unknown) => {
  process.stderr.write(`runtime loop failed: ${String(error)}\n`);
  process.exit(1);
});
