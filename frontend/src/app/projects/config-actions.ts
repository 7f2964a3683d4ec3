import { Injectable, inject } from '@angular/core';
import { type ConfigDto, type ProjectSummaryDto, deleteProjectConfig } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import type { MenuItem } from '../core/context-menu.store';
import { ToastStore } from '../core/toast.store';

/** Config actions that change the project on disk; each destructive one asks first. */
@Injectable({ providedIn: 'root' })
export class ConfigActions {
  private readonly api = inject(API);
  private readonly confirm = inject(ConfirmStore);
  private readonly toasts = inject(ToastStore);

  /** The context menu's "Delete config…" item; `deleted` runs after the server removed it. */
  deleteItem(project: ProjectSummaryDto, config: ConfigDto, deleted: () => void): MenuItem {
    return {
      label: 'Delete config…',
      danger: true,
      disabled: project.kind === 'forgather' && config.file === null,
      action: () => void this.delete(project, config).then((ok) => ok && deleted()),
    };
  }

  /**
   * Asks, then deletes the config through the server (trainyard.yaml: its entry and file; Forgather:
   * its YAML file). Resolves true once deleted, false when dismissed or refused (refusals are toasted).
   */
  async delete(project: ProjectSummaryDto, config: ConfigDto): Promise<boolean> {
    const what =
      project.kind === 'trainyard'
        ? `Remove config "${config.name}" from ${project.path}/trainyard.yaml` +
          (config.file ? ` and delete ${config.file} (kept if another config uses it)` : '')
        : `Delete ${config.file}`;
    const ok = await this.confirm.ask({
      title: `Delete config ${config.name}?`,
      message: `${what}? Its outputs stay; its remembered overrides are forgotten. This cannot be undone.`,
      confirmLabel: 'Delete config',
      danger: true,
    });
    if (!ok) return false;
    try {
      await deleteProjectConfig({
        client: this.api,
        path: { id: project.id, config: config.name },
        body: { confirmed: true },
      });
      this.toasts.success(`Deleted config ${config.name}.`);
      return true;
    } catch (err) {
      this.toasts.error(errorMessage(err));
      return false;
    }
  }
}
