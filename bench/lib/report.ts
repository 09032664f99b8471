/** The printed table and the goals of issue #8: each marked met or not, never failing the run. */
import type { PgbenchPacedResult, PgbenchResult } from './pgbench.js';
import type { LoadResult } from './load.js';

export interface Row {
  name: string;
  rps?: number;
  p50_ms?: number;
  p99_ms?: number;
  max_ms?: number;
  note?: string;
}

export function loadRow(name: string, r: LoadResult | undefined, note = ''): Row | undefined {
  if (!r) return undefined;
  const statuses = Object.entries(r.status)
    .filter(([k]) => k !== '200')
    .map(([k, v]) => `${v}×${k}`);
  const extra = [
    statuses.length ? `non-200: ${statuses.join(' ')}` : '',
    r.errors ? `${r.errors} errors` : '',
    r.timeouts ? `${r.timeouts} timeouts` : '',
    r.exhausted ? 'fixtures ran out' : '',
    r.cpu ? `CPU/req server ${r.cpu.server_ms} ms, PostgreSQL ${r.cpu.postgres_ms} ms, load generator ${r.cpu.client_ms} ms` : '',
    r.cpu?.switches ? `context switches/req ${r.cpu.switches.server} / ${r.cpu.switches.postgres} / ${r.cpu.switches.client}, machine ${r.cpu.machine_busy_pct} % busy` : '',
  ].filter(Boolean);
  return { name, rps: r.ok_rps, p50_ms: r.latency.p50_ms, p99_ms: r.latency.p99_ms, max_ms: r.latency.max_ms, note: [note, ...extra].filter(Boolean).join('; ') };
}

export function pgbenchPacedRow(name: string, r: PgbenchPacedResult | undefined): Row | undefined {
  if (!r) return undefined;
  const others = r.runs.length > 1 ? `; lowest p99 of ${r.runs.map((x) => `${x.clients}c ${x.latency.p99_ms.toFixed(1)} ms`).join(', ')}` : '';
  return { name, rps: r.tps, p50_ms: r.latency.p50_ms, p99_ms: r.latency.p99_ms, max_ms: r.latency.max_ms, note: `pgbench -R ${r.rate} -c ${r.clients}: ${r.script}, Poisson arrivals (burstier than even pacing), latency from each transaction's scheduled start${others}` };
}

export function pgbenchRow(name: string, r: PgbenchResult | undefined): Row | undefined {
  if (!r) return undefined;
  const all = r.runs.map((x) => `${x.clients}c ${Math.round(x.tps)}`).join(', ');
  return { name, rps: r.best.tps, p50_ms: r.best.latency_avg_ms, note: `tps; latency is pgbench's average; best of ${all}` };
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits));

export function table(rows: (Row | undefined)[]): string {
  const present = rows.filter((r): r is Row => !!r);
  const w = Math.max(...present.map((r) => r.name.length), 20);
  const lines = [`${'measurement'.padEnd(w)}  ${'req/s'.padStart(9)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'max ms'.padStart(8)}  note`];
  lines.push('-'.repeat(lines[0]!.length + 10));
  for (const r of present) {
    lines.push(
      `${r.name.padEnd(w)}  ${fmt(r.rps).padStart(9)}  ${fmt(r.p50_ms, 2).padStart(8)}  ${fmt(r.p99_ms, 2).padStart(8)}  ${fmt(r.max_ms, 2).padStart(8)}  ${r.note ?? ''}`,
    );
  }
  return lines.join('\n');
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean | null; // null: not measured in this run
}

