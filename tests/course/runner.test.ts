// The learner's runner, driven in a throwaway copy of the repository: a temporary "upstream"
// repo (a git commit of this working tree) and a learner's clone of it, sharing node_modules.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { STEPS } from "../../tools/curriculum.ts";
import { HINT_TITLES, readHints } from "../../tools/runner/hints.ts";
import { loadFixture } from "../fixtures.ts";
import { values } from "../harness.ts";
import { TMUX, requireProgram } from "../system-programs.ts";
import { terminal } from "../tools/terminal.ts";
import { tempDir } from "../temp-dir.ts";
import { runTool } from "../tools/run-tool.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["node_modules", ".git", "build", "test-results", "models", ".progress", ".backups"]);
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, stdio: "pipe" });

/** A learner's clone, made in `base`: its origin/main holds the untouched skeletons. */
function learnerRepo(base = tempDir("runner")): string {
  const upstream = path.join(base, "upstream");
  cpSync(root, upstream, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) });
  git(upstream, "init", "-q", "-b", "main");
  git(upstream, "add", "-A");
  git(upstream, "commit", "-q", "-m", "course");
  const learner = path.join(base, "learner");
  git(base, "clone", "-q", upstream, learner);
  symlinkSync(path.join(root, "node_modules"), path.join(learner, "node_modules"));
  return learner;
}

/** The reference solution as a learner would write it in steps/ (imports of earlier steps go through "#chain/step_NN"). */
function solve(repo: string, nn: string): void {
  const text = readFileSync(path.join(root, "solutions", `solution_${nn}.ts`), "utf8").replace(
    /from "\.\/solution_(\d\d)\.ts"/g,
    'from "#chain/step_$1"',
  );
  writeFileSync(path.join(repo, "steps", `step_${nn}.ts`), text);
}

const tool = (repo: string, name: string, args: string[] = []) => runTool(name, args, { cwd: repo });

/** A running watch session whose output can be awaited. */
class Session {
  output = "";
  private child: ChildProcess;

