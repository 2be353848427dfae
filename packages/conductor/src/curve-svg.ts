import type { CurvePoint } from './trainer.js';

/** The training curve as a standalone SVG: validation reward per checkpoint, heuristics as lines. */
export function curveSvg(curve: readonly CurvePoint[], heuristics: Record<string, number>, title: string): string {
  const W = 720;
  const H = 400;
  const pad = { l: 60, r: 160, t: 40, b: 44 };
  const xs = curve.map((p) => p.episode);
  const values = [...curve.map((p) => p.validationReward), ...Object.values(heuristics)];
  const xMax = Math.max(1, ...xs);
  let yMin = Math.min(...values);
  let yMax = Math.max(...values);
  if (yMax - yMin < 1e-9) {
    yMin -= 1;
    yMax += 1;
  }
  const margin = (yMax - yMin) * 0.08;
  yMin -= margin;
  yMax += margin;
  const sx = (x: number) => pad.l + ((W - pad.l - pad.r) * x) / xMax;
  const sy = (y: number) => pad.t + ((H - pad.t - pad.b) * (yMax - y)) / (yMax - yMin);
  const f = (v: number) => v.toFixed(1);
  const colours = ['#8c564b', '#7f7f7f', '#bcbd22', '#17becf', '#d62728'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad.l}" y="22" font-size="15">${escapeXml(title)}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(pad.l + W - pad.r) / 2}" y="${H - 10}" text-anchor="middle">episode</text>`,
    `<text x="14" y="${(pad.t + H - pad.b) / 2}" transform="rotate(-90 14 ${(pad.t + H - pad.b) / 2})" text-anchor="middle">mean reward (validation quests)</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    parts.push(`<text x="${pad.l - 6}" y="${f(sy(y) + 4)}" text-anchor="end">${y.toFixed(2)}</text>`);
    const x = (xMax * k) / 4;
    parts.push(`<text x="${f(sx(x))}" y="${H - pad.b + 16}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  Object.entries(heuristics).forEach(([name, value], i) => {
    const colour = colours[i % colours.length];
    parts.push(`<line x1="${pad.l}" y1="${f(sy(value))}" x2="${W - pad.r}" y2="${f(sy(value))}" stroke="${colour}" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${W - pad.r + 6}" y="${f(sy(value) + 4)}" fill="${colour}">${escapeXml(name)} ${value.toFixed(2)}</text>`);
  });
  const path = curve.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(sx(p.episode))},${f(sy(p.validationReward))}`).join(' ');
  parts.push(`<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2.5"/>`);
  const last = curve[curve.length - 1];
  if (last) parts.push(`<text x="${f(sx(last.episode) - 4)}" y="${f(sy(last.validationReward) - 8)}" fill="#1f77b4" text-anchor="end">policy ${last.validationReward.toFixed(2)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
