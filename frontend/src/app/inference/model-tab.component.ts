import { NgTemplateOutlet } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import {
  type GenerationPresetInfoDto,
  type InferenceEndpointDto,
  deleteGenerationConfig as removePreset,
  getGenerationConfig as getPreset,
  listGenerationConfigs as listPresets,
  listInferenceEndpoints,
  putGenerationConfig as putPreset,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ToastStore } from '../core/toast.store';
import { PARAMS, fromPreset, toRequestParams } from './gen-params';
import { checkHealth, listModels } from './inference-client';
import { InferenceStore } from './inference.store';

/** Where to generate: base URL (typed or picked from running inference jobs), model, parameters, presets. */
@Component({
  selector: 'ty-model-tab',
  imports: [NgTemplateOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './model-tab.component.html',
  styleUrl: './inference.css',
})
export class ModelTabComponent {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);
  protected readonly store = inject(InferenceStore);

  protected readonly basic = PARAMS.filter((p) => !p.advanced);
  protected readonly advanced = PARAMS.filter((p) => p.advanced);
  protected readonly errors = computed(() => toRequestParams(this.store.values()).errors);

  protected readonly endpoints = signal<InferenceEndpointDto[] | null>(null);
  protected readonly health = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly testing = signal(false);
  /** The chosen model, when the server listed its models and it is not one of them. */
  protected readonly unserved = computed(() => {
    const model = this.store.model();
    const served = this.store.served();
    return model && served.length && !served.includes(model) ? model : null;
  });
  protected readonly modelsError = signal<string | null>(null);
  protected readonly presets = signal<GenerationPresetInfoDto[]>([]);
  protected readonly presetName = signal('');
  protected readonly presetNote = signal<string | null>(null);

  constructor() {
    void this.refreshEndpoints();
    void this.refreshPresets();
  }

  protected async refreshEndpoints(): Promise<void> {
    try {
      this.endpoints.set((await listInferenceEndpoints({ client: this.api })).data);
    } catch (err) {
      this.endpoints.set([]);
      this.toasts.error(`Could not list inference jobs: ${errorMessage(err)}`);
    }
  }

  protected pick(baseUrl: string): void {
    if (!baseUrl) return;
    this.setBase(baseUrl);
    void this.test();
  }

  /**
   * A new base URL: what was learnt from the old one — reachable or not, its models, the model
   * picked from its list — is cleared (a failing new server listed the old one's models, and the
   * header paired the new URL with the old model).
   */
  protected setBase(value: string): void {
    const base = value.trim();
    if (base === this.store.base()) return;
    if (this.store.served().includes(this.store.model())) this.store.model.set('');
    this.store.base.set(base);
    this.health.set(null);
    this.store.served.set([]);
    this.modelsError.set(null);
  }

  /** Health, then the model list; picks the first model when none is chosen or it is not served. */
  protected async test(): Promise<void> {
    const base = this.store.base();
    this.testing.set(true);
    this.health.set(null);
    try {
      await checkHealth(base);
      if (base !== this.store.base()) return; // the URL changed meanwhile: this answer is for the old one
      this.health.set({ ok: true, text: 'Reachable' });
      await this.loadModels();
    } catch (err) {
      if (base === this.store.base()) this.health.set({ ok: false, text: errorMessage(err) });
    } finally {
      this.testing.set(false);
    }
  }

  protected async loadModels(): Promise<void> {
    const base = this.store.base();
    this.modelsError.set(null);
    try {
      const ids = await listModels(base);
      if (base !== this.store.base()) return;
      this.store.served.set(ids);
      if (ids.length && !ids.includes(this.store.model())) this.store.model.set(ids[0]);
    } catch (err) {
      if (base !== this.store.base()) return;
      this.store.served.set([]);
      this.modelsError.set(errorMessage(err));
    }
  }

  protected async refreshPresets(): Promise<void> {
    try {
      this.presets.set((await listPresets({ client: this.api })).data);
    } catch (err) {
      this.toasts.error(`Could not list presets: ${errorMessage(err)}`);
    }
  }

  protected async loadPreset(name: string): Promise<void> {
    if (!name) return;
    try {
      const preset = (await getPreset({ client: this.api, path: { name } })).data as Record<string, unknown>;
      const { values, unknown } = fromPreset(preset);
      this.store.values.set(values);
      this.presetName.set(name);
      this.presetNote.set(unknown.length ? `Not editable here, left out: ${unknown.join(', ')}` : null);
    } catch (err) {
      this.toasts.error(`Could not load ${name}: ${errorMessage(err)}`);
    }
  }

  protected async savePreset(): Promise<void> {
    const name = this.presetName().trim();
    const { params, errors } = toRequestParams(this.store.values());
    if (Object.keys(errors).length) return this.toasts.error('Fix the parameters marked in red first');
    try {
      await putPreset({ client: this.api, path: { name }, body: params });
      this.toasts.success(`Saved preset ${name}`);
      await this.refreshPresets();
    } catch (err) {
      this.toasts.error(`Could not save ${name}: ${errorMessage(err)}`);
    }
  }

  protected async deletePreset(): Promise<void> {
    const name = this.presetName().trim();
    try {
      const { data } = await removePreset({ client: this.api, path: { name } });
      this.toasts.success(
        data.restored_builtin ? `Deleted ${name}: the bundled ${name} is back` : `Deleted ${name}`,
      );
      await this.refreshPresets();
    } catch (err) {
      this.toasts.error(`Could not delete ${name}: ${errorMessage(err)}`);
    }
  }

  protected isUserPreset(name: string): boolean {
    return this.presets().some((p) => p.name === name && !p.builtin);
  }
}
