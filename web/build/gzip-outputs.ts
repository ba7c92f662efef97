// A Vite plugin that writes a .gz twin of every emitted script, stylesheet and page, so that the server can send
// compressed bytes without compressing at run time (the twins are compiled into the binary with the originals).
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

export function gzipOutputs(): Plugin {
  return {
    name: 'parley-gzip-outputs',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir ?? '.';
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(fileName)) continue;
        const path = join(dir, fileName);
        writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
      }
    },
  };
}
