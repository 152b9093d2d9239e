/**
 * Validates Kubernetes objects against the API's schemas offline with kubernetes-models. That
 * package is ES modules only, so this runs as its own process (`node --import tsx`), loading it
 * with a real dynamic import. Reads `[{ source, doc }]` as JSON on stdin, writes
 * `[{ source, kind, name, error }]` (error null when valid) as JSON on stdout.
 */
import { readFileSync } from 'node:fs';

interface Item {
  readonly source: string;
  readonly doc: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string } };
}
type ModelClass = new (data: unknown) => { validate(): void };

async function main(): Promise<void> {
  const input = JSON.parse(readFileSync(0, 'utf8')) as Item[];
  const results = [];
  for (const { source, doc } of input) {
    const apiVersion = String(doc.apiVersion);
    const kind = String(doc.kind);
    let error: string | null = null;
    try {
      const models = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
      const Model = models[kind];
      if (typeof Model !== 'function') throw new Error(`no schema for ${apiVersion} ${kind}`);
      new (Model as ModelClass)(doc).validate();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    results.push({ source, kind, name: doc.metadata?.name ?? null, error });
  }
  process.stdout.write(JSON.stringify(results));
}

void main();
