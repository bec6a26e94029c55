import { createRouter, createWebHashHistory } from 'vue-router'
import HomeView from './views/HomeView.vue'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', component: HomeView },
    { path: '/household/:id', component: () => import('./views/HouseholdView.vue'), props: true },
    { path: '/household/:id/visit', component: () => import('./views/VisitView.vue'), props: true },
    { path: '/household/:id/handbook', component: () => import('./views/HandbookView.vue'), props: true },
    { path: '/household/:id/inspect', component: () => import('./views/InspectView.vue'), props: true },
    { path: '/inspections', component: () => import('./views/InspectionsView.vue') },
    { path: '/household/:id/exit', component: () => import('./views/ExitView.vue'), props: true },
    { path: '/presence', component: () => import('./views/PresenceView.vue') },
    { path: '/village', component: () => import('./views/VillageView.vue') },
    { path: '/problems', component: () => import('./views/ProblemsView.vue') },
    { path: '/import', component: () => import('./views/ImportView.vue') },
    { path: '/reports', component: () => import('./views/ReportsView.vue') },
    { path: '/conflicts', component: () => import('./views/ConflictsView.vue') },
    { path: '/sync', component: () => import('./views/SyncView.vue') },
    { path: '/settings', component: () => import('./views/SettingsView.vue') },
  ],
})
