// Command-line options: `--name value`, `--name=value`, `-n value`, `-nvalue`, and flags.
// Pure: takes argv and a list of option specs, returns values or a one-line error.
// Every command gets two options without listing them: --version (parseArgs throws ShowVersion,
// which runMain prints), and -h for --help when the command has --help and does not use -h
// itself (for the host, as the client commands and hyperdex-daemon do).

export interface OptionSpec {
  /** Long name without dashes, e.g. 'listen-port'. */
  readonly long: string;
  /** Single-letter short name without the dash, e.g. 'p'. */
  readonly short?: string;
  /** Flags take no value. */
  readonly flag?: boolean;
  readonly valueName?: string;
  readonly help: string;
  readonly default?: string;
}

export interface Parsed {
  readonly values: Readonly<Record<string, string>>;
  readonly flags: ReadonlySet<string>;
  readonly positional: readonly string[];
}

export class UsageError extends Error {}

/** Thrown by parseArgs for --version: the command stops there and its runner prints the version. */
export class ShowVersion extends Error {
  constructor() {
    super('--version');
  }
}

/** -h means --help for commands that have --help and do not give -h another meaning. */
function helpTakesH(specs: readonly OptionSpec[]): boolean {
  return specs.some((s) => s.long === 'help' && s.flag) && !specs.some((s) => s.short === 'h');
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  if (helpTakesH(specs)) byShort.set('h', specs.find((s) => s.long === 'help')!);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byLong.get(name);
      if (!spec && name === 'version') {
        if (inline !== undefined) throw new UsageError('option --version takes no value');
        throw new ShowVersion();
      }
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = byShort.get(arg[1]);
      if (!spec) throw new UsageError(`unknown option ${arg.slice(0, 2)}`);
      if (arg.length > 2) inline = arg[2] === '=' ? arg.slice(3) : arg.slice(2);
    } else {
      positional.push(arg);
      continue;
    }
    if (spec.flag) {
      if (inline !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
      flags.add(spec.long);
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${spec.long} needs a value`);
      inline = argv[++i];
    }
    values[spec.long] = inline;
  }
  for (const s of specs) if (!s.flag && s.default !== undefined && values[s.long] === undefined) values[s.long] = s.default;
  return { values, flags, positional };
}

/**
 * Where the first positional argument is (options and their values skipped, as parseArgs reads
 * them), or -1 when there is none: a program with subcommands parses what comes before it with its
 * own options and leaves the rest to the subcommand. An unknown option stops the search (-1):
 * parseArgs then reports it.
 */
export function firstPositional(argv: readonly string[], specs: readonly OptionSpec[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
    let spec: OptionSpec | undefined;
    if (arg.startsWith('--')) {
      if (arg.includes('=')) continue;
      spec = specs.find((s) => s.long === arg.slice(2));
    } else if (arg.startsWith('-') && arg.length > 1) {
      if (arg.length > 2) continue;
      spec = specs.find((s) => s.short === arg[1]);
    } else return i;
    if (!spec) return -1;
    if (!spec.flag) i++;
  }
  return -1;
}

export function portValue(parsed: Parsed, name: string, allowZero = false): number {
  const raw = parsed.values[name];
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n > 65535 || (n === 0 && !allowZero))
    throw new UsageError(`--${name} must be a port number (${allowZero ? 0 : 1}-65535), got '${raw}'`);
  return n;
}

export function usage(synopsis: string, description: string, specs: readonly OptionSpec[]): string {
  const lines = [`usage: ${synopsis}`, '', description, '', 'options:'];
  const withVersion = specs.some((s) => s.long === 'version') ? specs : [...specs, { long: 'version', flag: true, help: 'print the version and exit' }];
  for (const s of withVersion) {
    const shorts = [...(s.long === 'help' && helpTakesH(specs) ? ['h'] : []), ...(s.short ? [s.short] : [])];
    const names = `${shorts.length > 0 ? shorts.map((x) => `-${x}, `).join('') : '    '}--${s.long}${s.flag ? '' : ` ${s.valueName ?? 'VALUE'}`}`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : '';
    lines.push(`  ${names.padEnd(32)} ${s.help}${def}`);
  }
  return lines.join('\n') + '\n';
}
