// The admin app: a single page served at /admin/ (hash routes), its assets content-hashed under /admin/assets/.
import { defineConfig } from 'vite';
import { gzipOutputs } from './build/gzip-outputs';

const out = process.env.PARLEY_WEB_OUT ?? 'dist';

export default defineConfig({
  base: '/admin/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: `${out}/admin`,
    emptyOutDir: true,
    target: 'es2020',
    // The CSP allows no inline script; the module-preload polyfill would be one.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  plugins: [gzipOutputs()],
});
