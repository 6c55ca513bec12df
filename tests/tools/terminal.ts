// A tmux session a test drives as a person would a terminal: keys in, the screen out.
import { execFileSync } from "node:child_process";

export interface Terminal {
  /** Runs a tmux command on this machine's tmux server. */
  tmux(...args: string[]): string;
  /** The session's screen and scroll-back, joined lines. */
  screen(): string;
  /** Waits until the screen matches `pattern`, or fails showing the screen. */
  waitScreen(pattern: RegExp): Promise<void>;
}

/** Commands for the tmux session `name`, using the tmux at `tmuxPath`; waits give up after `timeout` ms. */
export function terminal(tmuxPath: string, name: string, timeout: number): Terminal {
  const tmux = (...args: string[]) => execFileSync(tmuxPath, args, { encoding: "utf8" });
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", name);
  const waitScreen = async (pattern: RegExp) => {
    const start = Date.now();
    while (!pattern.test(screen())) {
      if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };
  return { tmux, screen, waitScreen };
}
