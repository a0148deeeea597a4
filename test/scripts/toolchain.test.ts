import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

const root = join(__dirname, '..', '..');
const script = `import(${JSON.stringify(join(root, 'scripts', 'toolchain.mjs'))}).then(
  (m) => { console.log(m.goVersion()); },
  (err) => { console.error(err); process.exit(2); },
).catch((err) => { console.error(err.message); process.exit(3); });`;

t.test('says how to get Go when it is missing', async (t) => {
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: '/nonexistent' },
    encoding: 'utf8',
  });
  t.equal(result.status, 3);
  t.match(result.stderr, /Go is required to build daprd, the Temporal CLI and FerretDB/);
  t.match(result.stderr, /go\.dev\/doc\/install/);
});

t.test('every pinned tool is built and current after npm test prepared the checkout', async (t) => {
  const check = `import(${JSON.stringify(join(root, 'scripts', 'toolchain.mjs'))}).then((m) => {
    const fs = require('node:fs');
    for (const tool of m.toolSpecs()) {
      const stamp = fs.readFileSync(require('node:path').join(m.binDir, tool.name + '.stamp'), 'utf8').trim();
      console.log(tool.name, stamp === tool.fingerprint ? 'current' : 'stale');
    }
  });`;
  const result = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
  t.same(result.stdout.trim().split('\n').sort(), ['daprd current', 'ferretdb current', 'temporal current']);
});

t.test("the FerretDB command's own Go tests pass (the _id index keeper)", async (t) => {
  const result = spawnSync('go', ['test', '-count=1', './...'], {
    cwd: join(root, 'tools', 'ferretdb'),
    encoding: 'utf8',
    // Builds with what prepare fetched; nothing is downloaded here.
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
  });
  t.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  t.match(result.stdout, /^ok\s+parley\/tools\/ferretdb/m);
});
