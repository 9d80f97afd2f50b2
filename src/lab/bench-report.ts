// Results of the end-to-end benchmark (bench/e2e.ts): medians, ranges and ratios; the text table; the SVG chart (written
// by hand). In src/lab so that the benchmark and the unit tests (test/unit/lab) both import it.

export type ScenarioId = 'a' | 'b' | 'c' | 'd' | 'e';

export interface Sample {
  contender: string;
  rep: number;
  scenario: ScenarioId;
  values: Record<string, number | null>;
  extra: Record<string, unknown>;
}

export interface SummaryRow {
  scenario: ScenarioId;
  metric: string;
  contender: string;
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
  /** (max − min) / median */
  spread: number | null;
  /** median / the Linux bridge's median */
  vsBridge: number | null;
  /** median / the best C forwarder's median */
  vsCeiling: number | null;
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; model: string; kernel: string; node: string; loadavgStart: string; loadavgEnd: string };
  options: Record<string, unknown>;
  /** ceiling: a C forwarder (×ceiling compares with the best of them); color: its bars in the chart. */
  contenders: { name: string; description: string; offloadsOff: boolean; ceiling?: boolean; color?: string }[];
  notes: string[];
  samples: Sample[];
  failures: { contender: string; rep: number; error: string }[];
  summary: SummaryRow[];
}

interface MetricDef {
  scenario: ScenarioId;
  metric: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** In the chart. */
  chart: boolean;
}

export const METRICS: MetricDef[] = [
  { scenario: 'a', metric: 'kpps', label: '(a) 60 B multicast → 1 member of 8 ports', unit: 'kpps at the member', higherIsBetter: true, chart: true },
  { scenario: 'a', metric: 'offeredKpps', label: '(a) offered', unit: 'kpps', higherIsBetter: true, chart: false },
  { scenario: 'a', metric: 'leakKpps', label: '(a) leaked to non-members', unit: 'kpps', higherIsBetter: false, chart: false },
  { scenario: 'a', metric: 'switchCpuPct', label: '(a) switch process CPU', unit: '% of one CPU', higherIsBetter: false, chart: false },
  { scenario: 'a', metric: 'kppsPerCpu', label: '(a) frames out per CPU-second of the switch process', unit: 'kpps per CPU', higherIsBetter: true, chart: false },
  { scenario: 'a', metric: 'cpuUsPerFrame', label: '(a) CPU per forwarded frame', unit: 'µs (switch process; kernel switch: softirq)', higherIsBetter: false, chart: true },
  { scenario: 'a', metric: 'softirqUsPerFrame', label: '(a) softirq CPU (all CPUs) per forwarded frame', unit: 'µs', higherIsBetter: false, chart: false },
  { scenario: 'a', metric: 'cpu0Pct', label: '(a) CPU 0 busy', unit: '%', higherIsBetter: false, chart: false },
  { scenario: 'a', metric: 'cpu1Pct', label: '(a) CPU 1 busy', unit: '%', higherIsBetter: false, chart: false },
  { scenario: 'b', metric: 'kpps', label: '(b) 60 B multicast fan-out → 8 members', unit: 'kpps per member', higherIsBetter: true, chart: true },
  { scenario: 'b', metric: 'totalKpps', label: '(b) total delivered', unit: 'kpps', higherIsBetter: true, chart: false },
  { scenario: 'b', metric: 'kppsPerCpu', label: '(b) frames out per CPU-second of the switch process', unit: 'kpps per CPU', higherIsBetter: true, chart: false },
  { scenario: 'b', metric: 'switchCpuPct', label: '(b) switch process CPU', unit: '%', higherIsBetter: false, chart: false },
  { scenario: 'b', metric: 'cpuUsPerFrame', label: '(b) CPU per forwarded frame', unit: 'µs (switch process; kernel switch: softirq)', higherIsBetter: false, chart: false },
  { scenario: 'b', metric: 'softirqUsPerFrame', label: '(b) softirq CPU (all CPUs) per forwarded frame', unit: 'µs', higherIsBetter: false, chart: false },
  { scenario: 'c', metric: 'kpps', label: '(c) 1500 B multicast → 1 member', unit: 'kpps at the member', higherIsBetter: true, chart: true },
  { scenario: 'c', metric: 'gbps', label: '(c) 1500 B multicast → 1 member', unit: 'Gbit/s', higherIsBetter: true, chart: false },
  { scenario: 'c', metric: 'kppsPerCpu', label: '(c) frames out per CPU-second of the switch process', unit: 'kpps per CPU', higherIsBetter: true, chart: false },
  { scenario: 'c', metric: 'switchCpuPct', label: '(c) switch process CPU', unit: '%', higherIsBetter: false, chart: false },
  { scenario: 'c', metric: 'cpuUsPerFrame', label: '(c) CPU per forwarded frame', unit: 'µs', higherIsBetter: false, chart: false },
  { scenario: 'd', metric: 'mbps', label: '(d) TCP tx → r1 (iperf3)', unit: 'Mbit/s', higherIsBetter: true, chart: true },
  { scenario: 'e', metric: 'idleP50', label: '(e) RTT idle p50', unit: 'ms', higherIsBetter: false, chart: false },
  { scenario: 'e', metric: 'idleP99', label: '(e) RTT idle p99', unit: 'ms', higherIsBetter: false, chart: true },
  { scenario: 'e', metric: 'loadP50', label: '(e) RTT under load p50', unit: 'ms', higherIsBetter: false, chart: false },
  { scenario: 'e', metric: 'loadP99', label: '(e) RTT under load p99', unit: 'ms', higherIsBetter: false, chart: true },
  { scenario: 'e', metric: 'loadLoss', label: '(e) ping loss under load', unit: 'fraction', higherIsBetter: false, chart: false },
];

