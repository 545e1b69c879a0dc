import { describe, expect, it } from 'vitest';
import { eventTypeMatches } from '../../../host/support/event-pattern.js';

describe('event type patterns', () => {
  it.each([
    ['*', 'anything.at.all', true],
    ['sensor.*', 'sensor.reading', true],
    ['sensor.*', 'sensor.a.b', true],
    ['sensor.*', 'sensor', false],
    ['sensor.*', 'sensorX.reading', false],
    ['sensor.reading', 'sensor.reading', true],
    ['sensor.reading', 'sensorXreading', false],
    ['*.alarm', 'door.alarm', true],
    ['*.alarm', 'door.alarm.cleared', false],
  ])('%s matches %s: %s', (pattern, type, expected) => {
    expect(eventTypeMatches(pattern, type)).toBe(expected);
    // A second look uses the compiled pattern and must agree.
    expect(eventTypeMatches(pattern, type)).toBe(expected);
  });
});
