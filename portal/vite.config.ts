import { defineConfig } from 'vite';

// Served by the Sluice binary under /portal (the files are embedded at
// compile time), so every URL the build writes starts there.
export default defineConfig({
  base: '/portal/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline nothing: the content security policy allows only this
    // server's own files (and style elements carrying the page's nonce).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // Mantine and the Markdown renderer (the landing page needs both): ~220 KiB gzipped.
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      // Mantine marks its modules "use client" (for React server
      // components); a single-page app has no use for the directive.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
