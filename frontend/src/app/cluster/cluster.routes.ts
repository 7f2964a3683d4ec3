import { Routes } from '@angular/router';

export const CLUSTER_ROUTES: Routes = [
  {
    path: '',
    title: 'Cluster · Trainyard',
    loadComponent: () => import('./cluster-page.component').then((m) => m.ClusterPageComponent),
  },
];