const BRIDGE = 'linux-bridge';

/** The C forwarders of a run (results written before the flag existed: by name). */
function ceilings(r: BenchResults): string[] {
  return r.contenders.filter((c) => c.ceiling ?? c.name.startsWith('cforward')).map((c) => c.name);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarise(r: BenchResults): SummaryRow[] {
  const contenders = r.contenders.map((c) => c.name);
  const rows: SummaryRow[] = [];
  for (const def of METRICS) {
    const med = new Map<string, number>();
    const partial: SummaryRow[] = [];
    for (const c of contenders) {
      const xs = r.samples
        .filter((s) => s.contender === c && s.scenario === def.scenario)
        .map((s) => s.values[def.metric])
        .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (!xs.length) continue;
      const m = median(xs);
      med.set(c, m);
      partial.push({
        scenario: def.scenario, metric: def.metric, contender: c, n: xs.length, median: m,
        min: Math.min(...xs), max: Math.max(...xs), spread: m ? (Math.max(...xs) - Math.min(...xs)) / Math.abs(m) : null,
        vsBridge: null, vsCeiling: null,
      });
    }
    const bridge = med.get(BRIDGE);
    const ceilVals = ceilings(r).map((c) => med.get(c)).filter((x): x is number => x !== undefined);
    const ceiling = ceilVals.length ? (def.higherIsBetter ? Math.max(...ceilVals) : Math.min(...ceilVals)) : undefined;
    for (const p of partial) {
      p.vsBridge = bridge ? p.median! / bridge : null;
      p.vsCeiling = ceiling ? p.median! / ceiling : null;
      rows.push(p);
    }
  }
  return rows;
}

function f(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export function renderTable(r: BenchResults): string {
  const L: string[] = [];
  L.push(`igmpswitch end-to-end benchmark — ${r.date}`);
  L.push(`machine: ${r.machine.cpus} × ${r.machine.model}, Linux ${r.machine.kernel}, Node ${r.machine.node}; ` +
    `load average ${r.machine.loadavgStart} at start, ${r.machine.loadavgEnd} at end`);
  L.push(`commit ${String(r.options['commit'] ?? '?')}; igmpswitch run as ${String(r.options['igmpswitchCli'] ?? 'bin/igmpswitch.js')}`);
  L.push(`switch on CPU ${String(r.options['switchCpu'])}, trafgen --cpus 1 on CPU ${String(r.options['generatorCpu'])}; ` +
    `${String(r.options['reps'])} repetition(s) of ${String(r.options['windowS'])} s windows, contenders alternating`);
  L.push('ratios: ×bridge = median / Linux bridge median; ×ceiling = median / best C AF_PACKET forwarder median');
  L.push('switch CPU: the switch process (% of one CPU, /proc/PID/stat); cpu0/cpu1: whole-CPU busy (/proc/stat, every process);');
  L.push('kpps/CPU: frames delivered per CPU-second of the switch process (fair when the shared machine starves it);');
  L.push('µs/frame: CPU time per delivered frame — the switch process (user + system), or for the kernel bridge the');
  L.push('softirq time of all CPUs (where it forwards); the AF_PACKET contenders also cause softirq work not counted there');
  const get = (s: ScenarioId, m: string, c: string): SummaryRow | undefined =>
    r.summary.find((x) => x.scenario === s && x.metric === m && x.contender === c);
  const contenders = r.contenders.map((c) => c.name);
  const w = [19, 9, 17, 8, 9, 9, 8, 10, 10, 9, 9];

  const flood = (s: ScenarioId, title: string, extraCols: boolean): void => {
    if (!contenders.some((c) => get(s, 'kpps', c))) return;
    L.push('');
    L.push(title);
    L.push(row(['contender', 'median', 'min–max', '×bridge', '×ceiling', s === 'b' ? 'total' : 'offered', extraCols ? 'leak' : '', 'switch CPU', 'cpu0/cpu1', 'kpps/CPU', 'µs/frame'], w));
    for (const c of contenders) {
      const k = get(s, 'kpps', c);
      if (!k) continue;
      const second = s === 'b' ? get(s, 'totalKpps', c) : get(s, 'offeredKpps', c) ?? undefined;
      const samples = r.samples.filter((x) => x.contender === c && x.scenario === s);
      const c0 = median(samples.map((x) => x.values['cpu0Pct']).filter((x): x is number => typeof x === 'number'));
      const c1 = median(samples.map((x) => x.values['cpu1Pct']).filter((x): x is number => typeof x === 'number'));
      const offered = s === 'b' ? second?.median : median(samples.map((x) => x.values['offeredKpps']).filter((x): x is number => typeof x === 'number'));
      L.push(row([
        c, f(k.median), `${f(k.min)}–${f(k.max)}`, f(k.vsBridge, 2), f(k.vsCeiling, 2), f(offered, 0),
        extraCols ? f(get(s, 'leakKpps', c)?.median ?? null, 1) : '',
        get(s, 'switchCpuPct', c) ? `${f(get(s, 'switchCpuPct', c)!.median, 0)}%` : f(median(samples.map((x) => x.values['switchCpuPct']).filter((x): x is number => typeof x === 'number')), 0),
        `${f(c0, 0)}/${f(c1, 0)}%`,
        f(get(s, 'kppsPerCpu', c)?.median ?? null, 0),
        f(get(s, 'cpuUsPerFrame', c)?.median ?? null, 2),
      ], w));
    }
  };
  headline(r, L, get);
  flood('a', '(a) 60 B multicast, 1 member among 8 receiver ports — kpps received by the member', true);
  flood('b', '(b) 60 B multicast fan-out to 8 members — kpps per member (median of members)', false);
  flood('c', '(c) 1500 B multicast, 1 member — kpps received by the member', true);

  if (contenders.some((c) => get('d', 'mbps', c))) {
    L.push('');
    L.push('(d) TCP tx → r1, iperf3 — Mbit/s');
    L.push(row(['contender', 'median', 'min–max', '×bridge', '×ceiling', 'offloads'], w));
    for (const c of contenders) {
      const d = get('d', 'mbps', c);
      if (!d) continue;
      const off = r.contenders.find((x) => x.name === c)?.offloadsOff;
      L.push(row([c, f(d.median, 0), `${f(d.min, 0)}–${f(d.max, 0)}`, f(d.vsBridge, 2), f(d.vsCeiling, 2), off ? 'off' : 'on'], w));
    }
  }
  if (contenders.some((c) => get('e', 'idleP99', c))) {
    L.push('');
    L.push(`(e) round trip tx → r1 (ping -i 0.01), ms — idle, and under ${String(r.options['loadPps'])} pps of 60 B multicast to r1`);
    const we = [14, 9, 9, 12, 9, 9, 12, 9];
    L.push(row(['contender', 'idle p50', 'idle p99', 'p99 ×bridge', 'load p50', 'load p99', 'p99 ×bridge', 'loss'], we));
    for (const c of contenders) {
      const i50 = get('e', 'idleP50', c);
      if (!i50) continue;
      const i99 = get('e', 'idleP99', c)!;
      const l50 = get('e', 'loadP50', c);
      const l99 = get('e', 'loadP99', c);
      const loss = get('e', 'loadLoss', c);
      L.push(row([c, f(i50.median, 3), f(i99.median, 3), f(i99.vsBridge, 2), f(l50?.median, 3), f(l99?.median, 3), f(l99?.vsBridge, 2),
        loss?.median !== null && loss?.median !== undefined ? `${(100 * loss.median).toFixed(1)}%` : '-'], we));
    }
  }
  // Noise: spread of the repeated throughput measurements.
  const spreads = r.summary.filter((x) => x.metric === 'kpps' && x.n > 1 && x.spread !== null).map((x) => x.spread!);
  L.push('');
  if (spreads.length) {
    L.push(`noise: (max − min) / median of repeated kpps measurements: median ${(100 * median(spreads)).toFixed(0)}%, ` +
      `worst ${(100 * Math.max(...spreads)).toFixed(0)}% (the machine is shared; ratios within one run are what count)`);
  } else {
    L.push('noise: one repetition only — no spread measured (use --reps 3 or more)');
  }
  for (const c of r.contenders) L.push(`  ${c.name}: ${c.description}${c.offloadsOff ? '; offloads off on hosts and ports' : ''}`);
  for (const n of r.notes) L.push(`note: ${n}`);
  for (const x of r.failures) L.push(`failure: ${x.contender} rep ${x.rep}: ${x.error.split('\n')[0]}`);
  return L.join('\n');
}

/** One row per contender: the figures the targets are stated in (medians over the repetitions). */
function headline(r: BenchResults, L: string[], get: (s: ScenarioId, m: string, c: string) => SummaryRow | undefined): void {
  const cols: { head: string; s: ScenarioId; m: string; digits: number }[] = [
    { head: '(a) kpps', s: 'a', m: 'kpps', digits: 1 },
    { head: '(a) µs/fr', s: 'a', m: 'cpuUsPerFrame', digits: 2 },
    { head: '(b) kpps/m', s: 'b', m: 'kpps', digits: 1 },
    { head: '(b) µs/fr', s: 'b', m: 'cpuUsPerFrame', digits: 2 },
    { head: '(c) kpps', s: 'c', m: 'kpps', digits: 1 },
    { head: '(d) Mbit/s', s: 'd', m: 'mbps', digits: 0 },
    { head: '(e) idle p50', s: 'e', m: 'idleP50', digits: 3 },
    { head: 'idle p99', s: 'e', m: 'idleP99', digits: 3 },
    { head: 'load p99', s: 'e', m: 'loadP99', digits: 3 },
  ];
  const present = cols.filter((c) => r.contenders.some((x) => get(c.s, c.m, x.name)));
  if (!present.length) return;
  const w = [19, ...present.map((c) => Math.max(9, c.head.length))];
  L.push('');
  L.push('headline — medians; (a) 60 B → 1 member, (b) fan-out to 8 members (per member), (c) 1500 B, (d) TCP, ' +
    '(e) ping RTT ms idle / under load; µs/fr = CPU per forwarded frame');
  L.push(row(['contender', ...present.map((c) => c.head)], w));
  for (const x of r.contenders) {
    L.push(row([x.name, ...present.map((c) => f(get(c.s, c.m, x.name)?.median ?? null, c.digits))], w));
  }
}

// ------------------------------------------------------------------------------------------------ SVG


function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Small multiples: one panel per charted metric, one bar per contender with its min–max range. */
export function renderSvg(r: BenchResults): string {
  const contenders = r.contenders.map((c) => c.name);
  const defs = METRICS.filter((d) => d.chart && r.summary.some((s) => s.scenario === d.scenario && s.metric === d.metric));
  const width = 960;
  const labelW = 130;
  const barH = 18;
  const gap = 6;
  const panelW = (width - 40) / 2;
  const panelH = 46 + contenders.length * (barH + gap);
  const rows = Math.ceil(defs.length / 2);
  const height = 70 + rows * (panelH + 20) + 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="20" y="26" font-size="16" font-weight="bold">igmpswitch end-to-end benchmark</text>`);
  out.push(`<text x="20" y="46" fill="#555">${esc(`${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.machine.cpus} × ${r.machine.model} · Linux ${r.machine.kernel} · ${String(r.options['reps'])} rep(s), median with min–max`)}</text>`);
  defs.forEach((d, i) => {
    const x0 = 20 + (i % 2) * (panelW + 0);
    const y0 = 70 + Math.floor(i / 2) * (panelH + 20);
    const rowsFor = contenders
      .map((c) => r.summary.find((s) => s.scenario === d.scenario && s.metric === d.metric && s.contender === c))
      .filter((x): x is SummaryRow => !!x && x.median !== null);
    const maxV = Math.max(1e-9, ...rowsFor.map((x) => x.max ?? x.median!));
    const plotW = panelW - labelW - 70;
    out.push(`<g transform="translate(${x0},${y0})">`);
    out.push(`<text x="0" y="14" font-weight="bold">${esc(d.label)}</text>`);
    out.push(`<text x="0" y="30" fill="#555">${esc(`${d.unit} (${d.higherIsBetter ? 'higher' : 'lower'} is better)`)}</text>`);
    contenders.forEach((c, k) => {
      const s = rowsFor.find((x) => x.contender === c);
      const y = 40 + k * (barH + gap);
      out.push(`<text x="${labelW - 6}" y="${y + barH - 5}" text-anchor="end">${esc(c)}</text>`);
      if (!s) {
        out.push(`<text x="${labelW + 4}" y="${y + barH - 5}" fill="#999">n/a</text>`);
        return;
      }
      const wBar = (s.median! / maxV) * plotW;
      out.push(`<rect x="${labelW}" y="${y}" width="${wBar.toFixed(1)}" height="${barH}" fill="${r.contenders.find((x) => x.name === c)?.color ?? '#444'}" opacity="0.85"/>`);
      if (s.min !== null && s.max !== null && s.n > 1) {
        const a = labelW + (s.min / maxV) * plotW;
        const b = labelW + (s.max / maxV) * plotW;
        const ym = y + barH / 2;
        out.push(`<path d="M${a.toFixed(1)} ${ym}H${b.toFixed(1)}M${a.toFixed(1)} ${ym - 4}V${ym + 4}M${b.toFixed(1)} ${ym - 4}V${ym + 4}" stroke="#000" stroke-width="1.2"/>`);
      }
      const digits = d.unit === 'ms' ? 3 : d.metric === 'mbps' ? 0 : 1;
      out.push(`<text x="${(labelW + Math.max(wBar, s.max !== null ? (s.max / maxV) * plotW : 0) + 4).toFixed(1)}" y="${y + barH - 5}">${esc(s.median!.toFixed(digits))}</text>`);
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
