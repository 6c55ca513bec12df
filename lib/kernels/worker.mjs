// A helper thread for the WebAssembly matrix products (see wasm.ts). It owns one instance of
// the kernel module per memory arena and waits for the main thread to publish a job; then it
// takes the job's chunks one at a time while any are left, counting each one done. Plain
// JavaScript so it starts without a loader.
import { receiveMessageOnPort, workerData } from "node:worker_threads";

const { module, control, port } = workerData;
const ctl = new Int32Array(control);
const claim = new BigInt64Array(control);
// Slots of the control block; the same numbers as in wasm.ts.
const GENERATION = 0, DONE = 1, ARENA = 2, COMPLETED = 3, CHUNKS = 4, CLAIM = 4, ATTACH = -1;
const SPIN = 1_000_000; // polls (about a millisecond) before sleeping: while a model runs, jobs arrive well within that

const instances = [];
let seen = 0; // the generation the control block was created with: jobs published before this thread started still count
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, GENERATION) === seen) {
    if (++spins > SPIN) Atomics.wait(ctl, GENERATION, seen);
  }
  seen = Atomics.load(ctl, GENERATION);
  const arena = Atomics.load(ctl, ARENA);
  if (arena === ATTACH) {
    const memory = receiveMessageOnPort(port).message;
    instances.push(new WebAssembly.Instance(module, { env: { memory, abort: () => {} } }).exports);
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
    continue;
  }
  // Take chunks of this job while there are any. A claim word of another generation means the
  // calling thread finished this job without us and has published the next: look again.
  const chunks = Atomics.load(ctl, CHUNKS);
  const mine = BigInt(seen) << 32n;
  for (;;) {
    const word = Atomics.load(claim, CLAIM);
    const chunk = Number(word - mine);
    if (word < mine || chunk >= chunks) break;
    if (Atomics.compareExchange(claim, CLAIM, word, word + 1n) !== word) continue;
    instances[arena].run(chunk, chunks);
    Atomics.add(ctl, COMPLETED, 1);
    Atomics.notify(ctl, COMPLETED);
  }
}
