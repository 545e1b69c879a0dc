// sensor-alert: classifies and summarises a sensor alert with language models (the `llm`
// interface of liquid-nano:plugin@0.2.0), by the operator's aliases `fast` and `smart`.
//
// On `sensor.alert` (data: { sensor, value, unit?, threshold?, message? }):
// 1. `fast` classifies it: a one-word answer, `critical`, `warning` or `info` (anything else, or a
//    failed call, counts as `warning`: an alert is never dropped because a model misbehaved);
// 2. `smart` summarises it for the on-call person, streamed and read to its end (a failed call
//    leaves a plain summary built from the data);
// 3. it answers one `sensor.alert.classified` event: { sensor, severity, summary, tokens, degraded }.
// Denied aliases and spent token budgets come back as WIT errors; the plugin logs them and degrades.
import { complete, completeStream } from 'liquid-nano:plugin/llm@0.2.0';
import { log } from 'liquid-nano:plugin/log@0.2.0';

interface Event {
  id: string;
  type: string;
  source: string;
  time?: string;
  datacontenttype?: string;
  data: Uint8Array;
  extensions: Array<[string, string]>;
}

interface Alert {
  sensor: string;
  value: number;
  unit?: string;
  threshold?: number;
  message?: string;
}

interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const SEVERITIES = ['critical', 'warning', 'info'];

function describe(a: Alert): string {
  const unit = a.unit ?? '';
  const limit = a.threshold === undefined ? '' : ` (threshold ${a.threshold}${unit})`;
  return `Sensor ${a.sensor} reads ${a.value}${unit}${limit}.${a.message ? ` Note: ${a.message}` : ''}`;
}

/** The WIT error of a failed import call, for the log. */
function reason(e: unknown): string {
  const p = (e as { payload?: { tag: string; val: string } }).payload;
  return p ? `${p.tag}: ${p.val}` : String(e);
}

function classify(a: Alert, tokens: Usage): { severity: string; ok: boolean } {
  try {
    const c = complete({
      model: 'fast',
      messages: [
        { role: 'system', content: 'Classify the sensor alert. Answer with exactly one word: critical, warning or info.' },
        { role: 'user', content: describe(a) },
      ],
      maxTokens: 4,
      temperature: 0,
      stop: ['\n'],
    });
    tokens.promptTokens += c.usage.promptTokens;
    tokens.completionTokens += c.usage.completionTokens;
    const word = c.text.trim().toLowerCase();
    const severity = SEVERITIES.find((s) => word.startsWith(s));
    return { severity: severity ?? 'warning', ok: severity !== undefined };
  } catch (e) {
    log('warn', 'classification failed', [['reason', reason(e)]]);
    return { severity: 'warning', ok: false };
  }
}

function summarise(a: Alert, severity: string, tokens: Usage): { summary: string; ok: boolean } {
  try {
    const stream = completeStream({
      model: 'smart',
      messages: [
        { role: 'system', content: 'Summarise the alert for the on-call engineer in one or two sentences: what, how bad, what to check.' },
        { role: 'user', content: `${describe(a)} Severity: ${severity}.` },
      ],
      maxTokens: 120,
      temperature: 0.2,
      stop: [],
    });
    let summary = '';
    for (;;) {
      const chunk = stream.next();
      if (chunk === undefined) break;
      summary += chunk.text;
      if (chunk.usage) {
        tokens.promptTokens += chunk.usage.promptTokens;
        tokens.completionTokens += chunk.usage.completionTokens;
      }
    }
    return { summary: summary.trim(), ok: true };
  } catch (e) {
    log('warn', 'summary failed', [['reason', reason(e)]]);
    return { summary: `${severity.toUpperCase()}: ${describe(a)}`, ok: false };
  }
}

function handle(event: Event): Event[] {
  if (event.type !== 'sensor.alert') return [];
  const a = JSON.parse(new TextDecoder().decode(event.data)) as Alert;
  const tokens: Usage = { promptTokens: 0, completionTokens: 0 };
  const c = classify(a, tokens);
  const s = summarise(a, c.severity, tokens);
  log('info', 'alert classified', [
    ['sensor', a.sensor],
    ['severity', c.severity],
  ]);
  const answer = { sensor: a.sensor, severity: c.severity, summary: s.summary, tokens, degraded: !c.ok || !s.ok };
  return [
    {
      id: `${event.id}-classified`,
      type: 'sensor.alert.classified',
      source: event.source,
      datacontenttype: 'application/json',
      data: new TextEncoder().encode(JSON.stringify(answer)),
      extensions: [],
    },
  ];
}

/** The `liquid-nano:plugin/handler@0.2.0` export. */
export const handler = { handle };
