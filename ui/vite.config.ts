import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'

// The app loads the built files from disk (Tauri's custom protocol); no dev server is involved.
// Vant's components are imported by each screen that uses them, with their styles, rather than all of
// Vant up front: the first screen loads only what it shows, which shortens a cold start.
export default defineConfig({
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari15', chunkSizeWarningLimit: 2000 },
  test: { environment: 'jsdom', include: ['tests/**/*.test.ts'] },
})
