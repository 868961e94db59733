import { readFileSync } from 'node:fs';
const m = await import('/work/main/scripts/build.mjs');
const r = await m.buildDist({ outdir: 'dist-meta' });
const loaded = new Set(readFileSync('/tmp/loaded-files.txt','utf8').trim().split('\n'));
const per = new Map();
for (const [out, meta] of Object.entries(r.metafile.outputs)) {
  const rel = out.replace(/^dist-meta\//,'');
  if (!loaded.has(rel)) continue;
  for (const [inp, v] of Object.entries(meta.inputs)) {
    if (!inp.includes(process.argv[2])) continue;
    const key = inp.replace(/.*node_modules\//,'').split('/').slice(0, Number(process.argv[3] ?? 5)).join('/');
    per.set(key, (per.get(key)??0) + v.bytesInOutput);
  }
}
console.log([...per].sort((a,b)=>b[1]-a[1]).slice(0,25).map(([k,v])=>`${(v/1024).toFixed(1)}K\t${k}`).join('\n'));
