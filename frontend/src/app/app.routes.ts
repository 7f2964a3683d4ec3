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
    title: 'Trainyard',
    canActivate: [requireSession],
    loadComponent: () => import('./shell/shell.component').then((m) => m.ShellComponent),
  },
  { path: '**', redirectTo: '' },
];
