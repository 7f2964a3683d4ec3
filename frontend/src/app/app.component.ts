import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { ThemeStore } from './core/theme.store';

@Component({
  selector: 'ty-root',
  imports: [RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: '<router-outlet />',
})
export class AppComponent {
  // Created eagerly so the stored theme applies before the first view renders.
  protected readonly theme = inject(ThemeStore);
}
