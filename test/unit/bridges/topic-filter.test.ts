// Issue 18 item 6: MQTT topic filters (+ one level, # the rest, $-topics not matched by a leading
// wildcard) and the templates that turn a matched topic into an event type and source.
import { describe, expect, it } from 'vitest';
import { fillTemplate, filterProblem, TopicFilter, topicProblem, topicValues } from '../../../host/bridges/topic-filter.js';

describe('TopicFilter', () => {
  it.each([
    ['sensors/+/temp', 'sensors/k1/temp', ['k1']],
    ['sensors/+/temp', 'sensors//temp', ['']],
    ['sensors/#', 'sensors/a/b/c', ['a/b/c']],
    ['sensors/#', 'sensors', ['']],
    ['#', 'a/b', ['a/b']],
    ['+/+', 'a/b', ['a', 'b']],
    ['exact/topic', 'exact/topic', []],
  ])('%s matches %s capturing %j', (filter, topic, captured) => {
    expect(new TopicFilter(filter).match(topic)).toEqual(captured);
  });

  it.each([
    ['sensors/+/temp', 'sensors/k1/humidity'],
    ['sensors/+/temp', 'sensors/k1/temp/extra'],
    ['sensors/+', 'sensors'],
    ['exact', 'Exact'],
    ['#', '$SYS/broker/load'],
    ['+/broker', '$SYS/broker'],
  ])('%s does not match %s', (filter, topic) => {
    expect(new TopicFilter(filter).match(topic)).toBeNull();
  });

  it('matches $-topics with a filter that names them', () => {
    expect(new TopicFilter('$SYS/#').match('$SYS/broker/load')).toEqual(['broker/load']);
  });

  it.each(['a/#/b', 'a/b#', 'a/+b', '', 'a\0b'])('refuses the filter %j', (filter) => {
    expect(filterProblem(filter)).not.toBeNull();
    expect(() => new TopicFilter(filter)).toThrow();
  });

  it('refuses topics with wildcards or NUL to publish to', () => {
    for (const bad of ['', 'a/+', 'a/#', 'a\0']) expect(topicProblem(bad), bad).not.toBeNull();
    expect(topicProblem('alerts/fire.north')).toBeNull();
  });
});

describe('templates', () => {
  it('fills captured levels and the topic; leaves unknown placeholders as written', () => {
    const values = topicValues('sensors/k1/temp', ['k1']);
    expect(fillTemplate('sensor.{1}.reading', values)).toBe('sensor.k1.reading');
    expect(fillTemplate('/mqtt/{topic}', values)).toBe('/mqtt/sensors/k1/temp');
    expect(fillTemplate('x.{2}.{nope}', values)).toBe('x.{2}.{nope}');
  });
});
