// The widget: one classic script, /widget.js, that a business pastes into its site with a script tag.
import { defineConfig } from 'vite';
import { gzipOutputs } from './build/gzip-outputs';

const out = process.env.PARLEY_WEB_OUT ?? 'dist';

export default defineConfig({
  build: {
    outDir: out,
    emptyOutDir: false,
    target: 'es2019',
    lib: { entry: 'src/widget/main.ts', formats: ['iife'], name: 'ParleyWidget', fileName: () => 'widget.js' },
    reportCompressedSize: false,
  },
  plugins: [gzipOutputs()],
});
