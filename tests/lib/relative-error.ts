// How far one array of numbers is from another, for tests that compare two ways of computing them.

/** Largest |a − b| relative to the largest |b|. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 1e-30;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}
