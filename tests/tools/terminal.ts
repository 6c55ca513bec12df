// A tmux session a test drives as a person would a terminal: keys in, the screen out.
import { execFileSync } from "node:child_process";

export interface Terminal {
  /** Runs a tmux command on this machine's tmux server. */
  tmux(...args: string[]): string;
  /** The session's screen and scroll-back, joined lines. */
  screen(): string;
  /** Waits until the screen matches `pattern`, or fails showing the screen. */
  waitScreen(pattern: RegExp): Promise<void>;
  /**
   * Waits until the process in the session's pane has ended (the pane needs remain-on-exit), and
   * says how: "130/" for an exit status, "/2" for a signal; null if it runs on after the timeout.
   */
  ended(): Promise<string | null>;
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
  const ended = async () => {
    const pane = (format: string) => tmux("display-message", "-p", "-t", name, format).trim();
    for (const start = Date.now(); Date.now() - start < timeout; await new Promise((r) => setTimeout(r, 150))) {
      if (pane("#{pane_dead}") !== "1") continue;
      const how = pane("#{pane_dead_status}/#{pane_dead_signal}");
      if (how !== "/") return how;
      // The pane's terminal has closed, but tmux (3.3a) can miss the SIGCHLD that follows and never
      // reap the process nor learn how it ended (it stays a zombie): remind it.
      process.kill(Number(pane("#{pid}")), "SIGCHLD");
    }
    return null;
  };
  return { tmux, screen, waitScreen, ended };
}
