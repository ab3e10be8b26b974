/**
 * A tiny structured logger: one line per event, as readable text or as JSON.
 * The registrar logs through the {@link Logger} interface only, so any logger
 * with `debug/info/warn/error(event, fields)` methods (a `pino` instance
 * wrapped in three lines, for example) can replace it.
 *
 * @module
 */

/** Log levels, most verbose first. `silent` logs nothing. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Output formats of {@link createLogger}. */
export type LogFormat = 'text' | 'json';

/** Structured fields of one log line. Values are printed as text or JSON. */
export type LogFields = Record<string, unknown>;

/** What the registrar needs from a logger. */
export interface Logger {
  trace(event: string, fields?: LogFields): void;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** True when lines of `level` are written (lets callers skip building fields). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

const LEVELS: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

/** All level names, for option validation and help texts. */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Least severe level written (default `info`). */
  level?: LogLevel;
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** Where lines go (default `process.stderr`). */
  stream?: { write(line: string): unknown };
  /** Fields added to every line (e.g. `{ registrar: '0x1234abcd' }`). */
  base?: LogFields;
  /** Time source for the timestamp (default `Date.now`). */
  now?: () => number;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'bigint') return v.toString();
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

/** Creates a {@link Logger} writing one line per event. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const stream = options.stream ?? process.stderr;
  const base = options.base ?? {};
  const now = options.now ?? Date.now;
  const write = (level: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const time = new Date(now()).toISOString();
    let line: string;
    if (format === 'json') {
      line = JSON.stringify({ time, level, event, ...base, ...fields }, jsonReplacer);
    } else {
      line = `${time} ${level.toUpperCase().padEnd(5)} ${event}`;
      for (const [k, v] of Object.entries({ ...base, ...fields })) {
        if (v !== undefined) line += ` ${k}=${textValue(v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)}`;
      }
    }
    try {
      stream.write(line + '\n');
    } catch {
      // A broken log stream must never take the registrar down.
    }
  };
  return {
    trace: (e, f) => write('trace', e, f),
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
    enabled: (level) => LEVELS[level] >= threshold,
  };
}

/** A logger that writes nothing (the library default). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
