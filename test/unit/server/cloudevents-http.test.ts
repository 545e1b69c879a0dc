// Issue 14 item 4: the ingress takes JSON and CloudEvents bodies only; binary mode carries any data.
import { describe, expect, it } from 'vitest';
import { acceptsJsonAnswer, binaryAnswer, binaryEvent, envelopeData, headerEncode, ingressMode } from '../../../host/server/cloudevents-http.js';
import { codeOf } from '../../helpers/errors.js';

describe('ingressMode', () => {
  it('takes the JSON and CloudEvents types, with parameters, and binary mode with any type', () => {
    for (const [type, mode] of [
      ['application/json', 'json'],
      ['Application/JSON; charset=utf-8', 'json'],
      ['application/cloudevents+json', 'structured'],
      ['application/cloudevents+json; charset="UTF-8"', 'structured'],
      ['application/cloudevents-batch+json', 'batch'],
    ]) {
      expect(ingressMode({ 'content-type': type }), type).toBe(mode);
    }
    expect(ingressMode({ 'content-type': 'text/plain', 'ce-specversion': '1.0' })).toBe('binary');
    expect(ingressMode({ 'ce-specversion': '1.0' })).toBe('binary');
    // application/json with ce-specversion is binary mode with JSON data (the binding's rule) …
    expect(ingressMode({ 'content-type': 'application/json', 'ce-specversion': '1.0' })).toBe('binary');
    // … and the CloudEvents types are structured whatever ce- headers come along.
    expect(ingressMode({ 'content-type': 'application/cloudevents+json', 'ce-specversion': '1.0' })).toBe('structured');
  });

  it.each(['application/json; charset=latin1', 'application/cloudevents+json; charset=utf-16', 'application/cloudevents-batch+json;charset=iso-8859-1'])(
    'refuses JSON in another charset than UTF-8 (%s) with 415',
    (type) => {
      expect(codeOf(() => ingressMode({ 'content-type': type }))).toBe('LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', undefined])(
    'refuses %s with 415',
    (type) => {
      expect(codeOf(() => ingressMode(type === undefined ? {} : { 'content-type': type }))).toBe('LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE');
    },
  );
});

describe('binaryEvent', () => {
  const headers = {
    'ce-specversion': '1.0',
    'ce-id': 'b1',
    'ce-type': 'reading',
    'ce-source': '/s',
    'ce-time': '2024-01-01T00:00:00Z',
    'content-type': 'text/csv',
  };

  it('takes attributes from ce- headers (percent-decoded), the data from the body', () => {
    const event = binaryEvent({ ...headers, 'ce-site': 'north%20side' }, Buffer.from('a,b'));
    expect(event).toMatchObject({
      id: 'b1',
      type: 'reading',
      source: '/s',
      time: '2024-01-01T00:00:00Z',
      datacontenttype: 'text/csv',
      extensions: [['site', 'north side']],
    });
    expect(Buffer.from(event.data).toString()).toBe('a,b');
  });

  it('validates like a JSON envelope, and refuses data in headers', () => {
    expect(codeOf(() => binaryEvent({ ...headers, 'ce-specversion': '0.3' }, Buffer.alloc(0)))).toBe('LN_ERR_EVENT_INVALID');
    expect(codeOf(() => binaryEvent({ ...headers, 'ce-id': '' }, Buffer.alloc(0)))).toBe('LN_ERR_EVENT_INVALID');
    expect(codeOf(() => binaryEvent({ ...headers, 'ce-data': 'x' }, Buffer.alloc(0)))).toBe('LN_ERR_EVENT_INVALID');
    expect(codeOf(() => binaryEvent({ ...headers, 'ce-Bad_Name': 'x' }, Buffer.alloc(0)))).toBe('LN_ERR_EVENT_INVALID');
  });
});

describe('binaryAnswer: the rule for answering a binary-mode request in binary mode', () => {
  const reply = { specversion: '1.0', id: 'r1', type: 'reading.echoed', source: '/s', datacontenttype: 'text/csv', data: 'a,b', site: 'north side' };

  it('answers exactly one produced event as a binary-mode event: ce- headers, the data as the body', () => {
    const answer = binaryAnswer({ results: [{ ok: true, events: [reply], emitted: [] }], stopped: null });
    expect(answer).toEqual({
      status: 200,
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'r1',
        'ce-type': 'reading.echoed',
        'ce-source': '/s',
        'ce-site': 'north%20side',
        'content-type': 'text/csv',
      },
      body: Buffer.from('a,b'),
    });
  });

  it('answers 204 when every plugin succeeded and none produced an event', () => {
    expect(binaryAnswer({ results: [{ ok: true, events: [], emitted: [] }], stopped: null })).toMatchObject({ status: 204, body: null });
    expect(binaryAnswer({ results: [], stopped: null })).toMatchObject({ status: 204 });
  });

  it('leaves failures, several events and a stopped routing to the JSON answer', () => {
    expect(binaryAnswer({ results: [{ ok: false, emitted: [] }], stopped: null })).toBeNull();
    expect(binaryAnswer({ results: [{ ok: true, events: [reply], emitted: [reply] }], stopped: null })).toBeNull();
    expect(binaryAnswer({ results: [{ ok: true, events: [reply], emitted: [] }], stopped: { plugin: 'p' } })).toBeNull();
  });

  it('percent-encodes what could break a header line (header injection from a plugin)', () => {
    const hostile = { ...reply, type: 'x\r\nSet-Cookie: a=b', source: 'caf\u00e9 "q" 100%' };
    const answer = binaryAnswer({ results: [{ ok: true, events: [hostile], emitted: [] }], stopped: null })!;
    expect(answer.headers['ce-type']).toBe('x%0D%0ASet-Cookie:%20a=b');
    expect(answer.headers['ce-source']).toBe('caf%C3%A9%20%22q%22%20100%25');
    expect(decodeURIComponent(answer.headers['ce-source']!)).toBe(hostile.source);
    expect(headerEncode('plain/ascii-1.0')).toBe('plain/ascii-1.0');
  });

  it('gives back the data bytes eventToEnvelope turned into data or data_base64', () => {
    expect(envelopeData({ data_base64: Buffer.from([0, 255]).toString('base64') })).toEqual(Buffer.from([0, 255]));
    expect(envelopeData({ datacontenttype: 'application/json', data: { a: [1] } }).toString()).toBe('{"a":[1]}');
    expect(envelopeData({ datacontenttype: 'application/json', data: 'hi' }).toString()).toBe('"hi"');
    expect(envelopeData({ datacontenttype: 'text/plain', data: 'hi' }).toString()).toBe('hi');
    expect(envelopeData({}).length).toBe(0);
  });

  it('takes Accept: application/json (or cloudevents+json) as asking for the JSON answer', () => {
    expect(acceptsJsonAnswer('application/json')).toBe(true);
    expect(acceptsJsonAnswer('text/html, application/cloudevents+json;q=0.9')).toBe(true);
    expect(acceptsJsonAnswer('*/*')).toBe(false);
    expect(acceptsJsonAnswer(undefined)).toBe(false);
  });
});
