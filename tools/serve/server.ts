// The HTTP side of `npm run serve`: routes, body limits, prompts tokenised, OpenAI-shaped answers
// and errors, and a queue so that the model's thread (model-thread.ts) runs one job at a time
// (requests wait their turn rather than interleave). The model never runs on this thread, so it
// answers between the model's tokens and pictures.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { StreamingDecoder, type TextTokenizer } from "../../lib/tokenizer.ts";
import type { ModelTokenizer } from "../cli/tokenizer.ts";
import { tokenLabel } from "../figures/svg.ts";
import { logprobsOf, parseRequest, RequestError, type GeneratedToken } from "./completions.ts";
import type { ModelThread } from "./model-thread.ts";

/** Bodies above this are refused with 413 before they are read to the end. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ServerOptions {
  /** The model, loaded on its own thread. */
  model: ModelThread;
  /** The model's tokenizer (tools/cli/tokenizer.ts). */
  tokens: Pick<ModelTokenizer, "tokenizer" | "endOfText">;
  /** The name clients see in "model" fields, e.g. "gpt2". */
  name: string;
  /** One line per finished or stopped generation, e.g. for the terminal. */
  log?: (line: string) => void;
}

const PLAYGROUND = new URL("./playground.html", import.meta.url);

export function completionServer(options: ServerOptions): Server {
  const service = new CompletionService(options);
  return createServer((req, res) => service.handle(req, res));
}

type Completion = ReturnType<typeof parseRequest>;

class CompletionService {
  private readonly model: ModelThread;
  private readonly tokens: ServerOptions["tokens"];
  private readonly name: string;
  private readonly log: (line: string) => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor({ model, tokens, name, log = () => {} }: ServerOptions) {
    this.model = model;
    this.tokens = tokens;
    this.name = name;
    this.log = log;
  }

  /** Answers one request; whatever goes wrong becomes OpenAI's error shape, never a dropped socket. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (error) {
      if (res.headersSent) {
        res.end(); // mid-stream: the client already has what there was
      } else if (error instanceof RequestError) {
        const body = { message: error.message, type: "invalid_request_error", param: error.param, code: null };
        json(res, error.status, { error: body });
      } else {
        this.log(`error: ${(error as Error).message}`);
        json(res, 500, { error: { message: (error as Error).message, type: "server_error", param: null, code: null } });
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(readFileSync(PLAYGROUND));
    } else if (req.method === "GET" && url.pathname === "/v1/models") {
      json(res, 200, { object: "list", data: [{ id: this.name, object: "model", owned_by: "gpt2-from-scratch-ts" }] });
    } else if (url.pathname === "/v1/completions") {
      if (req.method !== "POST") throw new RequestError(405, null, "use POST for /v1/completions");
      const request = parseRequest(await readJson(req), this.model.limits, this.tokens.tokenizer);
      await this.inTurn(() => this.complete(req, res, request));
    } else if (url.pathname === "/v1/attention") {
      if (req.method !== "POST") throw new RequestError(405, null, "use POST for /v1/attention");
      const svg = await this.attentionPicture(await readJson(req));
      res.writeHead(200, { "content-type": "image/svg+xml" }).end(svg);
    } else throw new RequestError(404, null, `no such endpoint: ${req.method} ${url.pathname}`);
  }

  /** Runs `task` after every earlier one has finished: one job for the model at a time. */
  private inTurn<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Runs one completion, streamed as server-sent events or answered as one JSON object. */
  private async complete(req: IncomingMessage, res: ServerResponse, request: Completion): Promise<void> {
    const gone = new AbortController(); // stops the generation on the model's thread
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    if (res.destroyed || req.socket.destroyed) return; // left while waiting in the queue
    const head = {
      id: `cmpl-${randomUUID()}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: this.name,
    };
    const tokens: GeneratedToken[] = [];
    // Streamed text holds back a character split across tokens until its last byte arrives.
    const { tokenizer } = this.tokens;
    const text = new StreamingDecoder(tokenizer);
    if (request.stream)
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
    await this.model.generate(request, this.tokens.endOfText, gone.signal, (token) => {
      tokens.push(token);
      if (!request.stream || gone.signal.aborted) return;
      const chunk = {
        ...head,
        choices: [choice(request, text.push(token.id), [token], null, tokenizer)],
        gpt2: extension(token, tokenizer),
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    });
    if (gone.signal.aborted) {
      this.log(`client went away after ${tokens.length} of ${request.maxTokens} tokens: generation stopped`);
      return;
    }
    this.log(`${tokens.length} tokens for a ${request.ids.length}-token prompt`);
    const finish = tokens.length < request.maxTokens ? "stop" : "length";
    const usage = {
      prompt_tokens: request.ids.length,
      completion_tokens: tokens.length,
      total_tokens: request.ids.length + tokens.length,
    };
    if (request.stream) {
      const last = { ...head, choices: [choice(request, text.flush(), [], finish, tokenizer)], usage };
      res.end(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
    } else {
      const all = choice(request, tokenizer.decode(tokens.map((t) => t.id)), tokens, finish, tokenizer);
      json(res, 200, {
        ...head,
        choices: [all],
        usage,
        gpt2: { prompt_ids: request.ids, tokens: tokens.map((t) => extension(t, tokenizer)) },
      });
    }
  }

  /**
   * The playground's picture: what every head read when the token at `position` was chosen. The
   * request is checked here, at once; the model draws it in turn with the completions.
   */
  private attentionPicture(body: unknown): Promise<string> {
    const { ids, position } = (body ?? {}) as { ids?: unknown; position?: unknown };
    const { vocab_size, n_positions } = this.model.limits;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((v) => Number.isInteger(v) && v >= 0 && v < vocab_size))
      throw new RequestError(400, "ids", `ids must be a non-empty array of token ids 0…${vocab_size - 1}`);
    if (typeof position !== "number" || !Number.isInteger(position) || position < 1 || position >= ids.length)
      throw new RequestError(
        400,
        "position",
        `position must be the index of a token after the first, 1…${ids.length - 1}`,
      );
    // The token at `position` was predicted by the query at position − 1, over (at most) the last n_positions tokens.
    const context = ids.slice(Math.max(0, position - n_positions), position) as number[];
    const { tokenizer } = this.tokens;
    const labels = context.map((id) => tokenLabel(tokenizer.decode([id])));
    const caption = `${this.name}: what each head read when ${JSON.stringify(tokenizer.decode([ids[position]]))} came next`;
    return this.inTurn(() => this.model.attention(context, labels, caption));
  }
}

/** One of OpenAI's `choices`: the text, and the logprobs of its tokens when they were asked for. */
function choice(
  request: Completion,
  text: string,
  tokens: GeneratedToken[],
  finish: string | null,
  tokenizer: TextTokenizer,
) {
  const logprobs = request.logprobs ? logprobsOf(tokens, tokenizer) : null;
  return { text, index: 0, logprobs, finish_reason: finish };
}

/** The token as the playground needs it: id, text and candidates. */
const extension = (t: GeneratedToken, tokenizer: TextTokenizer) => ({
  id: t.id,
  text: tokenizer.decode([t.id]),
  probability: t.probability,
  top: t.top.map((c) => ({ id: c.id, text: tokenizer.decode([c.id]), probability: c.probability })),
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

/** The request body as JSON; 413 past MAX_BODY_BYTES (without reading the rest), 400 if it does not parse. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new RequestError(413, "body", `the body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new RequestError(413, "body", `the body is over the limit of ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new RequestError(400, "body", `the body is not valid JSON: ${(error as Error).message}`);
  }
}
