// Issue 18 item 6: an MQTT message as an event, by its subscription's format; hostile payloads
// are coded refusals (the bridge counts them), never throws of anything else.
import { describe, expect, it } from 'vitest';
import { EgressRules } from '../../../host/bridges/mqtt-egress.js';
import { compileSubscription, messageToEvent } from '../../../host/bridges/mqtt-message.js';
import { codeOf } from '../../helpers/errors.js';

const sub = (over: Partial<Parameters<typeof compileSubscription>[0]> = {}) =>
  compileSubscription({ topic: 'sensors/+/temp', qos: 1, type: 'sensor.{1}', source: '/sensors/{1}', format: 'json', contentType: null, ...over });
const at = (s: ReturnType<typeof sub>, topic: string) => s.filter.match(topic)!;

describe('messageToEvent', () => {
  it('turns a JSON payload into an event: templates filled, the bytes kept, mqtttopic set', () => {
    const s = sub();
    const event = messageToEvent({ topic: 'sensors/k1/temp', payload: Buffer.from('{"celsius": 21.5}') }, s, at(s, 'sensors/k1/temp'), 1024);
    expect(event).toMatchObject({
      type: 'sensor.k1',
      source: '/sensors/k1',
      datacontenttype: 'application/json',
      extensions: [['mqtttopic', 'sensors/k1/temp']],
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(event.time!))).toBe(false);
    expect(Buffer.from(event.data).toString()).toBe('{"celsius": 21.5}');
  });

  it('takes any bytes in binary format, typed by the MQTT 5 content type, else the subscription', () => {
    const s = sub({ format: 'binary', contentType: 'application/octet-stream' });
    const bytes = Buffer.from([0, 255, 1]);
    const typed = messageToEvent({ topic: 'sensors/a/temp', payload: bytes, contentType: 'image/png' }, s, ['a'], 1024);
    expect([typed.datacontenttype, [...typed.data]]).toEqual(['image/png', [0, 255, 1]]);
    expect(messageToEvent({ topic: 'sensors/a/temp', payload: bytes }, s, ['a'], 1024).datacontenttype).toBe('application/octet-stream');
  });

  it('takes a structured CloudEvent as it is in cloudevents format', () => {
    const s = sub({ format: 'cloudevents' });
    const envelope = { specversion: '1.0', id: 'c1', type: 'door.open', source: '/doors/3', data: { open: true } };
    expect(messageToEvent({ topic: 'sensors/a/temp', payload: Buffer.from(JSON.stringify(envelope)) }, s, ['a'], 1024)).toMatchObject({
      id: 'c1',
      type: 'door.open',
    });
  });

  it.each([
    ['over maxPayload', 'json', Buffer.alloc(2048, 0x31), 'LN_ERR_EVENT_TOO_LARGE'],
    ['not JSON', 'json', Buffer.from('{"a":'), 'LN_ERR_EVENT_INVALID'],
    ['empty', 'json', Buffer.alloc(0), 'LN_ERR_EVENT_INVALID'],
    ['not UTF-8', 'json', Buffer.from([0x22, 0xff, 0x22]), 'LN_ERR_EVENT_INVALID'],
    ['too deep', 'json', Buffer.from(`${'['.repeat(300)}${']'.repeat(300)}`), 'LN_ERR_EVENT_TOO_DEEP'],
    ['an envelope without a type', 'cloudevents', Buffer.from('{"id":"1","source":"/s"}'), 'LN_ERR_EVENT_INVALID'],
  ] as const)('refuses a payload %s with a code', (_what, format, payload, code) => {
    const s = sub({ format });
    expect(codeOf(() => messageToEvent({ topic: 'sensors/a/temp', payload }, s, ['a'], 1024))).toBe(code);
  });

  it('refuses a type template that fills to nothing', () => {
    const s = compileSubscription({ topic: '+', qos: 0, type: '{1}', source: '/s', format: 'binary', contentType: null });
    expect(codeOf(() => messageToEvent({ topic: '', payload: Buffer.from('x') }, s, [''], 1024))).toBe('LN_ERR_EVENT_INVALID');
  });
});

describe('EgressRules', () => {
  const rules = new EgressRules([
    { events: 'alert.*', topic: 'alerts/{type}', qos: 1, retain: false, format: 'structured' },
    { events: 'alert.fire', topic: 'fire/{source}', qos: 0, retain: true, format: 'binary' },
  ]);

  it('publishes a matching event by each rule, structured and binary', () => {
    const envelope = { specversion: '1.0', id: 'a1', type: 'alert.fire', source: 'hall', datacontenttype: 'text/plain', data: 'smoke' };
    const [structured, binary] = rules.route(envelope);
    expect(structured).toMatchObject({ ok: true, publication: { topic: 'alerts/alert.fire', contentType: 'application/cloudevents+json' } });
    expect(JSON.parse((structured as { publication: { payload: Buffer } }).publication.payload.toString())).toEqual(envelope);
    expect(binary).toMatchObject({
      ok: true,
      publication: { topic: 'fire/hall', contentType: 'text/plain', userProperties: { id: 'a1', type: 'alert.fire', source: 'hall' } },
    });
    expect(rules.route({ ...envelope, type: 'other' })).toEqual([]);
  });

  it('refuses a topic that fills to a wildcard', () => {
    const [, binary] = rules.route({ id: 'a2', type: 'alert.fire', source: 'hall/#' });
    expect(binary).toMatchObject({ ok: false });
  });
});
