import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/: hashed files under assets/ are cached for good, the rest revalidated.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts or styles: the gateway's Content-Security-Policy forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:4400', '/socket.io': { target: 'ws://127.0.0.1:4400', ws: true } },
  },
});
