// A problem in the book's sources, pointing at the file and line to fix.
import path from "node:path";

export class BookError extends Error {
  override name = "BookError";

  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${path.relative(process.cwd(), file) || file}:${line}: ${problem}`);
  }
}
