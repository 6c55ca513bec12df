// The model of `npm run serve` on a thread of its own (model-worker.ts), seen from the HTTP
// thread: a generation or an attention picture is a message there, and tokens, pictures and errors
// are messages back. While the model computes, the HTTP thread goes on reading requests and writing
// answers: a burst of work for the model does not hold up GET /v1/models or a 400.
import { Worker } from "node:worker_threads";
import type { CompletionRequest, GeneratedToken, ModelLimits } from "./completions.ts";

/** The work of a job for the model's thread. */
type Work =
  | { type: "generate"; request: CompletionRequest; endOfText: number }
  | { type: "attention"; context: number[]; labels: string[]; caption: string };

/** A job for the model's thread, numbered so that its replies find their way back. */
export type Job = Work & { job: number };

/** What the HTTP thread sends: a job, or word that a generation's client has gone. */
export type ToModel = Job | { type: "cancel"; job: number };

/** What the model's thread sends: first whether the model loaded, then each job's tokens and its end. */
export type FromModel = Loaded | JobReply;

type Loaded = { type: "ready"; limits: ModelLimits } | { type: "failed"; report: string };

type JobReply =
  | { type: "token"; job: number; token: GeneratedToken }
  | { type: "done"; job: number; svg?: string }
  | { type: "error"; job: number; message: string };

export class ModelThread {
  /** Where each running job's replies go, by job number. */
  private readonly jobs = new Map<number, (reply: JobReply) => void>();
  private jobCount = 0;

  private constructor(
    private readonly worker: Worker,
    /** The sizes requests are checked against. */
    readonly limits: ModelLimits,
  ) {
    worker.on("message", (reply: JobReply) => this.jobs.get(reply.job)?.(reply));
    // Every job's errors come back as replies: a thread that dies is a bug, and without the model
    // the server cannot go on. Thrown here, it ends the process as an error on this thread would.
    worker.on("error", (error) => {
      throw error;
    });
  }

  /**
   * Starts the thread, which loads the model in `dir`. A model that cannot be loaded (a bad folder,
   * an unfinished step) ends the process with the reason, as the command's own errors do.
   */
  static start(dir: string): Promise<ModelThread> {
    const worker = new Worker(new URL("../runner/typescript-worker.mjs", import.meta.url), {
      workerData: { entry: new URL("./model-worker.ts", import.meta.url).href, dir },
    });
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (message: Loaded) => {
        if (message.type === "failed") {
          console.error(message.report);
          process.exit(1);
        }
        worker.off("error", reject);
        resolve(new ModelThread(worker, message.limits));
      });
    });
  }

  /** Draws the tokens of `request`, handing each to `onToken` as it comes; `signal` stops it. */
  async generate(
    request: CompletionRequest,
    endOfText: number,
    signal: AbortSignal,
    onToken: (token: GeneratedToken) => void,
  ): Promise<void> {
    await this.run({ type: "generate", request, endOfText }, signal, onToken);
  }

  /** The attention picture of `context` (queryAttentionSvg's), for the query at its last position. */
  async attention(context: number[], labels: string[], caption: string): Promise<string> {
    return (await this.run({ type: "attention", context, labels, caption })).svg!;
  }

  /** Sends a job; resolves with its last reply, once the model's thread has finished it. */
  private run(
    work: Work,
    signal?: AbortSignal,
    onToken?: (token: GeneratedToken) => void,
  ): Promise<Extract<JobReply, { type: "done" }>> {
    const id = this.jobCount++;
    const cancel = () => this.worker.postMessage({ type: "cancel", job: id } satisfies ToModel);
    return new Promise((resolve, reject) => {
      this.jobs.set(id, (reply) => {
        if (reply.type === "token") return onToken?.(reply.token);
        this.jobs.delete(id);
        signal?.removeEventListener("abort", cancel);
        if (reply.type === "error") reject(new Error(reply.message));
        else resolve(reply);
      });
      signal?.addEventListener("abort", cancel, { once: true });
      this.worker.postMessage({ ...work, job: id } satisfies ToModel);
    });
  }
}
