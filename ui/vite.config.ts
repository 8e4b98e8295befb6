import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// base './': the built UI is loaded from the Tauri asset protocol and from the test bridge's
// static root alike, so every asset URL must be relative.
export default defineConfig({
  base: './',
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    // In a plain browser the UI calls POST /api/call/{cmd}: point it at a running
    // `cashdesk-bridge` with CASHDESK_BRIDGE_URL=http://127.0.0.1:PORT npm run dev, and open
    // http://localhost:1420/#bridge-secret=… with the secret of the bridge's OPEN line. The
    // bridge takes only its own Host, hence changeOrigin.
    proxy: process.env.CASHDESK_BRIDGE_URL
      ? { '/api': { target: process.env.CASHDESK_BRIDGE_URL, changeOrigin: true } }
      : undefined,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/testing/setup.ts'],
  },
})
