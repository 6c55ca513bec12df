// Where a training run lives: DIR holds the last complete save (config.json, model.safetensors,
// training.json, loss.svg). A save is written to DIR.partial and renamed into place, so at every
// moment one complete checkpoint exists under DIR or DIR.previous, whatever kills the process.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseSafetensors, writeSafetensors } from "../../lib/safetensors.ts";
import type { Tensor } from "../../lib/tensor.ts";
import type { LossHistory } from "./loss-curve.ts";

/** A mistake with the folder that the user fixes: printed as one line. */
export class RunFolderError extends Error {
  override name = "RunFolderError";
}

export class RunFolder {
  readonly dir: string;
  private readonly partial: string;
  private readonly previous: string;

  /** Makes sure `out` takes files before any minute of training is spent, and recovers a save cut short. */
  constructor(readonly out: string) {
    this.dir = path.resolve(out);
    this.partial = `${this.dir}.partial`;
    this.previous = `${this.dir}.previous`;
    try {
      mkdirSync(path.dirname(this.dir), { recursive: true });
      writeFileSync(`${this.partial}.probe`, "");
      rmSync(`${this.partial}.probe`);
    } catch (error) {
      throw new RunFolderError(
        `cannot save into ${out}: ${(error as Error).message}. Choose another folder with --out DIR.`,
      );
    }
    // Interrupted between the two renames of a save: the previous folder is the last complete one.
    if (!existsSync(this.dir) && existsSync(this.previous)) renameSync(this.previous, this.dir);
  }

  get stateFile(): string {
    return path.join(this.dir, "training.json");
  }

  /** The saved run's training.json, or undefined when there is none. */
  readState<S>(): S | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    try {
      return JSON.parse(readFileSync(this.stateFile, "utf8")) as S;
    } catch {
      throw new RunFolderError(
        `${this.stateFile} is damaged: start again with --fresh, or choose another folder with --out DIR.`,
      );
    }
  }

  /**
   * Writes the checkpoint (with `writeCheckpoint`, step 22's), the state and the loss curve (its
   * SVG, loss-curve.ts's), then swaps them in. A save that fails (a full disk) leaves the last
   * complete one as it was, and says so.
   */
  save(writeCheckpoint: (dir: string) => void, state: LossHistory & { step: number }, lossSvg: string): void {
    rmSync(this.partial, { recursive: true, force: true });
    try {
      writeCheckpoint(this.partial);
      writeFileSync(path.join(this.partial, "training.json"), `${JSON.stringify(state, null, 2)}\n`);
      writeFileSync(path.join(this.partial, "loss.svg"), lossSvg);
    } catch (error) {
      rmSync(this.partial, { recursive: true, force: true }); // give back what space it took
      const last = this.readState<{ step: number }>()?.step;
      const kept = last === undefined ? "nothing was saved before" : `the save of step ${last} is intact`;
      throw new RunFolderError(
        `could not save step ${state.step} in ${this.out} (${(error as Error).message}); ${kept}`,
      );
    }
    rmSync(this.previous, { recursive: true, force: true });
    if (existsSync(this.dir)) renameSync(this.dir, this.previous);
    renameSync(this.partial, this.dir);
    rmSync(this.previous, { recursive: true, force: true });
  }

  /** A copy of the last save with bfloat16 weights (half the size): how default-model/ is made. */
  ship(to: string): void {
    mkdirSync(to, { recursive: true });
    const { tensors, metadata } = parseSafetensors(readFileSync(path.join(this.dir, "model.safetensors")));
    writeSafetensors(path.join(to, "model.safetensors"), tensors as Record<string, Tensor>, metadata, "BF16");
    for (const file of ["config.json", "training.json", "loss.svg", "vocab.json", "merges.txt"])
      if (existsSync(path.join(this.dir, file)))
        writeFileSync(path.join(to, file), readFileSync(path.join(this.dir, file)));
  }
}
