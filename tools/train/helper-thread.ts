// `npm run train`'s helper thread (helper-worker.ts), seen from the training thread: it holds the
// run's tokenizer, encodes the corpus while the model loads, then encodes, decodes and draws the
// loss curve on request.
//
// Why a thread: a training step makes new arrays for its activations and gradients, a gigabyte of
// them at GPT-2 124M, and V8 marks the heap over and over as they come, at a cost that grows with
// what the heap holds. GPT-2's tokenizer is some 100,000 small objects (its vocabulary, its merges
// and, after the corpus, a cache of the words it has seen: 43 MB), and the loss curve's plotting
// library is 8 MB of code. With them in the training thread's heap, a fine-tune step of GPT-2 124M
// paused ~315 ms for 39 markings (the bare step: 47 ms for 13) and took 6.9 s instead of 5.4.
// Here they are marked only when this thread collects.
//
// A large model's run lets the thread rest between jobs (rest(), wake()): ended, it gives its memory
// back, and a request starts it again with a tokenizer built afresh, without the corpus.
import { Worker } from "node:worker_threads";
import type { BPEFiles, BPEFilesText } from "../../lib/bpe.ts";
import { collectGarbage } from "../../lib/memory.ts";
import type { Chain } from "../runner/chain.ts";
import type { Corpus, CorpusName } from "./corpus.ts";
import type { LossHistory } from "./loss-curve.ts";

/** Where the tokenizer's files come from: a model folder (its own, else GPT-2's), files in hand, or GPT-2's (null). */
export type TokenizerSource = { dir: string } | { files: BPEFiles; name: string } | null;

/** What the thread is started with. */
export interface HelperStart {
  source: TokenizerSource;
  chain: Chain;
  /** The corpus to encode first; null for a thread woken from rest, which only answers requests. */
  corpus: CorpusName | null;
}

/** Each request the thread answers, and what its answer is. */
interface Requests {
  encode: { request: { text: string }; answer: number[] };
  decode: { request: { ids: number[] }; answer: string };
  "loss curve": { request: LossHistory; answer: string };
}
type Kind = keyof Requests;
export type ToHelper = { [K in Kind]: Requests[K]["request"] & { type: K; job: number } }[Kind];

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
  | { type: "answer"; job: number; answer: Requests[Kind]["answer"] }
  | { type: "error"; job: number; report: string };

type Answer = Extract<FromHelper, { job: number }>;

export class HelperThread {
  /** Where each pending request's answer goes, by job number. */
  private readonly jobs = new Map<number, (answer: Answer) => void>();
  private jobCount = 0;
  private readonly encoded: Promise<Corpus>;
  private corpusArrived = false;
  /** How many answers (the corpus among them) are awaited: the thread keeps the process alive only while one is. */
  private awaited = 0;

  private constructor(
    /** The thread running now; undefined while it rests (rest()). */
    private worker: Worker | undefined,
    private readonly started: HelperStart,
    readonly description: string,
    readonly vocabSize: number,
    readonly own: BPEFilesText | null,
  ) {
    this.encoded = new Promise((resolve) => {
      this.listen(worker!, (corpus) => {
        this.corpusArrived = true;
        resolve(corpus);
      });
    });
  }

