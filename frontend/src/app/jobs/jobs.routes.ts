import { Routes } from '@angular/router';

/** `/jobs` is the table; `/jobs/:id` opens the job's pane (with its terminal) beside it. */
export const JOBS_ROUTES: Routes = [
  {
    path: '',
    title: 'Jobs · Trainyard',
    loadComponent: () => import('./jobs-page.component').then((m) => m.JobsPageComponent),
    children: [
      {
        path: ':id',
        title: 'Job · Trainyard',
        loadComponent: () => import('./job-detail.component').then((m) => m.JobDetailComponent),
      },
    ],
  },
];