export function goalLines(goals: Goal[]): string {
  const w = Math.max(...goals.map((g) => g.goal.length));
  return goals
    .map((g) => `${g.goal.padEnd(w)}  ${g.value.padEnd(34)}  ${g.met === null ? 'not measured' : g.met ? 'MET' : 'NOT MET'}`)
    .join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export interface Figures {
  echoGet?: LoadResult;
  /** The same echo GET measured right before (1): the baseline of (1) and (1b). */
  echoGetBeside?: LoadResult;
  statusGet?: LoadResult;
  /** Polls of executions still PROCESSING (not answered from memory). */
  statusOpen?: LoadResult;
  pgExec?: PgbenchResult;
  exec?: LoadResult;
  pgHot?: PgbenchResult;
  hot?: LoadResult;
  /** (4) with autocannon's overallRate (each second's budget in a burst): shown, not judged. */
  halfCannon?: LoadResult;
  half?: LoadResult;
  /** Paced below half (1/4, 1/8, 1/16 of (2)) while p99 stays ≥ the goal: where it holds. Not a goal. */
  lowerRates?: { fraction: string; r: LoadResult; pgbench?: PgbenchPacedResult }[];
  /** The machine's figure for (4): pgbench doing a collection's three commits at (4)'s rate, its best client count. */
  halfPgbench?: PgbenchPacedResult;
  /** The HTTP part of (4): a bare Fastify POST echo evenly paced at (4)'s rate. */
  halfEcho?: LoadResult;
  growthSmall?: LoadResult;
  growthLarge?: LoadResult;
  embedded?: LoadResult;
}

/** Goal (4): p99 below this at half of the best collection rate. */
export const P99_GOAL_MS = 25;

/** Where below half p99 < P99_GOAL_MS held, if the bench went looking (not a goal). */
function lowerNote(f: Figures): string {
  if (!f.lowerRates?.length) return '';
  const held = f.lowerRates.find((x) => x.r.latency.p99_ms < P99_GOAL_MS);
  const tried = f.lowerRates
    .map((x) => `${x.fraction}: ${x.r.latency.p99_ms.toFixed(1)} ms at ${x.r.rate}/s${x.pgbench ? ` (pgbench ${x.pgbench.latency.p99_ms.toFixed(1)})` : ''}`)
    .join(', ');
  return held ? ` (holds at ${held.fraction} of the rate — ${tried})` : ` (not even at ${f.lowerRates.at(-1)!.fraction} — ${tried})`;
}

/** The ratios and floors issue #8 states. */
export function goals(f: Figures): Goal[] {
  const out: Goal[] = [];
  const ratio = (name: string, ours: number | undefined, base: number | undefined, min: number, unit = '') => {
    if (ours === undefined || base === undefined || !base) return out.push({ goal: name, value: '', met: null });
    const r = ours / base;
    out.push({ goal: name, value: `${pct(r)} (${ours.toFixed(0)}${unit} / ${base.toFixed(0)}${unit})`, met: r >= min });
  };
  const floor = (name: string, v: number | undefined, min: number) => {
    if (v === undefined) return out.push({ goal: name, value: '', met: null });
    out.push({ goal: name, value: `${v.toFixed(0)}/s`, met: v >= min });
  };
  const echo = f.echoGetBeside ?? f.echoGet;
  ratio('status GET ≥ 40 % of bare Fastify GET', f.statusGet?.ok_rps, echo?.ok_rps, 0.4);
  ratio('status GET of PROCESSING executions ≥ 40 % of bare Fastify GET', f.statusOpen?.ok_rps, echo?.ok_rps, 0.4);
  ratio('executions ≥ 43 % of pgbench execution-shaped', f.exec?.ok_rps, f.pgExec?.best.tps, 0.43);
  floor('executions ≥ 2,000/s', f.exec?.ok_rps, 2000);
  ratio('hot wallet ≥ 60 % of pgbench hot row', f.hot?.ok_rps, f.pgHot?.best.tps, 0.6);
  floor('hot wallet ≥ 1,000/s', f.hot?.ok_rps, 1000);
  const halfGoal = `p99 < ${P99_GOAL_MS} ms at half of the max rate`;
  const machine =
    (f.halfPgbench ? `; pgbench collection-shaped at that rate: p99 ${f.halfPgbench.latency.p99_ms.toFixed(1)} ms` : '') +
    (f.halfEcho ? `; bare Fastify POST: p99 ${f.halfEcho.latency.p99_ms.toFixed(1)} ms` : '');
  if (f.half) out.push({ goal: halfGoal, value: `p99 ${f.half.latency.p99_ms.toFixed(2)} ms at ${f.half.rate}/s${machine}${lowerNote(f)}`, met: f.half.latency.p99_ms < P99_GOAL_MS });
  else out.push({ goal: halfGoal, value: '', met: null });
  if (f.growthSmall && f.growthLarge) {
    const g = f.growthLarge.latency.p50_ms / f.growthSmall.latency.p50_ms - 1;
    out.push({
      goal: 'execution p50 grows ≤ 20 % from 10^3 to 10^6 postings',
      value: `${g >= 0 ? '+' : ''}${pct(g)} (${f.growthSmall.latency.p50_ms.toFixed(2)} → ${f.growthLarge.latency.p50_ms.toFixed(2)} ms)`,
      met: g <= 0.2,
    });
  } else out.push({ goal: 'execution p50 grows ≤ 20 % from 10^3 to 10^6 postings', value: '', met: null });
  floor('embedded (PGlite) executions ≥ 300/s', f.embedded?.ok_rps, 300);
  return out;
}
