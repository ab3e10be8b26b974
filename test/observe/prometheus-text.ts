/**
 * A small parser of the Prometheus text exposition format (version 0.0.4)
 * for the tests: `# HELP` / `# TYPE` lines and samples `name{labels} value`.
 */

/** One sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: samples plus the declared type of each metric family. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Parses the text; throws on any line that is not a comment, blank or a
 * well-formed sample, so a malformed exposition fails the test.
 */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (m) (m[1] === 'TYPE' ? out.types : out.help).set(m[2]!, m[3]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l !== null; l = LABEL.exec(m[2])) {
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels in: ${line}`);
    }
    // Prometheus parses floats as Go does: NaN and Inf in any letter case (prom-client writes "Nan").
    const v = m[3]!;
    const value = /^[+]?inf$/i.test(v) ? Infinity : /^-inf$/i.test(v) ? -Infinity : /^nan$/i.test(v) ? NaN : Number(v);
    if (Number.isNaN(value) && !/^nan$/i.test(v)) throw new Error(`bad value in: ${line}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The value of the sample `name` whose labels include `labels`; undefined when absent. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The sum over every sample named `name`. */
export function sum(e: Exposition, name: string): number {
  return e.samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
}
