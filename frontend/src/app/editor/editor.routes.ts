import type { Routes } from '@angular/router';
import { provideMonacoEditor } from 'ngx-monaco-editor-v2';
import { EditPageComponent } from './edit-page.component';
import { monacoConfig } from './monaco-setup';

export const EDITOR_ROUTES: Routes = [
  {
    path: '',
    title: 'Edit · Trainyard',
    providers: [provideMonacoEditor(monacoConfig())],
    component: EditPageComponent,
  },
];
