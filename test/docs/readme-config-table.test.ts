import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withConfigTable } from '../../src/config/config-table';

describe('README configuration table', () => {
  it('when compared with the config schema, then it lists every variable with its default (run npm run docs:config)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });
});
