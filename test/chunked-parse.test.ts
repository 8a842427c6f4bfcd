/**
 * Long scenarios have their steps read in chunks (src/scenario/parse.ts parseChunked): the
 * result must be exactly the one-document parse, and any error exactly the one-document error.
 */
import { describe, expect, it } from 'vitest';
import { hotplugScenario, hugeScenario } from '../bench/scenarios.js';
import { parseChunked, parseScenario, ScenarioError } from '../src/scenario/parse.js';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return 'no error';
};

describe('chunked reading of long scenarios', () => {
  const texts = { hotplug: hotplugScenario(2600), huge: hugeScenario(7000), crlf: hotplugScenario(2600).replace(/\n/g, '\r\n'), commented: hotplugScenario(2600).replace(/\n {2}- hot-remove/g, '\n  # a comment\n\n  - hot-remove').replace('steps:\n', 'steps:   # the steps\n').concat('faults: [ { alloc: altmap, nth: 3 } ]\n') };
  for (const [name, text] of Object.entries(texts)) {
    it(`${name}: the same Scenario as one document`, () => {
      expect(text.length).toBeGreaterThan(256 * 1024);
      const a = parseScenario('s.yaml', text);
      expect(parseChunked('s.yaml', text), 'read in chunks, not the one-document fallback').toEqual(a);
      expect(a).toEqual(parseScenario('s.yaml', text, { chunked: false }));
      expect(a.steps.length).toBeGreaterThan(5000);
    });
  }
  it('errors: exactly the one-document message and position', () => {
    const lines = hotplugScenario(2600).split('\n');
    const cases = [
      (l: string[]) => { l[4000] = l[4000]!.replace('128M', '4Q'); },
      (l: string[]) => { l[2500] = l[2500]!.replace('{ node', '{ nod'); },
      (l: string[]) => { l[3000] = '  - hot-add: { node: 0, start: 0x1, size: 128M'; },
    ];
    for (const c of cases) {
      const l = [...lines];
      c(l);
      const t = l.join('\n');
      const m = err(() => parseScenario('e.yaml', t));
      expect(m).not.toBe('no error');
      expect(parseChunked('e.yaml', t)).toBeNull(); // an error: the one-document reading reports it
      expect(m).toBe(err(() => parseScenario('e.yaml', t, { chunked: false })));
    }
  });
});
