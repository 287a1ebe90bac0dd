import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Content-Security-Policy the built index.html carries (the server sends the same header):
// nothing inline, everything from the origin. Dev mode (HMR injects <style> elements) has none.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'";

function cspMeta() {
  return {
    name: 'nexanest-csp-meta',
    apply: 'build',
    transformIndexHtml(html) {
      return html.replace('<!--csp-->', `<meta http-equiv="Content-Security-Policy" content="${CSP}">`);
    },
  };
}

// `npm run dev` (and `vite preview`) proxy the API to a running `nexanest serve`.
const API = process.env.NEXANEST_API || 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte({ compilerOptions: { css: 'external' }, emitCss: true }), cspMeta()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    proxy: { '/api': { target: API, changeOrigin: false } },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: API, changeOrigin: false },
      '/healthz': API,
    },
  },
});
