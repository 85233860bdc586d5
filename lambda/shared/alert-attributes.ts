/**
 * The SNS message attributes every alert carries (plain data: lib/ imports it too). A stack's
 * canaries share one topic, and each email subscription's filter policy lets through the alerts of
 * the canaries that list the address (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html).
 */
export const ALERT_ATTRIBUTES = { canary: 'canary', event: 'event' } as const;
