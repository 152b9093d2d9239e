/** `.env.example` and the config schema must list the same variables with the same defaults. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, type VariableSpec } from '../../src/config/schema';

function exampleEntries(): Map<string, string> {
  const text = readFileSync(resolve(__dirname, '../../.env.example'), 'utf8');
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

describe('.env.example', () => {
  it('when compared with the schema, then it lists exactly the same variables', () => {
    expect([...exampleEntries().keys()].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
  });

  it('when compared with the schema, then each value is the schema default (empty when there is none)', () => {
    const entries = exampleEntries();
    for (const [name, spec] of Object.entries(CONFIG_VARIABLES as Record<string, VariableSpec>)) {
      expect(`${name}=${entries.get(name)}`).toBe(
        `${name}=${spec.default === undefined ? '' : String(spec.default)}`,
      );
    }
  });
});
