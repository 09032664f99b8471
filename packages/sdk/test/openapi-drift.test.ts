/**
 * The SDK's types and the OpenAPI the server serves must not drift apart: build the server, render
 * its document's types in memory exactly as `npm run sdk:generate` does, and compare with the
 * committed src/openapi.ts. On a failure, run `npm run sdk:generate` and review the diff.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { GENERATED_PATH, renderSchemaTypes, serverOpenApiDocument } from '../scripts/generate.js';

it('src/openapi.ts matches the OpenAPI document the server serves (run `npm run sdk:generate` if not)', async () => {
  const doc = await serverOpenApiDocument();
  assert.ok(Object.keys(doc.paths ?? {}).length > 50, 'the server documents its operations');
  const expected = await renderSchemaTypes(doc);
  const committed = await readFile(GENERATED_PATH, 'utf8');
  if (committed !== expected) {
    const a = committed.split('\n');
    const b = expected.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `packages/sdk/src/openapi.ts is stale: first difference at line ${line + 1}\n` +
        `  committed: ${a[line] ?? '(end of file)'}\n  served:    ${b[line] ?? '(end of file)'}\n` +
        'Run `npm run sdk:generate` and commit the result.',
    );
  }
});
