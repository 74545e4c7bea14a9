import { readdirSync, readFileSync } from 'node:fs';

const changelog = readFileSync('CHANGELOG.md', 'utf8');
const files = readdirSync('src/storage/postgres/migrations')
  .filter((file) => /^Migration\d{14}_\w+\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''));

/** The day of the last release, `YYYYMMDD`: migrations of later days ship in "Unreleased". */
const lastRelease = /^## \[\d+\.\d+\.\d+\] - (\d{4})-(\d{2})-(\d{2})$/m.exec(changelog)!.slice(1).join('');

describe("the CHANGELOG's migrations", () => {
  it('are named as the files in src/storage/postgres/migrations', () => {
    const named = [...new Set(changelog.match(/Migration\d{14}_\w+/g) ?? [])];
    expect(named.filter((name) => !files.includes(name))).toEqual([]);
  });

  it('include every migration added since the last release', () => {
    const unreleased = files.filter((name) => name.slice('Migration'.length, 'Migration'.length + 8) > lastRelease);
    expect(unreleased.length).toBeGreaterThan(0);
    expect(unreleased.filter((name) => !changelog.includes(name))).toEqual([]);
  });
});
