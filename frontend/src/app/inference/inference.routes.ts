import { Routes } from '@angular/router';

export const INFERENCE_ROUTES: Routes = [
  {
    path: '',
    title: 'Inference · Trainyard',
    loadComponent: () => import('./inference-page.component').then((m) => m.InferencePageComponent),
  },
];
