/** `npm run docs:config`: rewrites the README's configuration table from src/config/schema.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withConfigTable } from '../src/config/config-table';

const path = join(__dirname, '..', 'README.md');
writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')));
console.log('README.md configuration table regenerated');
