// Type-checks one step file with the project's tsconfig, so `npm run sNN` can report what
// `npm run typecheck` would say about it (a step can pass its checks and still not compile).
import path from "node:path";
import ts from "typescript";

/** "file:line:column: message (TScode)" for each type error in `file` (relative to `root`). */
export function typeErrors(file: string, root = process.cwd()): string[] {
  const { config } = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const absolute = path.join(root, file);
  const program = ts.createProgram([absolute], options);
  const source = program.getSourceFile(absolute);
  if (!source) return [`${file}: not found`];
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
    const { line, character } = source.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${file}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")} (TS${d.code})`;
  });
}
