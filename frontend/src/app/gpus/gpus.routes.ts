import { Routes } from '@angular/router';

export const GPUS_ROUTES: Routes = [
  {
    path: '',
    title: 'GPUs · Trainyard',
    loadComponent: () => import('./gpus-page.component').then((m) => m.GpusPageComponent),
  },
];
