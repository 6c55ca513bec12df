// One table per command gives both its option parser and its usage text: `--help` prints the
// usage and exits 0; an unknown option or a missing value prints one line naming it, then the
// usage, and exits 2 — never a stack trace.
import { type ParseArgsConfig, parseArgs } from "node:util";

export interface OptionSpec {
  type: "string" | "boolean";
  default?: string | boolean;
  /** What the option does, for the usage text; the default is added to it. */
  help: string;
  /** How the value reads in the usage text, e.g. "N" or "DIR". */
  value?: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** The first usage line after "usage: ", e.g. "npm run bench -- [options]". */
  usage: string;
  options: O;
  /** Lines after the option list (what positionals mean, an example). */
  notes?: string;
  /** Whether the command takes arguments that are not options (a step number, a prompt). */
  positionals?: boolean;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["default"] extends string
      ? string
      : string | undefined;
};

/** The usage text a command prints for --help and after a mistake. */
export function usageText<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
    const byDefault = o.default === undefined || o.default === false ? "" : ` (default ${String(o.default)})`;
    return [flag, `${o.help}${byDefault}`];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length), 6) + 2;
  const lines = rows.map(([flag, help]) => `  ${flag.padEnd(width)}${help}`);
  return [`usage: ${spec.usage}`, ...lines, `  ${"--help".padEnd(width)}this text`, spec.notes ?? ""]
    .join("\n")
    .trimEnd();
}

/** The chain an option names: "reference" (the solutions) or "mine" (your steps/). */
export function chosenChain(value: string | undefined): "reference" | "mine" {
  if (value === "reference" || value === "mine") return value;
  throw new UsageError(`--chain must be "reference" or "mine", got ${JSON.stringify(value)}`);
}

/** A wrong command line: the one line to print before the usage text. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parses `argv` by the table. --help prints the usage and exits 0; a mistake parseArgs finds
 * (an unknown option, a missing value) or a UsageError thrown by `check` prints one line and the
 * usage, and exits 2.
 */
export function parseCommand<O extends Record<string, OptionSpec>, R = { values: Values<O>; positionals: string[] }>(
  spec: CommandSpec<O>,
  argv: string[] = process.argv.slice(2),
  check: (parsed: { values: Values<O>; positionals: string[] }) => R = (parsed) => parsed as R,
): R {
  const options: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", default: false } };
  for (const [name, o] of Object.entries(spec.options))
    options[name] = o.default === undefined ? { type: o.type } : ({ type: o.type, default: o.default } as never);
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options });
    if ((values as { help?: boolean }).help) {
      console.log(usageText(spec));
      process.exit(0);
    }
    if (!spec.positionals && positionals.length)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    return check({ values: values as Values<O>, positionals });
  } catch (error) {
    const known = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (!known) throw error;
    console.error(`${(error as Error).message}\n\n${usageText(spec)}`);
    process.exit(2);
  }
}

/** The number an option gives, or a UsageError that names the option and the range it must be in. */
export function numberOption(
  name: string,
  raw: string | undefined,
  { integer = true, low = 1, high = Number.MAX_SAFE_INTEGER } = {},
): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === "" || !(n >= low && n <= high) || (integer && !Number.isInteger(n))) {
    const range = high === Number.MAX_SAFE_INTEGER ? `≥ ${low}` : `from ${low} to ${high}`;
    throw new UsageError(
      `--${name} must be ${integer ? "an integer" : "a number"} ${range}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}
