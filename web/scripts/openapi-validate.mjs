// Validates an OpenAPI document (default: the committed src/lib/api/openapi.json) with an
// off-the-shelf validator, @apidevtools/swagger-parser: the OpenAPI 3.1 meta-schema, every $ref
// resolving, unique operation ids. Exits 1, naming the problem, when the document is invalid.
//
//   node scripts/openapi-validate.mjs [path]
import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';

const path = process.argv[2] || new URL('../src/lib/api/openapi.json', import.meta.url).pathname;
try {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1.')) {
    throw new Error(`"openapi" is ${JSON.stringify(doc.openapi)}, not 3.1.x`);
  }
  // validate() dereferences in place: give it a copy so the checks below see the original.
  await SwaggerParser.validate(structuredClone(doc));
  // OpenAPI requires operationId to be unique; the validator does not check it for 3.1.
  const ids = new Set();
  let ops = 0;
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const [m, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(m)) continue;
      ++ops;
      if (op.operationId && ids.has(op.operationId)) throw new Error(`operationId ${op.operationId} of ${m} ${p} is not unique`);
      ids.add(op.operationId);
    }
  }
  console.log(`openapi: ${path.split('/').pop()} is valid OpenAPI ${doc.openapi} (${ops} operations, ${Object.keys(doc.components?.schemas || {}).length} schemas)`);
} catch (e) {
  console.error(`openapi: ${path} is not a valid OpenAPI 3.1 document: ${e.message}`);
  process.exit(1);
}
