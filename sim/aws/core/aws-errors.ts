import * as appconfig from '@aws-sdk/client-appconfig';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as lambda from '@aws-sdk/client-lambda';
import * as sagemaker from '@aws-sdk/client-sagemaker';
import * as sagemakerRuntime from '@aws-sdk/client-sagemaker-runtime';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';

export type ServiceName = 'appconfig' | 'lambda' | 'cloudwatch' | 'sns' | 'sfn' | 'sagemaker' | 'sagemaker-runtime' | 'ssm' | 'sts';

type ServiceExceptionClass = new (opts: {
  name: string;
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string };
  message?: string;
}) => Error;

const MODULES: Record<ServiceName, { base: ServiceExceptionClass; exports: Record<string, unknown> }> = {
  appconfig: { base: appconfig.AppConfigServiceException as unknown as ServiceExceptionClass, exports: appconfig },
  lambda: { base: lambda.LambdaServiceException as unknown as ServiceExceptionClass, exports: lambda },
  cloudwatch: { base: cw.CloudWatchServiceException as unknown as ServiceExceptionClass, exports: cw },
  sns: { base: sns.SNSServiceException as unknown as ServiceExceptionClass, exports: sns },
  sfn: { base: sfn.SFNServiceException as unknown as ServiceExceptionClass, exports: sfn },
  sagemaker: { base: sagemaker.SageMakerServiceException as unknown as ServiceExceptionClass, exports: sagemaker },
  'sagemaker-runtime': {
    base: sagemakerRuntime.SageMakerRuntimeServiceException as unknown as ServiceExceptionClass,
    exports: sagemakerRuntime,
  },
  ssm: { base: ssm.SSMServiceException as unknown as ServiceExceptionClass, exports: ssm },
  sts: { base: sts.STSServiceException as unknown as ServiceExceptionClass, exports: sts },
};

let requestCounter = 0;

/**
 * An error shaped like the one SDK v3 throws for a service error: the modeled exception class when
 * the client has one (so `instanceof ResourceNotFoundException` works), otherwise the service's base
 * exception with the wire error code as its name (as the SDK does for unmodeled codes such as
 * CloudWatch's `Throttling` or Lambda's `AccessDeniedException`).
 */
export function awsError(service: ServiceName, name: string, status: number, message: string): Error {
  const mod = MODULES[service];
  const $metadata = { httpStatusCode: status, requestId: `sim-${++requestCounter}`, attempts: 1, totalRetryDelay: 0 };
  const $fault: 'client' | 'server' = status >= 500 ? 'server' : 'client';
  const cls = mod.exports[name];
  if (typeof cls === 'function' && (cls as { prototype?: unknown }).prototype instanceof mod.base) {
    const err = new (cls as ServiceExceptionClass)({ name, $fault, $metadata, message });
    // Modeled Lambda errors also carry Type/Message fields; keep message consistent.
    return Object.assign(err, { Message: message });
  }
  return new mod.base({ name, $fault, $metadata, message });
}

/** The SDK's client-side timeout (no HTTP response at all). */
export function timeoutError(operation: string): Error {
  return Object.assign(new Error(`${operation}: socket timed out (simulated)`), { name: 'TimeoutError', $metadata: { attempts: 1 } });
}

export type FaultKind = 'throttle' | '5xx' | 'accessDenied' | 'timeout' | { name: string; status: number; message?: string };

/** The error each service returns for a kind of fault. */
export function faultError(service: ServiceName, operation: string, kind: FaultKind): Error {
  if (typeof kind === 'object') return awsError(service, kind.name, kind.status, kind.message ?? `${kind.name} (simulated)`);
  switch (kind) {
    case 'timeout':
      return timeoutError(operation);
    case 'throttle': {
      const spec = {
        appconfig: ['ThrottlingException', 400, 'Rate exceeded'],
        lambda: ['TooManyRequestsException', 429, 'Rate exceeded'],
        cloudwatch: ['Throttling', 400, 'Rate exceeded'],
        sns: ['ThrottledException', 400, 'Rate exceeded'],
        sfn: ['ThrottlingException', 400, 'Rate exceeded'],
        sagemaker: ['ThrottlingException', 400, 'Rate exceeded'],
        'sagemaker-runtime': ['ThrottlingException', 400, 'Rate exceeded'],
        ssm: ['ThrottlingException', 400, 'Rate exceeded'],
        sts: ['Throttling', 400, 'Rate exceeded'],
      } as const;
      const [name, status, message] = spec[service];
      return awsError(service, name, status, `${operation}: ${message} (simulated)`);
    }
    case '5xx': {
      const spec = {
        appconfig: ['InternalServerException', 500],
        lambda: ['ServiceException', 500],
        cloudwatch: ['InternalServiceFault', 500],
        sns: ['InternalErrorException', 500],
        sfn: ['InternalFailure', 500],
        sagemaker: ['InternalFailure', 500],
        'sagemaker-runtime': ['InternalFailure', 500],
        ssm: ['InternalServerError', 500],
        sts: ['InternalFailure', 500],
      } as const;
      const [name, status] = spec[service];
      return awsError(service, name, status, `${operation}: internal error (simulated)`);
    }
    case 'accessDenied': {
      const spec = {
        appconfig: 'AccessDeniedException',
        lambda: 'AccessDeniedException',
        cloudwatch: 'AccessDenied',
        sns: 'AuthorizationErrorException',
        sfn: 'AccessDeniedException',
        sagemaker: 'AccessDeniedException',
        'sagemaker-runtime': 'AccessDeniedException',
        ssm: 'AccessDeniedException',
        sts: 'AccessDenied',
      } as const;
      return awsError(service, spec[service], 403, `User is not authorized to perform: ${operation} (simulated)`);
    }
  }
}
