/** How many days events are kept, unless AIRLOCK_EVENT_RETENTION_DAYS says otherwise. */
export const DEFAULT_EVENT_RETENTION_DAYS = 90

/** How many days ended sessions, used or expired links and written mails are kept, unless AIRLOCK_DATA_RETENTION_DAYS says otherwise. */
export const DEFAULT_DATA_RETENTION_DAYS = 30
