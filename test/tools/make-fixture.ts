/** `npx tsx test/tools/make-fixture.ts DIR [BIGSIZE]`: writes the interop fixture tree (for manual runs). */
import { makeFixtureTree } from '../interop/fixture-tree.js';

const [dir, big] = process.argv.slice(2);
if (!dir) throw new Error('usage: make-fixture.ts DIR [BIGSIZE]');
void makeFixtureTree(dir, big ? { bigSize: Number(big) } : {});
