// The widget: one classic script, /widget.js, that a business pastes into its site with a script tag; and, with
// `--mode lead-form`, its lead form, /widget-lead-form.js, which widget.js loads only when the form is shown.
import { defineConfig } from 'vite';
import { compactWidgetCss } from './build/compact-css';
import { gzipOutputs } from './build/gzip-outputs';

const out = process.env.PARLEY_WEB_OUT ?? 'dist';

export default defineConfig(({ mode }) => ({
  build: {
    outDir: out,
    emptyOutDir: false,
    target: 'es2020',
    // Terser's output gzips smaller than esbuild's; every byte of widget.js counts against its budget.
    minify: 'terser',
    terserOptions: { ecma: 2020, compress: { passes: 2 } },
    lib:
      mode === 'lead-form'
        ? { entry: 'src/widget/lead-form-entry.ts', formats: ['iife'], name: 'ParleyLeadForm', fileName: () => 'widget-lead-form.js' }
        : { entry: 'src/widget/main.ts', formats: ['iife'], name: 'ParleyWidget', fileName: () => 'widget.js' },
    reportCompressedSize: false,
  },
  plugins: [compactWidgetCss(), gzipOutputs()],
}));
