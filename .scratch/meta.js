const esbuild = require('esbuild');
(async () => {
  const r = await esbuild.build({ entryPoints: ['lambda/handlers/check.ts'], bundle: true, platform: 'node', target: 'node22', format: 'cjs', mainFields: ['module','main'], minify: true, write: false, metafile: true, outfile: '/tmp/x.js' });
  const inputs = Object.values(r.metafile.outputs)[0].inputs;
  const groups = {};
  for (const [f, v] of Object.entries(inputs)) {
    const m = f.match(/node_modules\/(@[^/]+\/[^/]+|[^/]+)/);
    const k = m ? m[1] : 'ours';
    groups[k] = (groups[k] ?? 0) + v.bytesInOutput;
  }
  console.log(Object.entries(groups).sort((a,b)=>b[1]-a[1]).slice(0,25).map(([k,v])=>`${(v/1024).toFixed(1)} ${k}`).join('\n'));
})();
