// What servers log through: a line for people, a level, and named fields for machines. The
// coordinator and the daemon only call a LogFn; the command line decides where lines go and in which
// form (src/cli/log.ts: one JSON object a line, or a readable line on a terminal).

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Fields of an event. `event` names what happened, in words joined by dashes ('daemon-joined',
 * 'space-created', ...): README.md lists those logged at info.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | readonly number[] | undefined>> & { readonly event?: string };

export type LogFn = (line: string, level?: LogLevel, fields?: LogFields) => void;
