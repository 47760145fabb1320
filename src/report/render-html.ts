/**
 * The incident report as one self-contained HTML page: no request leaves it,
 * it opens from file://, and it reads whole without JavaScript. A small
 * inline script only adds sorting and filters to the connection table.
 * Diagrams keep their size and scroll sideways on a narrow screen, so their
 * text stays readable on a phone.
 */
import type { ConnectionRecord, FindingRecord } from '../records.js';
import { ANOMALY_CODES } from '../rules/codes.js';
import { TCP_STATES } from '../state/states.js';
import { captureLoss, capturePoint } from './capture-point.js';
import { bytes, esc, isoTime, prose, seconds, tally } from './format.js';
import type { ReportModel, TableRow } from './model.js';
import { chartCaption, statesAtEnd } from './render-text.js';
import { chartSvg, ladderSvg, legendSample, LINE_STYLE } from './svg.js';

const STYLE = `
:root{color-scheme:light}
[hidden]{display:none !important}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;min-width:300px;margin:0 auto;padding:1rem;color:#212529;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.3rem;border-bottom:1px solid #dee2e6;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.1rem;margin:.4rem 0}
a{color:#0b5ed7}code{background:#f1f3f5;padding:0 .2rem;border-radius:3px;font-size:.92em;overflow-wrap:anywhere}
.finding{border-left:6px solid #adb5bd;padding:.3rem 1rem;margin:1rem 0;background:#f8f9fa}
.finding.critical{border-color:#c92a2a}.finding.warning{border-color:#e67700}.finding.info{border-color:#1971c2}
.sev{text-transform:uppercase;font-size:.85rem;font-weight:700;letter-spacing:.03em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #dee2e6;padding:.2rem .45rem;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#f1f3f5}th[data-sort]{cursor:pointer}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.overview th{white-space:normal}.overview td{white-space:normal}
svg{display:block;max-width:none;background:#fff}svg text{font:12px system-ui,sans-serif;fill:#212529}
svg.ladder .time{font:11px ui-monospace,monospace;fill:#495057}svg.ladder .label{font:12px ui-monospace,monospace;paint-order:stroke;stroke:#fff;stroke-width:4px}
svg.ladder .frame{fill:#6c757d}svg.ladder .state{font-weight:600;fill:#1864ab}svg.ladder .head{font-weight:600}
svg.ladder .gap,svg.ladder .change{font-style:italic;fill:#495057}
svg.ladder .life{stroke:#adb5bd;stroke-width:2}svg.ladder .after{stroke:#adb5bd;stroke-width:2;stroke-dasharray:4 4}
svg.ladder .arrow{stroke:#343a40;stroke-width:1.5}svg.ladder .retx{stroke:#c92a2a;stroke-dasharray:5 3}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0;margin:.5rem 0;font-size:.95rem}
.legend li{display:flex;align-items:center;gap:.35rem}.legend svg{display:inline-block}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}.filters label{display:flex;flex-direction:column;font-size:.9rem}
.filters select,.filters input{font:inherit;padding:.15rem .3rem}
.conn{margin:1.5rem 0}.conn p{margin:.3rem 0}.filter-line{font-size:.9rem}
.note{color:#495057}
@media print{body{max-width:none}.conn{break-inside:avoid}.filters{display:none}}
`;

/** Sorting and filtering of the connection table; the table reads whole without it. */
const SCRIPT = `
(() => {
  const table = document.getElementById('connections');
  if (!table) return;
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const filters = document.getElementById('filters');
  filters.hidden = false;
  const state = document.getElementById('f-state'), anomaly = document.getElementById('f-anomaly'), endpoint = document.getElementById('f-endpoint'), shown = document.getElementById('f-shown');
  const apply = () => {
    const s = state.value, a = anomaly.value, e = endpoint.value.trim().toLowerCase();
    let n = 0;
    for (const r of rows) {
      const ok = (!s || r.dataset.states.split(' ').includes(s)) && (!a || r.dataset.anomalies.split(' ').includes(a)) && (!e || r.dataset.endpoints.includes(e));
      r.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + ' of ' + rows.length + ' shown';
  };
  for (const control of [state, anomaly, endpoint]) control.addEventListener('input', apply);
  for (const [i, th] of [...table.tHead.rows[0].cells].entries()) {
    if (!th.dataset.sort) continue;
    th.addEventListener('click', () => {
      const up = th.getAttribute('aria-sort') !== 'ascending';
      for (const other of table.tHead.rows[0].cells) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      const key = (r) => r.cells[i].dataset.v ?? r.cells[i].textContent;
      const numeric = th.dataset.sort === 'num';
      rows.sort((x, y) => { const a = key(x), b = key(y); const d = numeric ? Number(a) - Number(b) : a.localeCompare(b); return up ? d : -d; });
      body.append(...rows);
    });
  }
  apply();
})();
`;

