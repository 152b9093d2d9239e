import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigTable, TABLE_END, TABLE_START } from '../../src/config/config-table';

/** Table rows as trimmed cells, so prettier's column padding does not matter. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .filter((line) => !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe('README configuration table', () => {
  it('when compared with the config schema, then it lists every variable, default and meaning (npm run docs:config)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const inReadme = readme.slice(
      readme.indexOf(TABLE_START) + TABLE_START.length,
      readme.indexOf(TABLE_END),
    );
    expect(cells(inReadme)).toEqual(cells(renderConfigTable()));
  });
});
