import { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** Keys whose values are never written, whatever the caller passes. */
const SECRET_KEY = /(token|password|secret|authorization|credential|bearer)/i;

/**
 * Replaces the values of secret-looking fields with "[redacted]". A safety net: call sites are
 * written not to log secrets in the first place.
 */
const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEY.test(key)) info[key] = '[redacted]';
  }
  return info;
});

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/** One JSON object per line: `{"level","message","timestamp",...fields}`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(
      redactSecrets(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stdout })],
  });
}

/** A logger that keeps its lines in memory, parsed, for tests to assert on. */
export function createMemoryLogger(level: LogLevel = 'debug'): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level, stream }), lines };
}
