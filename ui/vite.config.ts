import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The app loads the built files from disk (Tauri's custom protocol); no dev server is involved.
export default defineConfig({
  plugins: [vue()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari15', chunkSizeWarningLimit: 2000 },
  test: { environment: 'jsdom', include: ['tests/**/*.test.ts'] },
})
