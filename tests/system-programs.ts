// Programs from outside npm that a few tests drive (a browser, a terminal
// multiplexer). On an instructor's laptop a missing one skips its tests with one line
// saying what to install; under CI=true it is required, so CI keeps proving those tests.
import { accessSync, constants } from "node:fs";
import path from "node:path";

export interface SystemProgram {
  /** What the tests call it, e.g. "Chromium". */
  name: string;
  /** An environment variable that, when set, names the program's path and is used first. */
  envVar: string;
  /** Where it usually is: absolute paths, or bare names looked up on PATH. */
  candidates: readonly string[];
  /** How to install it, e.g. "apt-get install chromium". */
  install: string;
}

export const CHROMIUM: SystemProgram = {
  name: "Chromium",
  envVar: "CHROMIUM_PATH",
  candidates: [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "chromium",
    "chromium-browser",
    "google-chrome",
  ],
  install: "apt-get install chromium (Debian/Ubuntu) or brew install --cask chromium (macOS)",
};

export const TMUX: SystemProgram = {
  name: "tmux",
  envVar: "TMUX_PATH",
  candidates: ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux", "tmux"],
  install: "apt-get install tmux (Debian/Ubuntu) or brew install tmux (macOS)",
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The program's path, or null when it is not installed (the environment variable wins when set). */
export function findProgram(program: SystemProgram, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env[program.envVar];
  const candidates = fromEnv ? [fromEnv] : program.candidates;
  for (const candidate of candidates) {
    const file = path.isAbsolute(candidate) ? (isExecutable(candidate) ? candidate : null) : onPath(candidate);
    if (file) return file;
  }
  return null;
}

/** The one line a skipped test shows: what is missing and how to get it. */
function missingMessage(program: SystemProgram, env: NodeJS.ProcessEnv): string {
  const where = env[program.envVar]
    ? `${program.envVar}=${env[program.envVar]}`
    : `${program.envVar} or the usual places`;
  return `needs ${program.name} (looked in ${where}): ${program.install}`;
}

/** The program's path when found; otherwise why its tests are skipped. */
export type Requirement = { path: string; skipReason?: undefined } | { path: null; skipReason: string };

/**
 * Looks the program up for a test file. Missing under CI=true is an error (thrown here, so
 * the test file fails naming the program); missing elsewhere gives a skip reason.
 */
export function requireProgram(program: SystemProgram, env: NodeJS.ProcessEnv = process.env): Requirement {
  const found = findProgram(program, env);
  if (found) return { path: found };
  const message = missingMessage(program, env);
  if (env.CI === "true") throw new Error(`CI=true requires ${program.name} for these tests: ${message}`);
  return { path: null, skipReason: message };
}

/** Headless Chromium as these machines run it: no sandbox, no GPU, and nothing that reaches the network. */
export async function launchChromium(executablePath: string): Promise<import("playwright-core").Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
