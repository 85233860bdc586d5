/**
 * Lambda running the handlers: JSON in and out, the function's timeout, errors as
 * {errorType, errorMessage}; Task states of the state machine; asynchronous invocations
 * (EventBridge → Lambda) with Lambda's two retries.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { faultError } from '../aws/core/aws-errors';
import type { VirtualClock } from '../aws/core/clock';
import type { Delivery } from '../aws/eventbridge/eventbridge';
import type { FaultInjector } from '../aws/core/faults';
import { type Handler, HANDLERS } from './handlers';
import { lambdaErrorPayload } from '../aws/lambda/lambda';
import type { FunctionRecord, LambdaSim } from '../aws/lambda/lambda';
import type { Random } from '../aws/core/random';
import { type Invocation, MAX_STATE_PAYLOAD, MINUTE, type SimWorldOptions } from './world-types';
import * as steps from '../../lambda/entries/steps';

export interface InvokerDeps {
  readonly options: SimWorldOptions;
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly faults: FaultInjector;
  readonly lambda: LambdaSim;
  readonly invocations: Invocation[];
  readonly caller: AsyncLocalStorage<{ fn: string }>;
}

export class HandlerInvoker {
  /** Asynchronous invocations not finished yet (retries included). */
  public pendingAsync = 0;

  constructor(private readonly d: InvokerDeps) {}

  /** Runs a handler the way Lambda does: JSON in and out, the function's timeout, errors as {errorType, errorMessage}. */
  public async invokeHandler(fn: FunctionRecord, event: unknown, async: boolean, attempt = 1): Promise<Invocation> {
    // The steps function runs the step its invocation names (lambda/entries/steps.ts): the step is
    // the handler that acts (faults, the call log and IAM coverage name it), through the real entry.
    const step = fn.handlerName === 'steps' ? (event as { step?: string } | undefined)?.step : undefined;
    const handlerName = step ?? fn.handlerName!;
    // The log keeps what the step itself receives, as it did when every step had a function of its own.
    const invocation: Invocation = { at: this.d.clock.now(), functionName: fn.name, handler: handlerName, async, attempt, input: step ? (event as { input?: unknown }).input : event };
    this.d.invocations.push(invocation);
    await this.d.clock.sleep(this.d.options.invokeLatencyMs ?? 100);
    const payload = (event === undefined ? null : JSON.parse(JSON.stringify(event))) as never;
    const override = fn.legacy ? this.legacyHandler(handlerName) : this.d.options.handlers?.[handlerName];
    const handler: Handler = override
      ? (step ? ((e: { input: never }) => override(e.input)) as Handler : override)
      : step
        ? (steps.handler as Handler)
        : HANDLERS[handlerName];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), fn.timeoutSeconds * 1000);
    });
    try {
      const run = this.d.caller.run({ fn: handlerName }, () => handler(payload));
      const out = await Promise.race([run, timeout]);
      if (out === 'timeout') {
        run.catch(() => undefined);
        invocation.error = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${this.d.random.uuid()} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        };
      } else {
        invocation.result = out === undefined ? null : JSON.parse(JSON.stringify(out));
      }
    } catch (err) {
      invocation.error = lambdaErrorPayload(err);
    } finally {
      clearTimeout(timer);
      invocation.endedAt = this.d.clock.now();
    }
    return invocation;
  }

  private legacyHandler(name: string): Handler {
    const handler = this.d.options.legacyHandlers?.[name];
    if (!handler) throw new Error(`A function of the 0.1 layout runs handler "${name}": give SimWorldOptions.legacyHandlers (test/fixtures/layout-0.1)`);
    return handler;
  }

  /** A Task state calling a function ARN (payloadResponseOnly): the result, or the function's error by its name. */
  public async runTask(functionArn: string, input: unknown, stateName: string): Promise<unknown> {
    const fn = this.d.lambda.findByArn(functionArn);
    if (!fn?.handlerName) {
      throw Object.assign(new Error(JSON.stringify({ errorMessage: `Function not found: ${functionArn}` })), { name: 'Lambda.ResourceNotFoundException' });
    }
    const fault = this.d.faults.take(`TaskInvoke:${stateName}`, undefined, this.d.clock.now()) ?? this.d.faults.take('TaskInvoke', undefined, this.d.clock.now());
    if (fault !== undefined) {
      const err = faultError('lambda', 'Invoke', fault);
      // Step Functions prefixes Lambda service errors with "Lambda.".
      throw Object.assign(new Error(err.message), { name: err.name === 'TimeoutError' ? 'Lambda.SdkClientException' : `Lambda.${err.name}` });
    }
    const invocation = await this.invokeHandler(fn, input, false);
    if (invocation.error) {
      // Step Functions reports a function error with errorType as Error and the payload as Cause.
      const { errorType, errorMessage, trace } = invocation.error;
      throw Object.assign(new Error(JSON.stringify({ errorType, errorMessage, trace })), { name: errorType });
    }
    const size = Buffer.byteLength(JSON.stringify(invocation.result));
    if (size > MAX_STATE_PAYLOAD) {
      // A terminal error: States.ALL does not catch it (aws-local-stepfunctions honours isCatchable).
      throw Object.assign(new Error(`The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`), {
        name: 'States.DataLimitExceeded',
        isCatchable: false,
        isRetryable: false,
      });
    }
    return invocation.result;
  }

  /**
   * An asynchronous invocation (EventBridge → Lambda): on a function error Lambda retries twice,
   * after about one and then two more minutes.
   */
  public invokeAsync(fn: FunctionRecord, event: unknown, delayMs: number): void {
    this.pendingAsync++;
    const attempt = (n: number) => {
      void this.invokeHandler(fn, event, true, n).then((inv) => {
        if (inv.error && n < 3) {
          setTimeout(() => attempt(n + 1), n === 1 ? MINUTE : 2 * MINUTE);
          return;
        }
        this.pendingAsync--;
      });
    };
    setTimeout(() => attempt(1), delayMs);
  }

  public deliver(delivery: Delivery): void {
    const fn = this.d.lambda.findByArn(delivery.target.Arn);
    if (!fn?.handlerName) return;
    this.invokeAsync(fn, delivery.input, (this.d.options.eventDeliveryDelaySeconds ?? 2) * 1000);
  }
}
