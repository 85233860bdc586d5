export * from './rollout-schedule';
export * from './model-canary-options';
export * from './model-canary';
export * from './lambda-model-canary';
export * from './sagemaker-model-canary';
