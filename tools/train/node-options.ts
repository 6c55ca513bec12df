// The V8 options `npm run train` starts node with (package.json's "train" script; the bench's
// memory figure runs its training steps in a child started with them too), and what it counts as a
// large model, whose memory it treats as scarcer.
//
// --max-semi-space-size=2: V8 gives a program's new objects up to 3 × 16 MiB by default, and a
// training thread that makes mostly large arrays (kept outside that space) fills it with their
// small wrappers and keeps it at full size. 2 MiB took the peak of a GPT-2 124M fine-tune from
// ~4.55× to ~4.48× the checkpoint file and left its speed as it was (A/B, one run: wall 1.004×).
// It can only be given on the command line: set from inside the program it comes too late.
export const TRAIN_NODE_OPTIONS = ["--max-semi-space-size=2"];

/**
 * Models from this many parameters are large (GPT-2 124M's shape, not `npm run train`'s default):
 * memory runs out first, so training gives up a little speed to keep the peak down. The helper
 * thread rests between its jobs, and the recycler collects sooner (preferLowPeak in
 * lib/memory.ts). A small model's steps are fast and its peak is small.
 */
export const LARGE_MODEL = 25_000_000;
