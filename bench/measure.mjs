/**
 * Measuring for `npm run bench`: interleaved A/B pairs, CPU time beside wall time, the median of the
 * per-pair ratios with their spread, and the table.
 *
 * Processes run under bash, which reports the CPU time of its children with `times` (getrusage, so every
 * process of a pipeline counts) and the wall time around the command with $EPOCHREALTIME (bash's own
 * start-up is outside both). In-process work is timed with process.cpuUsage and hrtime.
 */
import { spawnSync } from 'node:child_process';

/** Median of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** 3 significant digits, with a unit. */
export const fmt = (n, unit = '') => `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)}${unit}`;

const seconds = (t) => {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  if (!m) throw new Error(`unexpected times output ${JSON.stringify(t)}`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/**
 * Runs a shell command once and measures it.
 *
 * @param command - a bash command line (its stdout is discarded)
 * @param options - cwd and env
 * @returns wall and CPU (user + system, all child processes) in milliseconds
 */
export function shell(command, { cwd, env }) {
  const script = `s=$EPOCHREALTIME; { ${command} ; } >/dev/null; rc=$?; e=$EPOCHREALTIME; times; echo "wall $s $e $rc"`;
  const r = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000 });
  const lines = String(r.stdout).trim().split('\n');
  const wall = /^wall ([\d.]+) ([\d.]+) (\d+)$/.exec(lines.at(-1) ?? '');
  if (r.status !== 0 || !wall || wall[3] !== '0') throw new Error(`${command} failed (${wall?.[3] ?? r.status}): ${String(r.stderr).slice(0, 500)}`);
  const [user, sys] = (lines.at(-2) ?? '').split(' ').map(seconds);
  return { wall: (Number(wall[2]) - Number(wall[1])) * 1000, cpu: (user + sys) * 1000 };
}

/** Measures an async function in this process: wall and CPU of this process, in milliseconds. */
export async function inProcess(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/**
 * Interleaved pairs: A then B, B then A, … (the order alternates so neither side always runs on a warmer
 * or colder machine), each run preceded by its untimed setup.
 *
 * @param n - number of pairs
 * @param a - () => Promise<{wall, cpu}> (ours)
 * @param b - () => Promise<{wall, cpu}> (the peer)
 * @returns the samples of each side, in pair order
 */
export async function pairs(n, a, b) {
  const as = [];
  const bs = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: as, b: bs };
}

/**
 * The ratio of two sides: the median of the per-pair ratios and their range.
 *
 * @param samples - from {@link pairs}
 * @param key - 'cpu' or 'wall'
 * @param invert - false: b / a (how much faster A is); true: a / b (how much slower A is)
 */
export function ratio(samples, key, invert = false) {
  const rs = samples.a.map((x, i) => (invert ? x[key] / samples.b[i][key] : samples.b[i][key] / x[key]));
  return { median: median(rs), min: Math.min(...rs), max: Math.max(...rs) };
}

/** `2.31x (2.10–2.55)` */
export const showRatio = (r) => `${r.median.toFixed(2)}x (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;

/** `12.3 ms CPU / 15.0 ms wall`: medians of one side. */
export const showSide = (xs) => `${fmt(median(xs.map((x) => x.cpu)), ' ms')} / ${fmt(median(xs.map((x) => x.wall)), ' ms')}`;

/** Prints rows as a Markdown table. */
export function table(rows) {
  const head = ['row', 'ours (CPU / wall)', 'peer (CPU / wall)', 'ratio CPU (range)', 'ratio wall (range)', 'target', 'result'];
  const body = rows.map((r) => [r.name, r.ours, r.peer, r.cpu, r.wall, r.target, r.pass ? 'pass' : 'FAIL']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
