// `npm run book` builds the book and serves it on http://127.0.0.1:3000 (--port N or PORT to
// change, --host to listen beyond this machine), rebuilding and reloading the page whenever a
// chapter or an included file changes.
// `npm run book:build` (or --build) only builds. A broken reference prints its file and line.
import { existsSync, readFileSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import path from "node:path";
import sirv from "sirv";
import { buildBook, type BuildResult } from "../book/build.ts";
import { listen } from "../cli/listen.ts";
import { parseCommand } from "../cli/options.ts";
import { BookError } from "../book/errors.ts";

const { values } = parseCommand({
  usage: "npm run book -- [options]   (npm run book:build is --build)",
  options: {
    build: { type: "boolean", help: "build into book/build/ and stop, without serving" },
    port: { type: "string", default: process.env.PORT ?? "3000", value: "N", help: "port to serve on (or PORT)" },
    host: { type: "string", default: "127.0.0.1", value: "ADDRESS", help: "address to listen on" },
    book: { type: "string", default: "book", value: "DIR", help: "the book's folder" },
  },
});
const bookDir = path.resolve(values.book);

async function build(liveReload: boolean): Promise<BuildResult | null> {
  try {
    const result = await buildBook({ bookDir, liveReload });
    // The committed figures come from default-model/; with GPT-2 here, the built book's are drawn again from it.
    let figures = "figures from default-model/ (npm run figures)";
    if (existsSync(path.join(process.cwd(), "models", "gpt2", "model.safetensors"))) {
      const { drawFigures, figureModel } = await import("./figures.ts");
      const model = figureModel(true);
      for (const [file, svg] of drawFigures(model)) writeFileSync(path.join(result.outDir, "figures", file), svg);
      figures = `figures drawn from ${model.name}`;
    }
    console.log(
      `built ${result.pages} pages into ${path.relative(process.cwd(), result.outDir)} in ${(result.milliseconds / 1000).toFixed(2)} s, ${figures}`,
    );
    return result;
  } catch (error) {
    if (!(error instanceof BookError)) throw error;
    console.error(`book: ${error.message}`);
    return null;
  }
}

if (values.build) {
  process.exitCode = (await build(false)) ? 0 : 1;
} else {
  const port = Number(values.port);
  let result = await build(true);
  if (!result) process.exit(1);
  const clients = new Set<ServerResponse>();
  const files = sirv(result.outDir, { dev: true });
  const server = createServer((req, res) => {
    if (req.url === "/__livereload") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      res.write(": connected\n\n");
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    files(req, res, () => notFound(res));
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === "EADDRINUSE" ? `port ${port} is in use: try npm run book -- --port ${port + 1}` : error.message,
    );
    process.exit(1);
  });
  await listen(server, values.host, port, "the book");

  /** The book's own 404 page (its links start at the root, so it works at any depth). */
  function notFound(res: ServerResponse): void {
    const page = path.join(result!.outDir, "404.html");
    res.writeHead(404, { "content-type": existsSync(page) ? "text/html; charset=utf-8" : "text/plain" });
    res.end(existsSync(page) ? readFileSync(page) : "not found");
  }

  // Watch the folders of every input (chapters and the step files they include).
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const rewatch = (inputs: string[]) => {
    for (const w of watchers) w.close();
    watchers = [...new Set(inputs.map((f) => path.dirname(f)))].map((dir) =>
      watch(dir, (_event, name) => {
        if (!name || !inputs.some((f) => path.basename(f) === String(name))) return;
        clearTimeout(timer);
        timer = setTimeout(async () => {
          const next = await build(true);
          if (!next) return; // keep serving the last good build
          result = next;
          rewatch(next.inputs);
          for (const client of clients) client.write("event: reload\ndata: now\n\n");
        }, 100);
      }),
    );
  };
  rewatch(result.inputs);
}
