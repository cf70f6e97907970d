// Writes into sw.js the VERSION of the app shell: a hash of every precached file, so a
// changed file means a new cache and browsers update. `node till_pwa/tools/stamp.mjs`
// after editing the till (`--check` only reports, for tests).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TILL = join(dirname(fileURLToPath(import.meta.url)), '..');
const SW = join(TILL, 'sw.js');
const VERSION_LINE = /^const VERSION = '([0-9a-f]{20})';$/m;

export function precachedAssets(source = readFileSync(SW, 'utf8')) {
  const block = /const ASSETS = \[([\s\S]*?)\];/.exec(source);
  if (!block) throw new Error('sw.js has no ASSETS list');
  return [...block[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

export function shellVersion(source = readFileSync(SW, 'utf8')) {
  const hash = createHash('sha256');
  for (const path of precachedAssets(source)) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(TILL, path)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

export function stampedVersion(source = readFileSync(SW, 'utf8')) {
  return VERSION_LINE.exec(source)?.[1] ?? null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const source = readFileSync(SW, 'utf8');
  const version = shellVersion(source);
  if (process.argv.includes('--check')) {
    const ok = stampedVersion(source) === version;
    console.log(ok ? `sw.js VERSION ${version} is current` : `sw.js VERSION is stale: run npm run stamp (${version})`);
    process.exit(ok ? 0 : 1);
  }
  writeFileSync(SW, source.replace(VERSION_LINE, `const VERSION = '${version}';`));
  console.log(`sw.js VERSION = ${version}`);
}
