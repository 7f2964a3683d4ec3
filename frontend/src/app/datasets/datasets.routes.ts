import { Routes } from '@angular/router';

export const DATASETS_ROUTES: Routes = [
  {
    path: '',
    title: 'Datasets · Trainyard',
    loadComponent: () => import('./datasets-page.component').then((m) => m.DatasetsPageComponent),
  },
];
