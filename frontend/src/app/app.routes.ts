import { Routes } from '@angular/router';
import { requireSession, redirectSignedIn } from './core/auth.guard';

export const routes: Routes = [
  {
    path: 'sign-in',
    title: 'Sign in · Trainyard',
    canActivate: [redirectSignedIn],
    loadComponent: () => import('./auth/sign-in.component').then((m) => m.SignInComponent),
  },
  {
    path: '',
    canActivate: [requireSession],
    loadComponent: () => import('./shell/shell.component').then((m) => m.ShellComponent),
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'gpus' },
      { path: 'gpus', loadChildren: () => import('./gpus/gpus.routes').then((m) => m.GPUS_ROUTES) },
      { path: 'queue', loadChildren: () => import('./queue/queue.routes').then((m) => m.QUEUE_ROUTES) },
      { path: 'jobs', loadChildren: () => import('./jobs/jobs.routes').then((m) => m.JOBS_ROUTES) },
      {
        path: 'activity',
        loadChildren: () => import('./activity/activity.routes').then((m) => m.ACTIVITY_ROUTES),
      },
      {
        path: 'inference',
        loadChildren: () => import('./inference/inference.routes').then((m) => m.INFERENCE_ROUTES),
      },
      {
        path: 'datasets',
        loadChildren: () => import('./datasets/datasets.routes').then((m) => m.DATASETS_ROUTES),
      },
      {
        path: 'cluster',
        loadChildren: () => import('./cluster/cluster.routes').then((m) => m.CLUSTER_ROUTES),
      },
      { path: 'runs', loadChildren: () => import('./runs/runs.routes').then((m) => m.RUNS_ROUTES) },
      {
        path: 'projects',
        loadChildren: () => import('./projects/projects.routes').then((m) => m.PROJECTS_ROUTES),
      },
      { path: 'edit', loadChildren: () => import('./editor/editor.routes').then((m) => m.EDITOR_ROUTES) },
    ],
  },
  { path: '**', redirectTo: '' },
];
