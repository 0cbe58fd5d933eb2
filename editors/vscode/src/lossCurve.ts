// Finding the loss-curve PNG of a config's last run. The server names it in its stepwise/runStatus notification
// (lossCurvePath); without that, the newest loss*.png under the config's folder (two levels deep) is taken.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Candidate { path: string; mtimeMs: number }

export function pickNewest(cands: Candidate[]): string | undefined {
  let best: Candidate | undefined;
  for (const c of cands) if (!best || c.mtimeMs > best.mtimeMs) best = c;
  return best?.path;
}

export function isLossCurveName(name: string): boolean {
  return /^(train[_-]?)?loss([_-]?curve)?[\w.-]*\.png$/i.test(name);
}

/** Scans `dir` and its subfolders down to `depth` for loss-curve PNGs, skipping dot folders and node_modules. */
export function scanLossCurves(dir: string, depth = 2): Candidate[] {
  const out: Candidate[] = [];
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isFile() && isLossCurveName(e.name)) {
      try { out.push({ path: p, mtimeMs: fs.statSync(p).mtimeMs }); } catch { /* vanished while scanning */ }
    } else if (e.isDirectory() && depth > 0 && !e.name.startsWith('.') && e.name !== 'node_modules') {
      out.push(...scanLossCurves(p, depth - 1));
    }
  }
  return out;
}

export function findLossCurve(configPath: string, reported: string | undefined): string | undefined {
  if (reported && fs.existsSync(reported)) return reported;
  return pickNewest(scanLossCurves(path.dirname(configPath)));
}
