import { Routes } from '@angular/router';

export const ACTIVITY_ROUTES: Routes = [
  {
    path: '',
    title: 'Activity · Trainyard',
    loadComponent: () => import('./activity-page.component').then((m) => m.ActivityPageComponent),
  },
];
