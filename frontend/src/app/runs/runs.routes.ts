import { Routes } from '@angular/router';

/** `/runs`: the runs table; `?run=<id>` opens a run, `&compare=<id>,<id>` overlays others. */
export const RUNS_ROUTES: Routes = [
  {
    path: '',
    title: 'Runs · Trainyard',
    loadComponent: () => import('./runs-page.component').then((m) => m.RunsPageComponent),
  },
];
