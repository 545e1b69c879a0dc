// Issue 14 item 4: the ingress takes JSON and CloudEvents bodies only; binary mode carries any data.
import { describe, expect, it } from 'vitest';
import { binaryEvent, ingressMode } from '../../../host/server/cloudevents-http.js';
import { codeOf } from '../../helpers/errors.js';

describe('ingressMode', () => {
  it('takes the JSON and CloudEvents types, with parameters, and binary mode with any type', () => {
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/cloudevents+json', 'application/cloudevents-batch+json']) {
      expect(ingressMode({ 'content-type': type }), type).toBe('json');
    }
    expect(ingressMode({ 'content-type': 'text/plain', 'ce-specversion': '1.0' })).toBe('binary');
    expect(ingressMode({ 'ce-specversion': '1.0' })).toBe('binary');
  });

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
