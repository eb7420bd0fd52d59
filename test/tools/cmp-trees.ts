import { treeSnapshot, compareTrees } from '../interop/harness.js';
const [a, b] = process.argv.slice(2);
const d = compareTrees(await treeSnapshot(a!), await treeSnapshot(b!), { mtimeResolutionNs: 1000n });
console.log(d.length ? d.join('\n') : 'IDENTICAL');
