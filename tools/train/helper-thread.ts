// `npm run train`'s helper thread (helper-worker.ts), seen from the training thread: it holds the
// run's tokenizer, encodes the corpus while the model loads, then encodes, decodes and draws the
// loss curve on request.
//
// Why a thread: a training step makes new arrays for its activations and gradients, a gigabyte of
// them at GPT-2 124M, and V8 marks the heap over and over as they come, the more often the more the
// heap holds. GPT-2's tokenizer is some 100,000 small objects (its vocabulary, its merges and, after
// the corpus, a cache of the words it has seen: 43 MB), and the loss curve's plotting library is
// 8 MB of code. With them in the training thread's heap, a fine-tune of GPT-2 124M marked it 84
// times a step instead of 13. Here they are marked only when this thread collects.
import { Worker } from "node:worker_threads";
import type { BPEFiles, BPEFilesText } from "../../lib/bpe.ts";
import type { Chain } from "../runner/chain.ts";
import type { Corpus, CorpusName } from "./corpus.ts";
import type { LossHistory } from "./loss-curve.ts";

/** Where the tokenizer's files come from: a model folder (its own, else GPT-2's), files in hand, or GPT-2's (null). */
export type TokenizerSource = { dir: string } | { files: BPEFiles; name: string } | null;

/** What the thread is started with. */
export interface Start {
  source: TokenizerSource;
  chain: Chain;
  corpus: CorpusName;
}

type Request =
  | { type: "encode"; text: string }
  | { type: "decode"; ids: number[] }
  | { type: "loss curve"; history: LossHistory["history"] };
export type ToHelper = Request & { job: number };

interface Ready {
  type: "ready";
  /** For the line every command prints: "GPT-2's tokenizer, by the reference step 23". */
  description: string;
  vocabSize: number;
  /** The model's own vocab.json and merges.txt, as they are written beside it; null for GPT-2's. */
  own: BPEFilesText | null;
}

export type FromHelper =
  | Ready
  | { type: "corpus"; corpus: Corpus }
  | { type: "failed"; report: string }
  | { type: "answer"; job: number; result: string | number[] }
  | { type: "error"; job: number; message: string };

type Answer = Extract<FromHelper, { job: number }>;

export class HelperThread {
  /** Where each pending request's answer goes, by job number. */
  private readonly jobs = new Map<number, (answer: Answer) => void>();
  private jobCount = 0;
  /** Whether the thread has done its own work (the corpus) and only answers requests. */
  private idle = false;
  /** The corpus in the tokenizer's tokens, once the thread has encoded it. */
  readonly corpus: Promise<Corpus>;

  private constructor(
    private readonly worker: Worker,
    readonly description: string,
    readonly vocabSize: number,
    readonly own: BPEFilesText | null,
  ) {
    this.corpus = new Promise((resolve) => {
      worker.on("message", (message: FromHelper) => {
        if (message.type === "failed") exitWith(message.report);
        if (message.type === "corpus") {
          resolve(message.corpus);
          // From here the thread only waits for requests, and must not keep the process alive; ask() holds it while one is out.
          this.idle = true;
          if (this.jobs.size === 0) worker.unref();
        }
        if ("job" in message) this.jobs.get(message.job)?.(message);
      });
    });
    worker.on("error", (error) => {
      throw error; // a bug on that thread: without it the run cannot go on
    });
  }

  /**
   * Starts the thread, which builds the tokenizer from `source`, and then encodes `corpus` with it
   * while this thread goes on (`corpus` resolves to the tokens). A failure there (a damaged
   * tokenizer file, a bug) ends the process with its report, as the command's own errors do.
   */
  static start(start: Start): Promise<HelperThread> {
    const worker = new Worker(new URL("../runner/typescript-worker.mjs", import.meta.url), {
      workerData: { entry: new URL("./helper-worker.ts", import.meta.url).href, ...start },
      // Its new objects' space grows to 48 MB while it encodes the corpus, and would stay that size
      // for a thread that then makes little: 8 MB encodes as fast (2.7 s) and holds 27 MB less.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (message: FromHelper) => {
        worker.off("error", reject);
        if (message.type === "ready")
          return resolve(new HelperThread(worker, message.description, message.vocabSize, message.own));
        if (message.type === "failed") exitWith(message.report); // the first message is one of the two
      });
    });
  }

  encode(text: string): Promise<number[]> {
    return this.ask({ type: "encode", text }) as Promise<number[]>;
  }

  decode(ids: ArrayLike<number>): Promise<string> {
    return this.ask({ type: "decode", ids: Array.from(ids) }) as Promise<string>;
  }

  /** loss.svg for the run so far (loss-curve.ts). */
  lossCurve({ history }: LossHistory): Promise<string> {
    return this.ask({ type: "loss curve", history }) as Promise<string>;
  }

  private ask(request: Request): Promise<string | number[]> {
    const job = this.jobCount++;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.jobs.set(job, (answer) => {
        this.jobs.delete(job);
        if (this.jobs.size === 0 && this.idle) this.worker.unref();
        if (answer.type === "error") reject(new Error(answer.message));
        else resolve(answer.result);
      });
      this.worker.postMessage({ ...request, job } satisfies ToHelper);
    });
  }
}

function exitWith(report: string): never {
  console.error(report);
  process.exit(1);
}