const examples = (f: FindingRecord, drawn: Set<string>) =>
  f.examples.map((e) => `${drawn.has(e.id) ? `<a href="#${esc(e.id)}">${esc(e.id)}</a>` : esc(e.id)} (frames ${e.first_frame}-${e.last_frame})`).join(', ');

function findingHtml(f: FindingRecord, drawn: Set<string>): string {
  return `<section class="finding ${f.severity}"><h3><span class="sev">${f.severity}</span> <code>${f.code}</code> on <code>${esc(f.endpoint)}</code></h3><p>${prose(f.summary)}</p><p>Examples: ${examples(f, drawn)}</p><ul>${f.advice.map((a) => `<li>${prose(a)}</li>`).join('')}</ul></section>`;
}

function tableRow(r: TableRow, drawn: Set<string>): string {
  const num = (v: number, text: string = String(v)) => `<td class="num" data-v="${v}">${text}</td>`;
  const id = drawn.has(r.id) ? `<a href="#${esc(r.id)}">${esc(r.id)}</a>` : esc(r.id);
  return (
    `<tr data-states="${r.client_state} ${r.server_state}" data-anomalies="${r.anomalies.join(' ')}" data-endpoints="${esc(`${r.client} ${r.server}`.toLowerCase())}">` +
    `<td data-v="${r.first_frame}">${id}</td><td>${esc(r.client)}</td><td>${esc(r.server)}</td><td>${r.client_state}</td><td>${r.server_state}</td>` +
    `<td>${r.opening}/${r.closing}</td><td>${esc(r.conn_state)}</td>` +
    num(r.duration, seconds(r.duration)) +
    (r.handshake_rtt === null ? '<td class="num" data-v="-1">-</td>' : num(r.handshake_rtt, seconds(r.handshake_rtt))) +
    num(r.client_packets) + num(r.server_packets) + num(r.orig_bytes, bytes(r.orig_bytes)) + num(r.resp_bytes, bytes(r.resp_bytes)) +
    `<td>${r.options}</td><td>${r.client_events}</td><td>${r.server_events}</td><td>${r.anomalies.join(' ')}</td></tr>`
  );
}

function connectionTable(model: ReportModel, drawn: Set<string>): string {
  const head = [
    ['id', 'num'], ['client', 'text'], ['server', 'text'], ['client state', 'text'], ['server state', 'text'], ['open/close', 'text'], ['conn_state', 'text'],
    ['duration', 'num'], ['handshake RTT', 'num'], ['client pkts', 'num'], ['server pkts', 'num'], ['client bytes', 'num'], ['server bytes', 'num'],
    ['options (MSS c/s, window scale, SACK, timestamps)', 'text'], ['client events', 'text'], ['server events', 'text'], ['anomalies', 'text'],
  ].map(([name, sort]) => `<th data-sort="${sort}" scope="col">${name}</th>`);
  const states = TCP_STATES.map((s) => `<option>${s}</option>`).join('');
  const anomalies = ANOMALY_CODES.map((a) => `<option>${a}</option>`).join('');
  const of = model.table.length < model.summary.connections ? ` (the first ${model.table.length} of ${model.summary.connections} by first frame, and every one drawn below; <code>tcp-lifecycle analyze</code> lists them all)` : '';
  return (
    `<h2>Connections${of}</h2>` +
    `<div class="filters" id="filters" hidden><label>State of either side<select id="f-state"><option value="">any</option>${states}</select></label>` +
    `<label>Anomaly<select id="f-anomaly"><option value="">any</option>${anomalies}</select></label>` +
    `<label>Endpoint<input id="f-endpoint" type="search" placeholder="10.0.0.1 or :8080"></label><span id="f-shown" class="note"></span></div>` +
    `<div class="scroll"><table id="connections"><thead><tr>${head.join('')}</tr></thead><tbody>${model.table.map((r) => tableRow(r, drawn)).join('')}</tbody></table></div>`
  );
}

