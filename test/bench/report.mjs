// Turns bench rows into ratios, a text table, and a JSON record.
const TIME = ['ns', 'µs', 'ms', 's'];

/** A value with its unit, human-sized. */
export function formatValue(row) {
  const v = row.value;
  if (row.unit === 'ns') {
    let x = v;
    let i = 0;
    while (x >= 1000 && i < TIME.length - 1) {
      x /= 1000;
      i++;
    }
    return `${x.toFixed(x < 10 ? 2 : 1)} ${TIME[i]}`;
  }
  if (row.unit === 'ops/s') return `${v >= 100 ? Math.round(v) : v.toFixed(1)}/s`;
  if (row.unit === 'MiB') return `${v.toFixed(1)} MiB`;
  if (row.unit === 'MiB/min') return `${v.toFixed(2)} MiB/min`;
  return String(v);
}

/** Fills in `ratio` (value / baseline's value) and `met` (the goal) on every row; returns them. */
export function withRatios(rows) {
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const r of rows) {
    const base = r.baseline ? byName.get(r.baseline) : undefined;
    if (r.baseline && !base) throw new Error(`row "${r.name}": no baseline row "${r.baseline}"`);
    r.ratio = base ? r.value / base.value : null;
    if (r.goal?.equals !== undefined) r.met = r.value === r.goal.equals;
    else if (r.goal?.below !== undefined) r.met = r.value < r.goal.below;
    else if (r.goal && r.ratio !== null) r.met = r.goal.ratio === '<' ? r.ratio < r.goal.value : r.ratio > r.goal.value;
  }
  return rows;
}

function goalText(r) {
  if (!r.goal) return '';
  const what =
    r.goal.equals !== undefined
      ? `= ${r.goal.equals}`
      : r.goal.below !== undefined
        ? `< ${formatValue({ value: r.goal.below, unit: r.unit })}`
        : `${r.goal.ratio} ${r.goal.value}x`;
  return `${what} ${r.met ? 'met' : 'MISSED'}`;
}

/** The one table: section, benchmark, value, baseline, ratio, goal, note. */
export function formatTable(rows) {
  const lines = [['benchmark', 'value', 'baseline (same run)', 'ratio', 'goal', 'note']];
  let section;
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push([`[${section}]`, '', '', '', '', '']);
    }
    lines.push([`  ${r.name}`, formatValue(r), r.baseline ?? '-', r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, goalText(r), r.note ?? '']);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The JSON record of a run. */
export function runRecord(rows, options) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: options.cpus,
    loadAverage: options.loadAverage,
    quick: options.quick,
    durationS: options.durationS,
    rows: rows.map(({ section, name, value, unit, baseline, ratio, goal, met, note }) => ({
      section,
      name,
      value,
      unit,
      baseline: baseline ?? null,
      ratio,
      goal: goal ?? null,
      met: met ?? null,
      note: note ?? null,
    })),
  };
}
