import { defineConfig } from 'vite'

/** The dashboard's folder; the build goes to ../dist/web, which the service serves at `/`. */
const root = new URL('.', import.meta.url).pathname

// The service's Content-Security-Policy allows scripts and styles from 'self' only: the
// build emits files, never inline <script> or <style> (no module preload polyfill, which
// Vite would inline; every browser we support has modulepreload).
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev:web`: the page from Vite, the API and the feed from `npm run dev` on 3000.
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
})
