// Transpiles src/ and test/ to out/ (CommonJS, one file per module, no bundling) for `node --test`.
// Type checking is tsc's job (npm run compile); this only strips types.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

function list(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(e => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map(e => `${e.parentPath ?? e.path}/${e.name}`);
}
fs.rmSync('out', { recursive: true, force: true });
await esbuild.build({
  entryPoints: [...list('src'), ...list('test')],
  outdir: 'out',
  outbase: '.',
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
