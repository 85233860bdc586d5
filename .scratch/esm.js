const esbuild = require('esbuild');
const fs = require('fs'); const path = require('path');
(async () => {
  const out = '/tmp/esm-out'; fs.rmSync(out, {recursive:true, force:true});
  const names = fs.readdirSync('lambda/handlers').filter(f=>f.endsWith('.ts')).map(f=>f.slice(0,-3));
  const r = await esbuild.build({ entryPoints: Object.fromEntries(names.map(n=>[n, `lambda/handlers/${n}.ts`])), bundle: true, platform: 'node', target: 'node22', format: 'esm', splitting: true, outdir: out, outExtension: {'.js':'.mjs'}, mainFields: ['module','main'], minify: true, metafile: true, legalComments:'none',
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" } });
  const outs = r.metafile.outputs;
  const staticClosure = (file, seen=new Set()) => { if (seen.has(file)) return seen; seen.add(file); for (const i of outs[file].imports) if (i.kind==='import-statement' && outs[i.path]) staticClosure(i.path, seen); return seen; };
  let total = 0; for (const f of Object.keys(outs)) total += outs[f].bytes;
  console.log('all chunks KiB', (total/1024).toFixed(0));
  for (const n of names) { const f = `${out}/${n}.mjs`.replace(/^\//,''); const key = Object.keys(outs).find(k=>k.endsWith(`/${n}.mjs`)); const c = staticClosure(key); let b=0; for (const x of c) b+=outs[x].bytes; console.log(n, (b/1024).toFixed(0), 'KiB static'); }
})();
