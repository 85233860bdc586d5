/** The simulated account and region every ARN the simulator makes names. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
