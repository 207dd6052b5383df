// The real Python server, started on a free port for a test file.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), ".."); // clients/typescript
export const repo = resolve(root, "../..");
export const samples = join(repo, "server/govreport/samples");
export const SEED = "000_920faedf84c991f1";
/**
 * Three page images of a made-up report (drawn by clients/go/govreport/testdata/pages/make_pages.py):
 * title and 一 on page 1, 二 and 三 on page 2, 四 to 六 and the date on page 3.
 */
export const PAGES = ["第1页.png", "第2页.jpg", "第3页.png"].map((name) => join(root, "test/data/pages", name));
/** Twelve pages of OCR (the three, four times over): seconds of work for a worker on any machine. */
export const SLOW_PAGES = [...PAGES, ...PAGES, ...PAGES, ...PAGES];

export interface Server {
  process: ChildProcess;
  address: string;
  /** host:port of /metrics, with `--metrics-port 0`. */
  metricsAddress: string;
  stop(): Promise<void>;
  /** A sample's value from /metrics, e.g. "govreport_worker_failures_total"; 0 when not there yet. */
  metric(sample: string): Promise<number>;
  /** Pids of the worker processes (children running multiprocessing's spawn_main; not the resource tracker). */
  workers(): number[];
}

/** Starts `govreport serve` on a free port with `args` and `env`, and waits for its "listening on" line. */
export async function startServer(args: string[] = [], env: Record<string, string> = {}): Promise<Server> {
  const bin = process.env.GOVREPORT_BIN ?? join(repo, ".venv/bin/govreport");
  if (!existsSync(bin)) {
    throw new Error(`govreport server not found at ${bin}: run \`make -C ${repo} setup\` or set GOVREPORT_BIN`);
  }
  const child = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "WARNING", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", ...env },
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`govreport serve exited (${code}) before listening`);
  });
  let metricsAddress = "";
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const metrics = /metrics on (\S+)/.exec(line);
      if (metrics) metricsAddress = metrics[1]!;
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    lines.on("close", () => reject(new Error("govreport serve closed stdout before listening")));
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("govreport serve did not listen within 60 s")), 60_000).unref(),
  );
  let address: string;
  try {
    address = await Promise.race([listening, exited, timeout]);
  } catch (err) {
    child.kill("SIGTERM");
    throw err;
  }
  exited.catch(() => {});
  if (args.includes("--metrics-port")) {
    // The metrics line follows the listening one.
    for (let i = 0; i < 100 && !metricsAddress; i++) await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    address,
    metricsAddress,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      await gone;
    },
    async metric(sample: string) {
      const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
      for (const line of text.split("\n")) {
        const at = line.lastIndexOf(" ");
        if (line.slice(0, at) === sample) return Number(line.slice(at + 1));
      }
      return 0;
    },
    workers() {
      const pids = new Set<number>();
      let tasks: string[] = [];
      try {
        tasks = readdirSync(`/proc/${child.pid}/task`);
      } catch {
        return [];
      }
      for (const task of tasks) {
        let children: number[] = [];
        try {
          children = readFileSync(`/proc/${child.pid}/task/${task}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
        } catch {
          continue;
        }
        for (const pid of children) {
          try {
            if (readFileSync(`/proc/${pid}/cmdline`).includes("spawn_main")) pids.add(pid);
          } catch {
            // gone already
          }
        }
      }
      return [...pids].sort((a, b) => a - b);
    },
  };
}

/** Polls `condition` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU time process `pid` (all its threads) has used, in clock ticks: a worker whose ticks
 * rise is reading a document. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  return Number(fields[11]) + Number(fields[12]);
}
