import type * as Monaco from 'monaco-editor';
import type { editor as MonacoEditor } from 'monaco-editor';
import type { NgxMonacoEditorConfig } from 'ngx-monaco-editor-v2';
import { FORGATHER_YAML, TOML } from './languages';
import { forgatherYaml, forgatherYamlConfiguration, toml } from './forgather-syntax';

export type MonacoApi = typeof Monaco;

/**
 * Where Monaco's AMD build is served from: copied from node_modules/monaco-editor/min by the build
 * (angular.json assets) and served by the server itself — nothing comes from a CDN. Resolved against
 * the page's <base href> so workers and styles load from the same place.
 */
export function monacoBaseUrl(): string {
  return new URL('assets/monaco/min/vs', document.baseURI).href;
}

let resolveMonaco!: (api: MonacoApi) => void;
/** Resolves with the Monaco API once its AMD bundle has loaded and our languages are registered. */
export const monacoReady: Promise<MonacoApi> = new Promise((resolve) => (resolveMonaco = resolve));

/** Registers Forgather's YAML + Jinja2 dialect and TOML (Monaco has no TOML of its own). */
export function registerLanguages(monaco: MonacoApi): void {
  monaco.languages.register({ id: FORGATHER_YAML, aliases: ['YAML + Jinja', 'yaml', 'jinja'] });
  monaco.languages.setMonarchTokensProvider(FORGATHER_YAML, forgatherYaml);
  monaco.languages.setLanguageConfiguration(FORGATHER_YAML, forgatherYamlConfiguration);
  monaco.languages.register({ id: TOML, aliases: ['TOML'] });
  monaco.languages.setMonarchTokensProvider(TOML, toml);
  monaco.languages.setLanguageConfiguration(TOML, { comments: { lineComment: '#' } });
}

/** ngx-monaco-editor-v2's configuration: the local bundle, and our languages before the first editor. */
export function monacoConfig(): NgxMonacoEditorConfig {
  return {
    baseUrl: monacoBaseUrl(),
    defaultOptions: { automaticLayout: false, scrollBeyondLastLine: false },
    onMonacoLoad: () => {
      const monaco = (window as unknown as { monaco: MonacoApi }).monaco;
      registerLanguages(monaco);
      resolveMonaco(monaco);
    },
  };
}

/**
 * Lays `editor` out again whenever its box changes size, in the next animation frame. Monaco's own
 * `automaticLayout` lays out inside its ResizeObserver's callback, which resizes what that observer
 * watches within the same frame: Chromium logged "ResizeObserver loop completed with undelivered
 * notifications" (six times on opening a file). Use instead of `automaticLayout`.
 */
export function layoutOnResize(editor: MonacoEditor.IEditor & { getContainerDomNode(): HTMLElement }): void {
  let frame = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => editor.layout());
  });
  observer.observe(editor.getContainerDomNode());
  editor.onDidDispose(() => {
    cancelAnimationFrame(frame);
    observer.disconnect();
  });
}
