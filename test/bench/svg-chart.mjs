// A hand-written SVG bar chart of a run: one bar per row that has a baseline, its length the
// ratio against that baseline on a log scale (1x in the middle), grouped by section. No dependency.

const ROW_H = 22;
const LABEL_W = 430;
const BAR_W = 360;
const PAD = 16;
const MIN_LOG = -3; // 0.001x
const MAX_LOG = 4; //  10000x

const escapeXml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const x = (ratio) => {
  const l = Math.min(MAX_LOG, Math.max(MIN_LOG, Math.log10(Math.max(ratio, 1e-9))));
  return LABEL_W + ((l - MIN_LOG) / (MAX_LOG - MIN_LOG)) * BAR_W;
};

/** @param record the JSON record of a run (report.mjs runRecord) */
export function svgChart(record) {
  const rows = record.rows.filter((r) => r.ratio !== null && Number.isFinite(r.ratio));
  const sections = [...new Set(rows.map((r) => r.section))];
  const height = PAD * 2 + 40 + (rows.length + sections.length) * ROW_H + 24;
  const width = LABEL_W + BAR_W + 120;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${PAD}" y="${PAD + 12}" font-size="14" font-weight="bold">Liquid Nano benchmarks: ratio against the same-run baseline (log scale)</text>`);
  out.push(
    `<text x="${PAD}" y="${PAD + 30}" fill="#555">${escapeXml(`${record.date.slice(0, 10)}, Node ${record.node}, ${record.cpus} CPUs, load ${record.loadAverage}${record.quick ? ', quick run' : ''}`)}</text>`,
  );
  const top = PAD + 44;
  const bottom = height - PAD - 20;
  for (let l = MIN_LOG; l <= MAX_LOG; l++) {
    const gx = x(10 ** l);
    out.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${bottom}" stroke="${l === 0 ? '#333' : '#ddd'}"/>`);
    out.push(`<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#555">${10 ** l}x</text>`);
  }
  let y = top;
  for (const section of sections) {
    out.push(`<text x="${PAD}" y="${y + 15}" font-weight="bold">${escapeXml(section)}</text>`);
    y += ROW_H;
    for (const r of rows.filter((row) => row.section === section)) {
      const one = x(1);
      const end = x(r.ratio);
      const colour = r.met === false ? '#d9534f' : r.met === true ? '#5cb85c' : '#5b8fd6';
      out.push(`<text x="${PAD + 10}" y="${y + 15}">${escapeXml(r.name.length > 62 ? `${r.name.slice(0, 60)}…` : r.name)}</text>`);
      out.push(`<rect x="${Math.min(one, end)}" y="${y + 4}" width="${Math.max(1, Math.abs(end - one))}" height="${ROW_H - 8}" fill="${colour}"/>`);
      out.push(`<text x="${LABEL_W + BAR_W + 8}" y="${y + 15}">${r.ratio < 10 ? r.ratio.toFixed(2) : r.ratio.toFixed(0)}x</text>`);
      y += ROW_H;
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