  constructor(repo: string, args: string[]) {
    this.child = spawn(process.execPath, ["--import", "tsx", "tools/commands/watch.ts", ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (d) => (this.output += d));
    this.child.stderr!.on("data", (d) => (this.output += d));
  }

  async waitFor(pattern: RegExp, timeout = 40_000): Promise<void> {
    const start = Date.now();
    while (!pattern.test(this.output)) {
      if (Date.now() - start > timeout)
        throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  stop(): void {
    this.child.kill();
  }
}

let repo = "";
const shared = tempDir("runner"); // made here, as a beforeAll is too late to arrange its removal
beforeAll(() => {
  repo = learnerRepo(shared);
}, 60_000);

describe("npm run watch", () => {
  it("advances through steps 01 and 02 as they are saved (native file events)", async () => {
    const work = learnerRepo();
    const session = new Session(work, []);
    try {
      await session.waitFor(/native file events/);
      await session.waitFor(
        /Step 01 · Model configuration[\s\S]*step 01 not implemented yet[\s\S]*Watching steps\/ for saves/,
      );
      solve(work, "01");
      await session.waitFor(/✔ Step 01 passes! Next: read book\/src\/step_02\.md and open steps\/step_02\.ts/);
      await session.waitFor(/Step 02 · Causal masking[\s\S]*0 passed, 6 failed/);
      solve(work, "02");
      await session.waitFor(/✔ Step 02 passes! Next: read book\/src\/step_03\.md/);
      await session.waitFor(/Step 03 · Layer normalization/);
    } finally {
      session.stop();
      mkdirSync(path.join(root, "test-results"), { recursive: true });
      writeFileSync(path.join(root, "test-results", "watch-transcript.txt"), session.output);
    }
    expect(readFileSync(path.join(work, ".progress"), "utf8")).toMatch(
      /^01 passed 9\/9 [0-9a-f]{40}\n02 passed 6\/6 /m,
    );
  });

  it("falls back to polling when asked, and still notices a save", async () => {
    const work = learnerRepo();
    const session = new Session(work, ["--poll"]);
    try {
      await session.waitFor(
        /polling every 300 ms[\s\S]*Step 01 · Model configuration[\s\S]*Watching steps\/ for saves \(polling every 300 ms\)/,
      );
      solve(work, "01");
      await session.waitFor(/✔ Step 01 passes!/);
    } finally {
      session.stop();
    }
  });

  it("answers the keys h, l, n and q in a terminal (tmux)", async (context) => {
    const tmuxPath = requireProgram(TMUX);
    if (tmuxPath.path === null) return context.skip(tmuxPath.skipReason);
    const work = learnerRepo();
    const name = `watchkeys${process.pid}`;
    const { tmux, waitScreen } = terminal(tmuxPath.path, name, 40_000);
    tmux(
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      "160",
      "-y",
      "60",
      "-c",
      work,
      `NO_COLOR=1 ${process.execPath} --import tsx tools/commands/watch.ts; sleep 30`,
    );
    try {
      await waitScreen(/keys: h hint · n next step · l list · r re-run · q quit/);
      tmux("send-keys", "-t", name, "h");
      await waitScreen(/Hint 1 of 3 for step 01: The idea/);
      tmux("send-keys", "-t", name, "l");
      await waitScreen(/Step\s+Chapter\s+Status\s+Checks/);
      tmux("send-keys", "-t", name, "n");
      await waitScreen(/Step 02 · Causal masking/);
      tmux("send-keys", "-t", name, "q");
      await waitScreen(/\$ $|^\s*$/m);
    } finally {
      tmux("kill-session", "-t", name);
    }
  });
});

describe("npm run progress", () => {
  it("shows passed, failing and not-started steps with a bar, and keeps its state in .progress", async () => {
    solve(repo, "01");
    solve(repo, "02");
    writeFileSync(
      path.join(repo, "steps", "step_03.ts"),
      readFileSync(path.join(root, "solutions", "solution_03.ts"), "utf8").replace(
        "F.variance(x)",
        "F.variance(x, { unbiased: true })",
      ),
    );
    const { code, out } = await tool(repo, "progress");
    expect(code).toBe(0);
    expect(out).toMatch(/01\s+Model configuration\s+✔ passed\s+9\/9/);
    expect(out).toMatch(/02\s+Causal masking\s+✔ passed\s+6\/6/);
    expect(out).toMatch(/03\s+Layer normalization\s+✘ failing\s+\d\/6/);
    expect(out).toMatch(/04\s+Feed-forward network\s+· not started\s+0\/6/);
    const filled = Math.floor((30 * 2) / STEPS.length);
    expect(out).toMatch(new RegExp(`\\[█{${filled}}[▏▎▍▌▋▊▉]?░*\\] 2 of ${STEPS.length} steps pass`));
    expect(out).toMatch(/your whole chain \(npm run gpt2\): needs every step to pass first/);
    expect(readFileSync(path.join(repo, ".progress"), "utf8")).toMatch(/^03 failing \d\/6 [0-9a-f]{40}$/m);
    // --recheck rebuilds the state even if the file is gone.
    execFileSync("rm", [path.join(repo, ".progress")]);
    expect((await tool(repo, "progress", ["--recheck"])).out).toMatch(new RegExp(`2 of ${STEPS.length} steps pass`));
  });
});

describe("the learner's commands agree with each other", () => {
  it("npm run sNN records what it found, so npm run progress shows the same", async () => {
    const work = learnerRepo();
    solve(work, "02");
    await tool(work, "check", ["02"]);
    expect(readFileSync(path.join(work, ".progress"), "utf8")).toMatch(/^02 passed 6\/6 [0-9a-f]{40}$/m);
    expect((await tool(work, "progress")).out).toMatch(/02\s+Causal masking\s+✔ passed/);
  });

  it("npm run watch -- 09 starts at step 09", async () => {
    const work = learnerRepo();
    const session = new Session(work, ["09"]);
    try {
      await session.waitFor(/Step 09 · Multi-head attention/);
    } finally {
      session.stop();
    }
  });

  it("npm run hint -- 03 4 says step 03 has 3 hints and shows the last", async () => {
    const { out } = await tool(repo, "hint", ["03", "4"]);
    expect(out).toMatch(/Step 03 has 3 hints; here is the last\.\s+Hint 3 of 3 for step 03/);
  });

  it("--chain=mine names every unfinished earlier step once and points at the first one's chapter", async () => {
    const work = learnerRepo();
    solve(work, "13");
    const { out } = await tool(work, "check", ["13", "--chain=mine"]);
    expect(out).toMatch(
      /not passing yet: 01, 02, 03, 04, 05, 06, 07, 08, 09, 10, 11, 12\.\nStart with step 01: read book\/src\/step_01\.md, then npm run s01\./,
    );
    expect(out).toMatch(/\(same as above: step 12 not implemented yet/);
    expect(out).toMatch(/read: book\/src\/step_12\.md, then npm run s12/);
  });
});

describe("npm run hint", () => {
  it("gives each step's three hints in order, the last followed by where the solution is", async () => {
    for (const step of STEPS)
      expect(
        readHints(step.nn).map((h) => h.title),
        `steps/step_${step.nn}.hints.md`,
      ).toEqual([...HINT_TITLES]);
    const hints = [];
    for (const k of [1, 2, 3]) hints.push((await tool(repo, "hint", ["05", String(k)])).out);
    expect(hints.map((out) => /Hint (\d) of 3 for step 05: (.*)/.exec(out)!.slice(1))).toEqual([
      ["1", "The idea"],
      ["2", "The pieces"],
      ["3", "The code"],
    ]);
    expect(hints[0]).toMatch(/More help \(gives more away\): npm run hint -- 05 2/);
    expect(hints[0]).not.toMatch(/solutions\//);
    expect(hints[2]).toMatch(/Still stuck\? The reference is solutions\/solution_05\.ts; npm run s05 -- --solution/);
  });
});

describe("npm run reset", () => {
  it("restores the skeleton from the upstream branch and keeps a backup", async () => {
    const file = path.join(repo, "steps", "step_06.ts");
    const skeleton = readFileSync(file, "utf8");
    writeFileSync(file, "// my work in progress\n");
    const refused = await tool(repo, "reset", ["06"]);
    expect(refused.out).toMatch(/run it in a terminal to confirm, or add --yes/);
    expect(readFileSync(file, "utf8")).toBe("// my work in progress\n");
    const done = await tool(repo, "reset", ["06", "--yes"]);
    expect(done.out).toMatch(
      /steps\/step_06\.ts is the skeleton again \(from origin\/main\); your version is in \.backups\/step_06\..*\.ts/,
    );
    expect(readFileSync(file, "utf8")).toBe(skeleton);
    const backups = readdirSync(path.join(repo, ".backups"));
    expect(readFileSync(path.join(repo, ".backups", backups[0]), "utf8")).toBe("// my work in progress\n");
  });
});

describe("a learner who finished every step", () => {
  it("has a whole chain that passes, and npm run gpt2 writes PyTorch's continuation with their code", async () => {
    const work = learnerRepo();
    for (const step of STEPS) solve(work, step.nn);
    const { out } = await tool(work, "progress");
    expect(out).toMatch(new RegExp(`\\[█{30}\\] ${STEPS.length} of ${STEPS.length} steps pass`));
    expect(out).toMatch(/your whole chain \(npm run gpt2\): ✔ every step passes on your own code/);
    const generated = await tool(work, "generate", [
      "--chain=mine",
      "--model",
      "tests/fixtures/tiny-gpt2",
      "--ids",
      "1,2,3",
      "--greedy",
      "--max-new-tokens",
      "8",
      "--json",
    ]);
    expect(JSON.parse(generated.stdout)).toEqual({
      prompt_ids: [1, 2, 3],
      generated_ids: values(loadFixture("step_15").i32("greedy")).slice(3),
    });
    // The pictures of the model's insides run on the learner's own code too.
    const picture = path.join(work, "attention.svg");
    const inside = await tool(work, "generate", [
      "--chain=mine",
      ...["--model", "tests/fixtures/tiny-gpt2", "--ids", "1,2,3", "--greedy", "--max-new-tokens", "2"],
      ...["--show-top-k", "2", "--attention", picture],
    ]);
    expect(inside.code).toBe(0);
    expect(inside.stdout).toMatch(/the candidates for each new token/);
    expect(readFileSync(picture, "utf8")).toContain("your model");
  }, 240_000); // every step checked on the learner's own chain: one child process per step
});

describe("--chain=mine", () => {
  it("makes a step's checks use the learner's earlier steps instead of the reference", async () => {
    solve(repo, "08");
    // A causal mask that also hides the diagonal: wrong, and step 08 must notice with --chain=mine.
    writeFileSync(
      path.join(repo, "steps", "step_02.ts"),
      readFileSync(path.join(root, "solutions", "solution_02.ts"), "utf8").replace("j = past + i + 1", "j = past + i"),
    );
    expect((await tool(repo, "check", ["08"])).code).toBe(0);
    const mine = await tool(repo, "check", ["08", "--chain=mine"]);
    expect(mine.out).toMatch(/earlier steps from your steps\//);
    expect(mine.code).toBe(1);
    expect(existsSync(path.join(repo, "steps", "step_02.ts"))).toBe(true);
  });

  it("in watch mode, re-reads an earlier step saved while watching", async () => {
    const work = learnerRepo();
    solve(work, "08");
    const broken = readFileSync(path.join(root, "solutions", "solution_02.ts"), "utf8").replace(
      "j = past + i + 1",
      "j = past + i",
    );
    writeFileSync(path.join(work, "steps", "step_02.ts"), broken);
    const session = new Session(work, ["08", "--chain=mine"]);
    try {
      await session.waitFor(/Step 08 · Attention[\s\S]*✘[\s\S]*Watching steps\/ for saves/);
      solve(work, "02"); // the mistake in step 02 fixed: step 08 must now pass on the learner's chain
      await session.waitFor(/✔ Step 08 passes!/);
    } finally {
      session.stop();
    }
  });
});