  /**
   * Starts the thread, which builds the tokenizer from `source`, and then encodes `corpus` with it
   * while this thread goes on. A failure there (a damaged tokenizer file, a bug) ends the process
   * with its report, as the command's own errors do.
   */
  static start(start: HelperStart): Promise<HelperThread> {
    const worker = launch(start);
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (message: FromHelper) => {
        worker.off("error", reject);
        if (message.type === "ready")
          return resolve(new HelperThread(worker, start, message.description, message.vocabSize, message.own));
        if (message.type === "failed") exitWith(message.report); // the first message is one of the two
      });
    });
  }

  /** The corpus in the tokenizer's tokens, once the thread has encoded it. */
  corpus(): Promise<Corpus> {
    return this.awaiting(this.encoded);
  }

  encode(text: string): Promise<number[]> {
    return this.ask("encode", { text });
  }

  decode(ids: ArrayLike<number>): Promise<string> {
    return this.ask("decode", { ids: Array.from(ids) });
  }

  /** loss.svg for the run so far (loss-curve.ts). */
  lossCurve({ history }: LossHistory): Promise<string> {
    return this.ask("loss curve", { history });
  }

  /**
   * Ends the thread until the next request (or wake()), giving back its memory: its tokenizer,
   * the plotting library and its heap, ~55 MB of a GPT-2 124M fine-tune's peak. Only once the
   * corpus has come and while no answer is awaited; otherwise this does nothing.
   */
  rest(): void {
    if (!this.worker || !this.corpusArrived || this.awaited > 0) return;
    const worker = this.worker;
    this.worker = undefined; // before it exits: its exit is then not a failure
    void worker.terminate();
  }

  /**
   * Starts a resting thread again, without waiting for it: it builds its tokenizer (~1 s) while
   * this thread goes on, and answers the requests sent meanwhile once it has.
   */
  wake(): void {
    if (this.worker) return;
    // This thread's garbage goes first (a step's dropped gradients and activations, which V8 may
    // not have collected yet): the new thread's memory must not come on top of it. Woken for a
    // save alone, a GPT-2 124M fine-tune peaked 60–90 MiB higher without this.
    collectGarbage();
    this.worker = launch({ ...this.started, corpus: null });
    this.listen(this.worker);
  }

  /** Sends a request; resolves with its answer, or rejects with the thread's report of what went wrong. */
  private ask<K extends Kind>(type: K, request: Requests[K]["request"]): Promise<Requests[K]["answer"]> {
    this.wake();
    const worker = this.worker!;
    const job = this.jobCount++;
    return this.awaiting(
      new Promise((resolve, reject) => {
        this.jobs.set(job, (reply) => {
          this.jobs.delete(job);
          if (reply.type === "error") reject(new Error(reply.report));
          else resolve(reply.answer as Requests[K]["answer"]);
        });
        worker.postMessage({ ...request, type, job } as ToHelper);
      }),
    );
  }

  /** Routes a thread's messages: its corpus (the first thread's only), answers, and failures. */
  private listen(worker: Worker, corpus?: (corpus: Corpus) => void): void {
    worker.on("message", (message: FromHelper) => {
      if (message.type === "failed") exitWith(message.report);
      if (message.type === "corpus") corpus?.(message.corpus);
      if ("job" in message) this.jobs.get(message.job)?.(message);
    });
    worker.on("error", (error) => {
      throw error; // a bug on that thread: without it the run cannot go on
    });
    worker.on("exit", (code) => {
      if (worker === this.worker && this.awaited > 0)
        exitWith(`npm run train's helper thread (the tokenizer) stopped (exit code ${code}) before it answered.`);
    });
    // Unless something is awaited from it, the thread must not keep the process alive: an error
    // before training (a model not downloaded) ends the command at once, not after the encoding.
    // (After the listeners: listening for messages holds the process again.)
    worker.unref();
  }

  /** `answer`, with the thread holding the process alive until it comes. */
  private async awaiting<T>(answer: Promise<T>): Promise<T> {
    if (this.awaited++ === 0) this.worker?.ref();
    try {
      return await answer;
    } finally {
      if (--this.awaited === 0) this.worker?.unref();
    }
  }
}

/** A new helper thread, building its tokenizer. */
function launch(start: HelperStart): Worker {
  return new Worker(new URL("../runner/typescript-worker.mjs", import.meta.url), {
    workerData: { entry: new URL("./helper-worker.ts", import.meta.url).href, ...start },
    // Its new objects' space grows to 48 MB while it encodes the corpus, and would stay that size
    // for a thread that then makes little: 8 MB encodes as fast (2.7 s) and holds 27 MB less.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
}

function exitWith(report: string): never {
  console.error(report);
  process.exit(1);
}
