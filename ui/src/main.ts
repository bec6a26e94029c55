import { createApp } from 'vue'
// Vant's base styles (variables, animations); each component brings its own (see vite.config.ts), and the
// function-style ones used from scripts are imported here with theirs.
import 'vant/es/style/base.css'
import 'vant/es/toast/style/index'
import 'vant/es/dialog/style/index'
import 'vant/es/image-preview/style/index'
import './style.css'
import App from './App.vue'
import { router } from './router'

createApp(App).use(router).mount('#app')
