// Copies the JSON schemas the manifest's jsonValidation names (schemas/*.schema.json) from the repository's /schemas
// folder (written by `stepwise schema --all schemas`), or from $STEPWISE_SCHEMAS_DIR, into the extension.
// Missing schemas are a warning for a development build and an error with --strict (npm run package): a .vsix
// whose jsonValidation points at absent files would fail silently in the editor.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const strict = process.argv.includes('--strict');
const source = process.env.STEPWISE_SCHEMAS_DIR ? path.resolve(process.env.STEPWISE_SCHEMAS_DIR) : path.resolve(here, '../../schemas');
const manifest = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const wanted = [...new Set((manifest.contributes?.jsonValidation ?? []).map(v => v.url))].map(u => {
  const m = /^\.\/schemas\/([\w.-]+\.schema\.json)$/.exec(u);
  if (!m) { console.error(`copy-schemas: jsonValidation url ${u} is not ./schemas/<name>.schema.json`); process.exit(1); }
  return m[1];
});

const target = path.join(here, 'schemas');
fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
const missing = [], broken = [];
for (const name of wanted) {
  const from = path.join(source, name);
  if (!fs.existsSync(from)) { missing.push(name); continue; }
  const text = fs.readFileSync(from, 'utf8');
  try {
    const schema = JSON.parse(text);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error('not a JSON object');
  } catch (e) { broken.push(`${name}: ${e.message}`); continue; }
  fs.writeFileSync(path.join(target, name), text);
}
const problems = [
  ...missing.map(n => `missing ${path.join(source, n)}`),
  ...broken.map(b => `invalid JSON schema ${b}`),
];
if (problems.length === 0) {
  console.log(`copy-schemas: ${wanted.length} schemas from ${source}`);
} else {
  const head = strict ? 'copy-schemas: ERROR' : 'copy-schemas: warning';
  console.error(`${head}: ${problems.length} of ${wanted.length} schemas unavailable:\n  ${problems.join('\n  ')}\n` +
    'Generate them at the repository root with `./stepwise schema --all schemas` (or point STEPWISE_SCHEMAS_DIR at them).' +
    (strict ? '\nRefusing to package an extension whose jsonValidation points at missing files.' : '\nThe development build goes on without them.'));
  if (strict) process.exit(1);
}
