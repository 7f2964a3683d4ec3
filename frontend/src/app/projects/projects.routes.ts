import { Routes } from '@angular/router';

export const PROJECTS_ROUTES: Routes = [
  {
    path: '',
    title: 'Projects · Trainyard',
    loadComponent: () => import('./projects-page.component').then((m) => m.ProjectsPageComponent),
  },
];
