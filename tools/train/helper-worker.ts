// `npm run train`'s helper thread (helper-thread.ts starts it): it builds the run's tokenizer through
// tools/cli/tokenizer.ts (step 23: yours on --chain=mine once it passes), encodes the corpus with it
// and hands the tokens over (unless woken from rest: no corpus then), then answers requests: encode,
// decode, and draw the loss curve.
import { parentPort, workerData } from "node:worker_threads";
import { formatBPEFiles } from "../../lib/bpe.ts";
import { collectGarbage } from "../../lib/memory.ts";
import { buildTokenizer, type ModelTokenizer, tokenizerFor } from "../cli/tokenizer.ts";
import { failureReport } from "../runner/chain.ts";
import { loadCorpus } from "./corpus.ts";
import { lossCurve } from "./loss-curve.ts";
import type { FromHelper, HelperStart, ToHelper } from "./helper-thread.ts";

const port = parentPort!;
const post = (message: FromHelper, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const { source, chain, corpus: corpusName } = workerData as HelperStart;

const build = () =>
  source !== null && "dir" in source ? tokenizerFor(source.dir, chain) : buildTokenizer(source, chain);
let tokens: ModelTokenizer;
try {
  tokens = await build();
  const { description, vocabSize, own } = tokens;
  post({ type: "ready", description, vocabSize, own: own && formatBPEFiles(own) });
  if (corpusName !== null) {
    const corpus = loadCorpus(corpusName, tokens.tokenizer);
    post({ type: "corpus", corpus }, [corpus.train.buffer as ArrayBuffer, corpus.heldOut.buffer as ArrayBuffer]);
    // A fresh tokenizer for the rest of the run: the one that encoded the corpus remembers every
    // word it met, for answers that are mostly a sample of a few dozen tokens. (The process held
    // 18 MiB less once this thread had collected: 187 against 205 MiB, measured with the model unloaded.)
    tokens = await build();
    // Encoding left some 110 MB of garbage, which a thread that now mostly waits would keep for the whole run.
    collectGarbage();
  }
  port.on("message", answer);
} catch (error) {
  // A damaged tokenizer file or an unfinished step is one line (failureReport's); a bug, its trace.
  post({ type: "failed", report: failureReport(error, "npm run train") });
}

function answer(request: ToHelper) {
  try {
    const { tokenizer } = tokens;
    const answer =
      request.type === "encode"
        ? tokenizer.encode(request.text)
        : request.type === "decode"
          ? tokenizer.decode(request.ids)
          : lossCurve({ history: request.history });
    post({ type: "answer", job: request.job, answer });
  } catch (error) {
    post({ type: "error", job: request.job, report: failureReport(error, "npm run train") });
  }
}
