import { describe, expect, it } from 'vitest';
import { envelopeToEvent, eventToEnvelope } from '../../../host/engine/plugin-event.js';
import { codeOf } from '../../helpers/errors.js';

const base = { id: '1', type: 'sensor.reading', source: '/s/1' };

describe('event envelope', () => {
  it('converts JSON data to bytes with a JSON content type, and back', () => {
    const event = envelopeToEvent({ ...base, data: { a: [1, 2] }, time: '2026-11-21T10:00:00Z', site: 'north' });
    expect(Buffer.from(event.data).toString()).toBe('{"a":[1,2]}');
    expect(event.datacontenttype).toBe('application/json');
    expect(event.extensions).toEqual([['site', 'north']]);
    expect(eventToEnvelope(event)).toEqual({
      specversion: '1.0',
      ...base,
      time: '2026-11-21T10:00:00Z',
      datacontenttype: 'application/json',
      data: { a: [1, 2] },
      site: 'north',
    });
  });

  it('passes JSON data a plugin returns nested deeper than the JSON depth limit on as text (issue 14)', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const event = { ...envelopeToEvent(base), datacontenttype: 'application/json', data: new Uint8Array(Buffer.from(deep)) };
    expect(eventToEnvelope(event).data).toBe(deep);
    expect(() => JSON.stringify(eventToEnvelope(event))).not.toThrow();
  });

  it('keeps binary data binary', () => {
    const event = envelopeToEvent({ ...base, data_base64: Buffer.from([0xff, 0xfe]).toString('base64') });
    expect([...event.data]).toEqual([0xff, 0xfe]);
    expect(eventToEnvelope(event).data_base64).toBe('//4=');
  });

  it('gives each event data bytes of its own, not a view into a shared pool (postMessage copies a whole buffer)', () => {
    for (const envelope of [
      { ...base, data: 'short text' },
      { ...base, data: { a: 1 } },
      { ...base, data_base64: 'AAEC' },
    ]) {
      const { data } = envelopeToEvent(envelope);
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.byteLength);
    }
  });

  it('passes text through as text, and invalid or BOM-prefixed UTF-8 as base64', () => {
    const text = (bytes: number[], datacontenttype?: string) => eventToEnvelope({ ...envelopeToEvent(base), datacontenttype, data: new Uint8Array(bytes) });
    expect(text([0x68, 0xc3, 0xa9])).toMatchObject({ data: 'hé' });
    expect(text([0x7b, 0x7d], 'application/json')).toMatchObject({ data: {} });
    expect(text([0x7b, 0x7d], 'text/plain')).toMatchObject({ data: '{}' });
    expect(text([0xc3, 0x28])).toMatchObject({ data_base64: 'wyg=' });
    expect(text([0xed, 0xa0, 0x80])).toMatchObject({ data_base64: '7aCA' }); // an encoded surrogate is not UTF-8
    expect(text([0xef, 0xbb, 0xbf, 0x61])).toMatchObject({ data_base64: '77u/YQ==' });
    expect(text([0xef, 0xbb, 0xbf, 0x61])).not.toHaveProperty('data');
  });

  it.each([
    ['null', null],
    ['an array', [base]],
    ['a string', 'x'],
    ['a missing source', { id: '1', type: 't' }],
    ['an empty id', { ...base, id: '' }],
    ['an object type', { ...base, type: {} }],
    ['a bad time', { ...base, time: 'soon' }],
    ['data and data_base64', { ...base, data: 'a', data_base64: 'YQ==' }],
    ['bad base64', { ...base, data_base64: '!!' }],
    ['an upper-case extension', { ...base, Site: 'x' }],
    ['a non-string extension', { ...base, site: 1 }],
    ['a huge attribute', { ...base, source: 'x'.repeat(5000) }],
    ['a __proto__ key', JSON.parse('{"id":"1","type":"t","source":"/s","__proto__":"x"}')],
  ])('refuses %s', (_label, value) => {
    expect(codeOf(() => envelopeToEvent(value))).toBe('LN_ERR_EVENT_INVALID');
  });
});