function ladderHtml(c: ConnectionRecord, captureEnd: number | null): string {
  const rtt = c.handshake_rtt === null ? '' : `, handshake RTT ${seconds(c.handshake_rtt)}`;
  return (
    `<section class="conn" id="${esc(c.id)}"><h3>${esc(c.id)}: ${esc(c.client)} → ${esc(c.server)}</h3>` +
    `<p>${c.opening}/${c.closing} (<code>${esc(c.conn_state)}</code>); client <b>${c.client_state}</b>, server <b>${c.server_state}</b>; ${seconds(c.duration)}${rtt}; ${c.client_packets}/${c.server_packets} packets, ${bytes(c.orig_bytes)}/${bytes(c.resp_bytes)}; frames ${c.first_frame}-${c.last_frame}</p>` +
    (c.anomalies.length ? `<ul>${c.anomalies.map((a) => `<li><code>${a.code}</code> (${a.side}): ${esc(a.detail)}</li>`).join('')}</ul>` : '') +
    `<p class="filter-line">Wireshark filter: <code>${esc(c.wireshark_filter)}</code></p>` +
    `<div class="scroll">${ladderSvg(c, captureEnd)}</div></section>`
  );
}

export function renderHtml(model: ReportModel): string {
  const s = model.summary;
  const drawn = new Set(model.ladders.map((c) => c.id));
  const legend = (Object.keys(model.htmlChart.peaks) as (keyof typeof LINE_STYLE)[]).map((state) => `<li>${legendSample(state)}${state} <span class="note">(at most ${Math.max(...model.htmlChart.peaks[state]!)})</span></li>`);
  const fleeting = model.htmlChart.fleeting.length ? `<p class="note">${model.htmlChart.fleeting.join(', ')}: entered and left within a microsecond, never held.</p>` : '';
  const alsoSeen = model.alsoSeen.length ? `<h2>Also seen, under the findings' thresholds</h2><ul>${model.alsoSeen.map((a) => `<li>${prose(a.text)}</li>`).join('')}</ul>` : '';
  const noFinding = model.alsoSeen.length ? '<p>None reached its threshold (see <a href="#also-seen">also seen</a>).</p>' : '<p>No connection problem found.</p>';
  const notKept = model.notKept.length ? `<p class="note">Not kept (too many findings to keep every example): ${model.notKept.map(esc).join(', ')}; <code>tcp-lifecycle extract --connection ID</code> writes their packets.</p>` : '';
  return [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>TCP lifecycle report</title><style>${STYLE}</style></head><body>`,
    `<h1>TCP lifecycle report</h1><p>Capture ${s.files.map((f) => `<code>${esc(f)}</code>`).join(', ')}: ${isoTime(s.first_ts)} to ${isoTime(s.last_ts)}; ${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections.</p>`,
    `<h2>Findings (${model.findings.length})</h2>${model.findings.map((f) => findingHtml(f, drawn)).join('') || noFinding}`,
    alsoSeen.replace('<h2>', '<h2 id="also-seen">'),
    `<h2>Overview</h2><div class="scroll"><table class="overview"><tr><th>capture point</th><td>${esc(capturePoint(s))}</td></tr><tr><th>loss in the capture</th><td>${esc(captureLoss(s))}</td></tr><tr><th>openings</th><td>${tally(model.openings)}</td></tr><tr><th>closings</th><td>${tally(model.closings)}</td></tr><tr><th>endpoint states at end</th><td>${statesAtEnd(model)}</td></tr><tr><th>top servers by packets</th><td>${model.talkers.map(([e, n]) => `${esc(e)} (${n})`).join(', ') || 'none'}</td></tr></table></div>`,
    `<h2>Endpoints per state over the capture</h2><p class="note">${esc(chartCaption(model.htmlChart))}.</p><ul class="legend">${legend.join('')}</ul>${fleeting}<div class="scroll">${chartSvg(model.htmlChart)}</div>`,
    connectionTable(model, drawn),
    `<h2>Connections drawn (${model.ladders.length})</h2><p class="note">Every example of every finding${model.flaggedTotal ? `, and the first of ${model.flaggedTotal} flagged connections` : ''}; times from each connection's first packet. Red dashed arrows are retransmissions.</p>${notKept}`,
    ...model.ladders.map((c) => ladderHtml(c, s.last_ts)),
    `<script>${SCRIPT}</script></body></html>\n`,
  ].join('\n');
}
