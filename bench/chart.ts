// A grouped bar chart as SVG text, written without a plotting package: one panel per workload, one
// group of bars per shape, one bar per system. The y axis is logarithmic because the systems differ
// by orders of magnitude (a 1 x 1 HyperDex get beside a 4 x 64 loopback echo).

export interface Panel {
  readonly title: string;
  readonly groups: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
}

const COLORS = ['#1f77b4', '#d62728', '#7f7f7f'];
const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(x: number): string {
  if (x >= 1e6) return `${+(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${+(x / 1e3).toFixed(1)}k`;
  return String(Math.round(x));
}

export function chartSvg(panels: readonly Panel[], series: readonly string[], title: string): string {
  const all = panels.flatMap((p) => p.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && v > 0)));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1, Math.min(...all, 1e9)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(10, ...all))));
  const width = Math.max(1, panels.length) * PANEL_W;
  const height = PANEL_H + 60;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  panels.forEach((p, pi) => {
    const x0 = pi * PANEL_W + MARGIN.left;
    const y0 = 30 + MARGIN.top;
    const w = PANEL_W - MARGIN.left - MARGIN.right;
    const h = PANEL_H - MARGIN.top - MARGIN.bottom;
    const y = (v: number) => y0 + h - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
    out.push(`<text x="${x0 + w / 2}" y="${y0 - 10}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
    for (let d = lo; d <= hi; d *= 10) {
      out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y(d).toFixed(1)}" y2="${y(d).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${x0 - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end">${fmt(d)}</text>`);
    }
    out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y0 + h}" stroke="black"/>`);
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y0 + h}" y2="${y0 + h}" stroke="black"/>`);
    const gw = w / Math.max(1, p.groups.length);
    const bw = (gw * 0.8) / Math.max(1, series.length);
    p.groups.forEach((g, gi) => {
      const gx = x0 + gi * gw + gw * 0.1;
      out.push(`<text x="${(x0 + gi * gw + gw / 2).toFixed(1)}" y="${y0 + h + 16}" text-anchor="middle">${esc(g.label)}</text>`);
      g.values.forEach((v, si) => {
        const bx = gx + si * bw;
        if (v === null || v <= 0) {
          out.push(`<text x="${(bx + bw / 2).toFixed(1)}" y="${y0 + h - 4}" text-anchor="middle" font-size="9">N/A</text>`);
          return;
        }
        const top = y(Math.max(v, lo));
        out.push(`<rect x="${bx.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(y0 + h - top).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(series[si])}: ${Math.round(v)} ops/s</title></rect>`);
        out.push(`<text x="${(bx + bw / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(v)}</text>`);
      });
    });
  });
  series.forEach((s, si) => {
    const lx = 20 + si * 150;
    const ly = height - 14;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
