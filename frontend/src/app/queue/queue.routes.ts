import { Routes } from '@angular/router';

export const QUEUE_ROUTES: Routes = [
  {
    path: '',
    title: 'Queue · Trainyard',
    loadComponent: () => import('./queue-page.component').then((m) => m.QueuePageComponent),
  },
];
