import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};
const FRAMEWORKS = ['yjs', '@hocuspocus/server', '@automerge/automerge'];
const IMPORT = /(?:from|import)\s*\(?\s*'([^']+)'/g;

/** The packages a source file reaches through its relative imports (type-only imports included). */
function packagesReachedFrom(file: string, seen = new Set<string>()): Set<string> {
  const reached = new Set<string>();
  if (seen.has(file)) return reached;
  seen.add(file);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    if (!specifier!.startsWith('.')) reached.add(specifier!);
    else
      for (const name of packagesReachedFrom(join(dirname(file), specifier!.replace(/\.js$/, '.ts')), seen))
        reached.add(name);
  }
  return reached;
}

describe('the package entries', () => {
  it('the root entry reaches none of the integration frameworks', () => {
    const reached = packagesReachedFrom(join(repo, 'src/index.ts'));
    expect(reached.has('rxjs')).toBe(true); // the walk does follow the imports
    expect(FRAMEWORKS.filter((name) => reached.has(name))).toEqual([]);
  });

  it.each([
    ['./yjs', 'yjs', ['yjs']],
    ['./automerge', 'automerge', ['@automerge/automerge']],
  ])(
    'exports %s like the root entry, built from src/%s, whose only framework imports are %j',
    (entry, folder, peers) => {
      expect(Object.keys(manifest.exports[entry]!)).toEqual(Object.keys(manifest.exports['.']!));
      expect(manifest.exports[entry]).toEqual({
        types: `./dist/${folder}/index.d.ts`,
        import: `./dist/${folder}/index.js`,
        default: `./dist/${folder}/index.js`,
      });
      expect(existsSync(join(repo, `src/${folder}/index.ts`))).toBe(true);
      const reached = packagesReachedFrom(join(repo, `src/${folder}/index.ts`));
      expect(FRAMEWORKS.filter((name) => reached.has(name))).toEqual(peers);
    },
  );

  it('declares each framework an optional peer, and tests against a pinned version inside that range', () => {
    for (const name of FRAMEWORKS) {
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      const [major, minor, patch] = manifest.devDependencies[name]!.split('.').map(Number);
      const [, floorMajor, floorMinor, floorPatch] = /^\^(\d+)\.(\d+)\.(\d+)$/
        .exec(manifest.peerDependencies[name]!)!
        .map(Number);
      expect(major).toBe(floorMajor);
      expect(minor! * 1e6 + patch!).toBeGreaterThanOrEqual(floorMinor! * 1e6 + floorPatch!);
    }
  });
});
