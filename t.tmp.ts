import { readFileSync } from 'node:fs';
import { setModuleAttribute } from './src/engines/hcl/edit.js';
const f = process.argv[2]!;
const src = readFileSync(f, 'utf8');
let r = setModuleAttribute(src, 'vm', 'instance_type', 't3.small');
r = setModuleAttribute(r.text, 'vm', 'new_attr', { a: 1, 'b c': ['x', 'y${z}'], n: { t: true } });
console.log(r.found); console.log(r.text);
