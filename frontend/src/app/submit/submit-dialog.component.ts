import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { Router } from '@angular/router';
import {
  type ClusterSubmitRequestDto,
  type JobParamDescriptionDto,
  type JobTypeDto,
  TrainyardApiError,
} from '@trainyard/sdk';
import { ClusterStore } from '../cluster/cluster.store';
import { errorMessage, fieldErrors } from '../core/api';
import { plural, statusLabel } from '../core/format';
import { WHOLE_JOB_ID } from '../core/job-id';
import { SubmitLauncher } from '../core/submit-launcher';
import { PathPickerComponent, type PickerMode } from '../shared/path-picker.component';
import { FORM_FIELD } from '../shared/form-field/form-field.component';
import { ToastStore } from '../core/toast.store';
import { ServicesStore } from '../services/services.store';
import { isOnePerLine, shellOperators, splitList } from './argv';
import {
  DEPENDENCY_CHOICES,
  type DependencyRow,
  type FieldErrors,
  type FormValues,
  SERVICE_NAME,
  buildBody,
  formField,
  initialValues,
  serviceFormField,
  submittedMessage,
  valuesFromJob,
} from './submit-form';
import { SubmitStore } from './submit.store';
import { MultiNodePanelComponent } from './multinode-panel.component';
import {
  MULTI_NODE_FIELDS,
  MULTI_NODE_TYPE,
  type MultiNodeValues,
  buildClusterBody,
  choiceOf,
  clusterFormField,
  initialMultiNode,
  pickable,
} from './multinode';

const COMMON_FIELDS = [
  'job_type',
  'requested_gpus',
  'priority',
  'name',
  'cwd',
  'env',
  'preemptible',
  'gpu_profile',
  'service_name',
  'time_limit_s',
  'depends_on',
  'array.count',
  'array.max_running',
];

/** Fields of the Advanced section: an error in one opens it. */
const ADVANCED_FIELD = /^(time_limit_s|kill_grace_s|log_cap_bytes|depends_on|array\.)/;

type ListPreview =
  | { args: string[]; onePerLine: boolean; operators: string[]; error?: undefined }
  | { error: string; args?: undefined };

/** The New job dialog: a form generated from the chosen type's parameter schema. */
@Component({
  selector: 'ty-submit-dialog',
  imports: [PathPickerComponent, MultiNodePanelComponent, FORM_FIELD],
  providers: [SubmitStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="modal submit" aria-labelledby="submit-title" (cancel)="close($event)">
      <form class="modal-body" novalidate (submit)="submit($event)">
        <div class="modal-head">
          <h2 id="submit-title">
            @if (launcher.from(); as from) {
              Resubmit {{ from.name ?? from.queue_id }}
            } @else {
              New job
            }
          </h2>
          <button type="button" class="btn btn-ghost btn-icon" aria-label="Close" (click)="close()">×</button>
        </div>

        @if (store.error(); as error) {
          <p class="alert" role="alert">Could not load the job types: {{ error }}</p>
        }

        <div class="scroll">
          <div class="field">
            <label for="job-type">Job type</label>
            <select
              id="job-type"
              name="job_type"
              (change)="chooseType($any($event.target).value)"
              [disabled]="store.loading()"
            >
              @if (!type()) {
                <option value="">{{ store.loading() ? 'Loading…' : 'Choose a type' }}</option>
              }
              @for (t of store.types(); track t.name) {
                <option [value]="t.name" [selected]="t.name === typeName()">{{ t.name }}</option>
              }
            </select>
            @if (type(); as t) {
              <span class="hint">{{ t.description }}</span>
            }
            @if (err('job_type'); as e) {
              <span class="hint bad" role="alert">{{ e }}</span>
            }
          </div>

          @if (type(); as t) {
            @if (values(); as v) {
              @if (showMultiNode()) {
                <ty-multinode-panel
                  [value]="multi()"
                  (valueChange)="setMulti($event)"
                  [errors]="errors()"
                  [priority]="priorityNow()"
                  [mismatch]="mismatch()"
                />
              }
              @if (t.params.length) {
                <fieldset class="params">
                  <legend>{{ t.name }} parameters</legend>
                  @for (p of t.params; track p.name) {
                    <div class="field" [class.check]="p.type === 'boolean'" [class.wide]="isWide(p)">
                      @switch (p.type) {
                        @case ('boolean') {
                          <label class="checkbox">
                            <input
                              type="checkbox"
                              [id]="'param-' + p.name"
                              [checked]="v.params[p.name] === true"
                              [attr.aria-describedby]="'param-' + p.name + '-hint'"
                              (change)="setParam(p.name, $any($event.target).checked)"
                            />
                            {{ label(p) }}
                          </label>
                        }
                        @case ('choice') {
                          <label [for]="'param-' + p.name">{{ label(p) }}</label>
                          <select
                            [id]="'param-' + p.name"
                            [attr.aria-invalid]="!!errorFor(p)"
                            [attr.aria-describedby]="'param-' + p.name + '-hint'"
                            (change)="setParam(p.name, $any($event.target).value)"
                          >
                            @if (!p.required) {
                              <option value="" [selected]="v.params[p.name] === ''">(default)</option>
                            }
                            @for (c of p.choices ?? []; track c) {
                              <option [value]="c" [selected]="c === v.params[p.name]">{{ c }}</option>
                            }
                          </select>
                        }
                        @case ('string_list') {
                          <label [for]="'param-' + p.name"
                            >{{ label(p) }}
                            <span class="muted"
                              >· one line split like a shell, or one item per line</span
                            ></label
                          >
                          <textarea
                            class="mono"
                            rows="3"
                            spellcheck="false"
                            [id]="'param-' + p.name"
                            [value]="v.params[p.name]"
                            [attr.aria-invalid]="!!errorFor(p)"
                            [attr.aria-describedby]="'param-' + p.name + '-preview param-' + p.name + '-hint'"
                            (input)="setParam(p.name, $any($event.target).value)"
                          ></textarea>
                          @if (preview(p.name); as pv) {
                            <div
                              class="preview mono"
                              [id]="'param-' + p.name + '-preview'"
                              aria-live="polite"
                            >
                              @if (pv.args) {
                                <span class="muted">{{ pv.onePerLine ? 'one per line' : 'split' }} →</span>
                                @for (a of pv.args; track $index) {
                                  <span class="arg" [class.blank]="a === ''">{{
                                    a === '' ? '(empty)' : a
                                  }}</span>
                                } @empty {
                                  <span class="muted">(nothing)</span>
                                }
                                @if (pv.operators.length) {
                                  <div class="warn">
                                    No shell runs the job: {{ pv.operators.join(' ') }} reach the program as
                                    plain arguments. For a pipeline, use sh -c '…'.
                                  </div>
                                }
                              } @else {
                                <span class="bad">{{ pv.error }}</span>
                              }
                            </div>
                          }
                        }
                        @case ('env_map') {
                          <label [for]="'param-' + p.name"
                            >{{ label(p) }} <span class="muted">· KEY=VALUE per line</span></label
                          >
                          <textarea
                            class="mono"
                            rows="3"
                            spellcheck="false"
                            [id]="'param-' + p.name"
                            [value]="v.params[p.name]"
                            [attr.aria-invalid]="!!errorFor(p)"
                            [attr.aria-describedby]="'param-' + p.name + '-hint'"
                            (input)="setParam(p.name, $any($event.target).value)"
                          ></textarea>
                        }
                        @default {
                          <label [for]="'param-' + p.name">{{ label(p) }}</label>
                          <div class="with-browse">
                            <input
                              type="text"
                              [attr.inputmode]="inputMode(p)"
                              [class.mono]="p.type === 'path'"
                              [attr.placeholder]="p.type === 'path' ? '/path/to/…' : null"
                              spellcheck="false"
                              [id]="'param-' + p.name"
                              [value]="v.params[p.name]"
                              [attr.aria-invalid]="!!errorFor(p)"
                              [attr.aria-describedby]="'param-' + p.name + '-hint'"
                              (input)="setParam(p.name, $any($event.target).value)"
                            />
                            @if (p.type === 'path') {
                              <button
                                type="button"
                                class="btn"
                                [title]="'Choose ' + p.name + ' on the server'"
                                (click)="
                                  browse('job_params.' + p.name, p.path_kind ?? 'any', v.params[p.name])
                                "
                              >
                                Browse…
                              </button>
                            }
                          </div>
                        }
                      }
                      <span
                        class="hint"
                        [class.bad]="!!errorFor(p)"
                        [id]="'param-' + p.name + '-hint'"
                        [attr.role]="errorFor(p) ? 'alert' : null"
                      >
                        {{ errorFor(p) ?? p.description }}
                      </span>
                    </div>
                  }
                </fieldset>
              }

              <fieldset>
                <legend>Placement and environment</legend>
                <div class="row" [class.multi]="multiActive()">
                  @if (!multiActive()) {
                    <ty-form-field
                      controlId="submit-gpus"
                      label="GPUs"
                      [hint]="v.gpuProfile ? 'How many ' + v.gpuProfile + ' MIG devices' : '0 = CPU only'"
                      [error]="err('requested_gpus')"
                    >
                      <input
                        tyFieldControl
                        type="text"
                        inputmode="numeric"
                        [value]="v.gpus"
                        (input)="set('gpus', $any($event.target).value)"
                      />
                    </ty-form-field>
                  }
                  <ty-form-field
                    controlId="submit-priority"
                    label="Priority"
                    hint="Higher runs first"
                    [error]="err('priority')"
                  >
                    <input
                      tyFieldControl
                      type="text"
                      [value]="v.priority"
                      (input)="set('priority', $any($event.target).value)"
                    />
                  </ty-form-field>
                  <ty-form-field
                    class="grow"
                    controlId="submit-name"
                    label="Name"
                    hint="Shown in lists"
                    [error]="err('name')"
                  >
                    <input
                      tyFieldControl
                      type="text"
                      maxlength="200"
                      placeholder="optional label"
                      [value]="v.name"
                      (input)="set('name', $any($event.target).value)"
                    />
                  </ty-form-field>
                </div>
                @if (store.migProfiles().length || v.gpuProfile) {
                  <ty-form-field
                    controlId="submit-gpu-profile"
                    label="MIG profile"
                    [hint]="
                      v.gpuProfile
                        ? 'GPUs above then counts MIG devices of this profile, not whole GPUs'
                        : 'Or run on MIG devices of one profile; GPUs then counts them'
                    "
                    [error]="err('gpu_profile')"
                  >
                    <select tyFieldControl (change)="setGpuProfile($any($event.target).value)">
                      <option value="" [selected]="v.gpuProfile === ''">Whole GPUs</option>
                      @for (o of store.migProfiles(); track o.profile) {
                        <option [value]="o.profile" [selected]="o.profile === v.gpuProfile">
                          {{ o.profile }} · {{ o.free }} of {{ o.total }} free
                        </option>
                      }
                      @if (v.gpuProfile && !hasProfile(v.gpuProfile)) {
                        <option [value]="v.gpuProfile" selected>{{ v.gpuProfile }} · not on this host</option>
                      }
                    </select>
                  </ty-form-field>
                }
                <div class="field">
                  <label class="checkbox">
                    <input
                      id="submit-preemptible"
                      type="checkbox"
                      [checked]="v.preemptible"
                      aria-describedby="submit-preemptible-hint"
                      (change)="setPreemptible($any($event.target).checked)"
                    />
                    Preemptible
                  </label>
                  <span id="submit-preemptible-hint" class="hint" [class.bad]="!!err('preemptible')">{{
                    err('preemptible') ??
                      'A higher-priority job may stop it (checkpoint first) and queue it again'
                  }}</span>
                </div>
                <ty-form-field controlId="submit-cwd" label="Working directory" [error]="err('cwd')">
                  <div class="with-browse">
                    <input
                      tyFieldControl
                      class="mono"
                      type="text"
                      spellcheck="false"
                      placeholder="default: the server user's home"
                      [value]="v.cwd"
                      (input)="set('cwd', $any($event.target).value)"
                    />
                    <button
                      type="button"
                      class="btn"
                      title="Choose the working directory on the server"
                      (click)="browse('cwd', 'dir', v.cwd)"
                    >
                      Browse…
                    </button>
                  </div>
                </ty-form-field>
                <div class="field">
                  <label for="submit-env">Environment <span class="muted">· KEY=VALUE per line</span></label>
                  <textarea
                    id="submit-env"
                    class="mono"
                    rows="2"
                    spellcheck="false"
                    placeholder="WANDB_MODE=offline"
                    [value]="v.env"
                    [attr.aria-invalid]="!!err('env')"
                    aria-describedby="submit-env-hint"
                    (input)="set('env', $any($event.target).value)"
                  ></textarea>
                  @if (err('env'); as e) {
                    <span id="submit-env-hint" class="hint bad">{{ e }}</span>
                  }
                </div>
              </fieldset>

              @if (!multiActive()) {
                <details
                  class="advanced"
                  [open]="advancedOpen()"
                  (toggle)="toggleAdvanced($any($event.target).open)"
                >
                  <summary>
                    Advanced
                    @if (advancedSummary(); as sum) {
                      <span class="muted">· {{ sum }}</span>
                    }
                  </summary>
                  <div class="advanced-body">
                    <div class="row three">
                      <ty-form-field
                        controlId="submit-time-limit"
                        label="Time limit"
                        hint="Blank: the default; none: no limit"
                        [error]="err('time_limit_s')"
                      >
                        <input
                          tyFieldControl
                          type="text"
                          spellcheck="false"
                          autocomplete="off"
                          placeholder="e.g. 2h, 1h30m"
                          [value]="v.timeLimit"
                          (input)="setAdvanced('timeLimit', $any($event.target).value)"
                        />
                      </ty-form-field>
                      <ty-form-field
                        controlId="submit-array-count"
                        label="Array of"
                        hint="Copies, each with TRAINYARD_ARRAY_INDEX"
                        [error]="err('array.count')"
                      >
                        <input
                          tyFieldControl
                          type="text"
                          inputmode="numeric"
                          placeholder="1 job"
                          [value]="v.arrayCount"
                          (input)="setAdvanced('arrayCount', $any($event.target).value)"
                        />
                      </ty-form-field>
                      <ty-form-field
                        controlId="submit-array-max"
                        label="Max running"
                        hint="Of the array, at once"
                        [error]="err('array.max_running')"
                      >
                        <input
                          tyFieldControl
                          type="text"
                          inputmode="numeric"
                          placeholder="no cap"
                          [value]="v.arrayMaxRunning"
                          (input)="setAdvanced('arrayMaxRunning', $any($event.target).value)"
                        />
                      </ty-form-field>
                    </div>
                    <div class="row three">
                      <ty-form-field
                        controlId="submit-kill-grace"
                        label="Kill grace"
                        hint="SIGTERM, then SIGKILL after this (to checkpoint). Blank: the default"
                        [error]="err('kill_grace_s')"
                      >
                        <input
                          tyFieldControl
                          type="text"
                          spellcheck="false"
                          autocomplete="off"
                          placeholder="e.g. 30s, 2m"
                          [value]="v.killGrace"
                          (input)="setAdvanced('killGrace', $any($event.target).value)"
                        />
                      </ty-form-field>
                      <ty-form-field
                        controlId="submit-log-cap"
                        label="Log cap"
                        hint="Newest output kept. Blank: the default; none: no cap"
                        [error]="err('log_cap_bytes')"
                      >
                        <input
                          tyFieldControl
                          type="text"
                          spellcheck="false"
                          autocomplete="off"
                          placeholder="e.g. 500M, 1G"
                          [value]="v.logCap"
                          (input)="setAdvanced('logCap', $any($event.target).value)"
                        />
                      </ty-form-field>
                    </div>
                    <div class="field" role="group" aria-labelledby="submit-deps-label">
                      <span id="submit-deps-label" class="label"
                        >Depends on
                        <span class="muted">· starts only when these jobs reach the condition</span></span
                      >
                      @for (row of v.dependsOn; track $index; let i = $index) {
                        <div class="dep-row">
                          <input
                            class="mono"
                            type="text"
                            spellcheck="false"
                            autocomplete="off"
                            list="submit-recent-jobs"
                            placeholder="q_… or its last 8 digits (or pick a recent job)"
                            [id]="'submit-dep-' + i"
                            [attr.aria-label]="'Queue id of dependency ' + (i + 1)"
                            [value]="row.queueId"
                            [attr.aria-invalid]="!!err('depends_on[' + i + ']')"
                            [attr.aria-describedby]="'submit-dep-' + i + '-hint'"
                            (input)="setDependency(i, { queueId: $any($event.target).value })"
                            (change)="resolveDependency(i)"
                          />
                          <select
                            [id]="'submit-dep-' + i + '-condition'"
                            [attr.aria-label]="'Condition of dependency ' + (i + 1)"
                            (change)="setDependency(i, { condition: $any($event.target).value })"
                          >
                            @for (c of conditions; track c.value) {
                              <option [value]="c.value" [selected]="c.value === row.condition">
                                {{ c.label }}
                              </option>
                            }
                          </select>
                          <button
                            type="button"
                            class="btn btn-ghost btn-icon"
                            [attr.aria-label]="'Remove dependency ' + (i + 1)"
                            (click)="removeDependency(i)"
                          >
                            ×
                          </button>
                          @if (err('depends_on[' + i + ']'); as e) {
                            <span [id]="'submit-dep-' + i + '-hint'" class="hint bad dep-hint" role="alert">{{
                              e
                            }}</span>
                          }
                        </div>
                      }
                      <div>
                        <button type="button" class="btn" id="submit-dep-add" (click)="addDependency()">
                          + Add dependency
                        </button>
                      </div>
                      @if (err('depends_on'); as e) {
                        <span class="hint bad" role="alert">{{ e }}</span>
                      }
                      <datalist id="submit-recent-jobs">
                        @for (j of store.recentJobs(); track j.queue_id) {
                          <option [value]="j.queue_id">
                            {{ j.name ?? j.job_type }} · {{ statusLabel(j) }}
                          </option>
                        }
                      </datalist>
                    </div>
                    <span class="hint"
                      >Sweeps (one job per parameter value): trainyard submit --sweep, or the API's
                      array.sweep.</span
                    >
                  </div>
                </details>
              }
            }
          }

          @if (otherErrors().length) {
            <div class="alert" role="alert">
              @for (e of otherErrors(); track e) {
                <div>{{ e }}</div>
              }
            </div>
          }
        </div>

        @if (serviceName() !== null) {
          <div class="save-service" role="group" aria-labelledby="service-name-label">
            <div class="field grow">
              <label id="service-name-label" for="service-name"
                >Service name <span class="muted">· kept running as {{ typeName() }}/…</span></label
              >
              <input
                id="service-name"
                class="mono"
                type="text"
                maxlength="128"
                spellcheck="false"
                autocomplete="off"
                placeholder="e.g. docs-site"
                [value]="serviceName()"
                [attr.aria-invalid]="!!err('service_name')"
                aria-describedby="service-name-hint"
                (input)="setServiceName($any($event.target).value)"
                (keydown.enter)="$event.preventDefault(); saveService()"
                (keydown.escape)="$event.preventDefault(); $event.stopPropagation(); leaveServiceName()"
              />
              <span
                id="service-name-hint"
                class="hint"
                [class.bad]="!!err('service_name')"
                [attr.role]="err('service_name') ? 'alert' : null"
                >{{ err('service_name') ?? serviceNameHint() }}</span
              >
            </div>
            <button type="button" class="btn" (click)="leaveServiceName()">Back</button>
            <button
              type="button"
              class="btn btn-primary"
              [disabled]="savingService()"
              (click)="saveService()"
            >
              {{ savingService() ? 'Saving…' : 'Save service' }}
            </button>
          </div>
        } @else {
          <div class="modal-actions">
            <span class="muted remember">Values are remembered per job type.</span>
            <button
              id="submit-save-service"
              type="button"
              class="btn"
              [disabled]="!type()?.can_be_service"
              [title]="
                type()?.can_be_service
                  ? 'Keep this running as a service: started now and at every boot, restarted if it fails'
                  : 'A ' + typeName() + ' job runs to completion: it cannot be a service'
              "
              (click)="askServiceName()"
            >
              Save as service…
            </button>
            <button type="button" class="btn" (click)="close()">Cancel</button>
            <button
              type="submit"
              class="btn btn-primary"
              [disabled]="!type() || store.submitting() || resolving()"
            >
              {{ store.submitting() ? 'Submitting…' : submitLabel() }}
            </button>
          </div>
        }
      </form>
    </dialog>
    <!-- Outside the form: the picker's own form must not submit this one. -->
    <ty-path-picker
      [open]="!!browsing()"
      (openChange)="$event || browsing.set(null)"
      [mode]="browsing()?.mode ?? 'dir'"
      [start]="browsing()?.start"
      (picked)="browsed($event)"
    />
  `,
  styles: `
    .submit .modal-body {
      width: min(680px, calc(100vw - 32px));
      max-height: min(860px, calc(100dvh - 48px));
      display: flex;
      flex-direction: column;
    }
    .scroll {
      overflow: auto;
      display: grid;
      gap: 12px;
      padding: 2px 4px 4px 2px;
      margin: 0 -4px 0 -2px;
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 8px 12px 12px;
      margin: 0;
      display: grid;
      gap: 10px;
    }
    .params {
      grid-template-columns: repeat(2, minmax(0, 1fr));
      column-gap: 14px;
    }
    .params .wide {
      grid-column: 1 / -1;
    }
    .params .check {
      align-self: end;
      padding-bottom: 2px;
    }
    legend {
      padding: 0 6px;
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--text-muted);
    }
    .row {
      display: grid;
      grid-template-columns: 120px 120px minmax(0, 1fr);
      gap: 12px;
    }
    .row.three {
      grid-template-columns: repeat(3, minmax(0, 1fr));
    }
    .advanced {
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 8px 12px;
    }
    .advanced summary {
      cursor: pointer;
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--text-muted);
    }
    .advanced summary .muted {
      text-transform: none;
      letter-spacing: 0;
    }
    .advanced-body {
      display: grid;
      gap: 10px;
      padding-top: 10px;
    }
    .label {
      display: block;
      font-weight: 600;
      margin-bottom: 4px;
    }
    .dep-row {
      display: grid;
      grid-template-columns: minmax(0, 1fr) 160px auto;
      gap: 6px;
      margin-bottom: 6px;
    }
    .dep-hint {
      grid-column: 1 / -1;
    }
    .row.multi {
      grid-template-columns: 120px minmax(0, 1fr);
    }
    .field {
      min-width: 0;
      /* In a row, a field with a longer hint is taller: the others keep their label and control at
         the top (not spread over the height), so the controls line up. */
      align-content: start;
    }
    .field input:not([type='checkbox']),
    .field select,
    .field textarea {
      width: 100%;
      min-width: 0;
    }
    .checkbox {
      display: flex;
      align-items: center;
      gap: 8px;
      font-weight: 600;
    }
    .preview {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 4px;
      margin-top: 4px;
      font-size: 12px;
    }
    .arg {
      padding: 0 5px;
      border: 1px solid var(--border);
      border-radius: 4px;
      background: var(--bg);
      white-space: pre-wrap;
      word-break: break-all;
    }
    .arg.blank {
      color: var(--text-muted);
      font-style: italic;
    }
    .warn {
      flex-basis: 100%;
      color: var(--warning, var(--text-muted));
    }
    .bad {
      color: var(--danger);
    }
    .with-browse {
      display: flex;
      gap: 6px;
    }
    .with-browse input {
      flex: 1;
    }
    .remember {
      margin-right: auto;
      font-size: 12px;
    }
    /* A phone: rows of fields two to a line (a third column was a few pixels wide), and the
       footer's note on a line of its own above the buttons. */
    @media (max-width: 520px) {
      .row,
      .row.three,
      .row.multi {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
      .modal-actions {
        flex-wrap: wrap;
      }
      .remember {
        flex-basis: 100%;
      }
    }
    .save-service {
      display: flex;
      align-items: flex-start;
      gap: 8px;
      padding-top: 12px;
    }
    .save-service .grow {
      flex: 1;
    }
    .save-service .btn {
      margin-top: 22px;
    }
  `,
})
export class SubmitDialogComponent {
  protected readonly store = inject(SubmitStore);
  protected readonly launcher = inject(SubmitLauncher);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);
  private readonly toasts = inject(ToastStore);
  private readonly services = inject(ServicesStore);
  protected readonly cluster = inject(ClusterStore);
  protected readonly statusLabel = statusLabel;
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  /** The form holds another job's values (resubmit), not a draft of the user's. */
  private filledFromJob = false;
  protected readonly typeName = signal('');
  protected readonly values = signal<FormValues | null>(null);
  protected readonly errors = signal<FieldErrors>({});
  /** Short Depends on ids are being looked up before a submit. */
  protected readonly resolving = signal(false);
  /** The "Save as service…" name being typed, or null while that step is not open. */
  protected readonly serviceName = signal<string | null>(null);
  protected readonly savingService = signal(false);
  /** What saving will do: create, or replace the service of that name (an upsert). */
  protected readonly serviceNameHint = computed(() => {
    const name = (this.serviceName() ?? '').trim();
    const exists = this.services.services().some((s) => s.type === this.typeName() && s.name === name);
    const v = this.values();
    // What a service does not keep (it runs on whole GPUs).
    const dropped = [
      v?.cwd.trim() && 'the directory',
      v?.env.trim() && 'the environment',
      v?.gpuProfile && 'the MIG profile',
      v?.timeLimit.trim() && 'the time limit',
      v?.killGrace.trim() && 'the kill grace',
      v?.logCap.trim() && 'the log cap',
      v?.dependsOn.some((d) => d.queueId.trim()) && 'the dependencies',
      v?.arrayCount.trim() && 'the array',
    ].filter(Boolean);
    return (
      (exists ? `Replaces the service ${this.typeName()}/${name}. ` : 'Letters, digits, - and _. ') +
      'It starts now and at every boot' +
      (dropped.length ? `; a service keeps parameters, GPUs and priority, not ${dropped.join(' or ')}.` : '.')
    );
  });
  /** The Multi-node panel's values (cluster mode, training type). */
  protected readonly multi = signal<MultiNodeValues>(initialMultiNode());
  /** The last multi-node refusal was a 409 version mismatch: the panel points at the allow switch. */
  protected readonly mismatch = signal(false);
  protected readonly showMultiNode = computed(
    () => !!this.cluster.self() && this.typeName() === MULTI_NODE_TYPE,
  );
  /** Submit goes to POST /api/cluster/jobs/submit instead of /api/queue. */
  protected readonly multiActive = computed(() => this.showMultiNode() && this.multi().mode !== 'off');
  protected readonly conditions = DEPENDENCY_CHOICES;
  /** Open when the user left it open, or when one of its fields has an error to show. */
  protected readonly advancedOpen = computed(
    () => this.store.advancedOpen() || Object.keys(this.errors()).some((f) => ADVANCED_FIELD.test(f)),
  );
  /** What the Advanced section holds, shown on its summary so a closed section hides nothing. */
  protected readonly advancedSummary = computed(() => {
    const v = this.values();
    if (!v) return '';
    const deps = v.dependsOn.filter((d) => d.queueId.trim()).length;
    return [
      v.timeLimit.trim() && `time limit ${v.timeLimit.trim()}`,
      v.killGrace.trim() && `kill grace ${v.killGrace.trim()}`,
      v.logCap.trim() && `log cap ${v.logCap.trim()}`,
      deps && `${deps} dependenc${deps === 1 ? 'y' : 'ies'}`,
      v.arrayCount.trim() && `array of ${v.arrayCount.trim()}`,
    ]
      .filter(Boolean)
      .join(' · ');
  });
  protected readonly priorityNow = computed(() => Number.parseInt(this.values()?.priority ?? '', 10) || 0);
  protected readonly submitLabel = computed(() => {
    if (!this.multiActive()) return 'Submit';
    const mn = this.multi();
    const n =
      mn.mode === 'any'
        ? mn.nodes.trim() || 'N'
        : String(pickable(this.cluster.members()).filter((m) => choiceOf(mn, m).use).length);
    return `Submit to ${n} node${n === '1' ? '' : 's'}`;
  });
  /** The path picker, open for one field. */
  protected readonly browsing = signal<{ field: string; mode: PickerMode; start: string } | null>(null);
  protected readonly type = computed<JobTypeDto | null>(
    () => this.store.types().find((t) => t.name === this.typeName()) ?? null,
  );
  /** Errors the form has no field for (a whole-`job_params` complaint, an unknown field). */
  protected readonly otherErrors = computed(() => {
    const type = this.type();
    const rows = this.values()?.dependsOn.map((_, i) => `depends_on[${i}]`) ?? [];
    const known = new Set([
      ...COMMON_FIELDS,
      ...rows,
      ...(type?.params.map((p) => `job_params.${p.name}`) ?? []),
    ]);
    return Object.entries(this.errors())
      .filter(([field]) => !known.has(field) && !this.isPanelField(field))
      .map(([field, message]) => (field ? `${field}: ${message}` : message));
  });

  /** What each list field will send, as the user types (see `splitList`). */
  protected readonly previews = computed(() => {
    const type = this.type();
    const values = this.values();
    const out: Record<string, ListPreview> = {};
    if (!type || !values) return out;
    for (const p of type.params) {
      if (p.type !== 'string_list') continue;
      const text = String(values.params[p.name] ?? '');
      const split = splitList(text);
      out[p.name] =
        'error' in split
          ? { error: split.error }
          : { args: split.args, onePerLine: isOnePerLine(text), operators: shellOperators(split.args) };
    }
    return out;
  });

  constructor() {
    effect(() => {
      const open = this.launcher.open();
      const dialog = this.dialog().nativeElement;
      if (open && !dialog.open) {
        dialog.showModal();
        untracked(() => void this.onOpen());
      }
      if (!open && dialog.open) dialog.close();
    });
  }

  protected preview(name: string): ListPreview | undefined {
    return this.previews()[name];
  }

  protected label(p: JobParamDescriptionDto): string {
    return p.required ? `${p.name} *` : p.name;
  }

  /** Lists, maps and paths get the whole row; short inputs share one. */
  protected isWide(p: JobParamDescriptionDto): boolean {
    return ['string_list', 'env_map', 'path', 'file'].includes(p.type);
  }

  /**
   * Numeric fields are text inputs (checked by buildBody), since a number input reports "" for text it
   * cannot read and the form would send the default instead of saying what is wrong.
   */
  protected inputMode(p: JobParamDescriptionDto): string | null {
    if (p.type === 'integer') return p.min !== undefined && p.min >= 0 ? 'numeric' : null;
    return p.type === 'number' ? 'decimal' : null;
  }

  protected errorFor(p: JobParamDescriptionDto): string | undefined {
    return this.err(`job_params.${p.name}`);
  }

  protected err(field: string): string | undefined {
    return this.errors()[field];
  }

  protected chooseType(name: string): void {
    this.typeName.set(name);
    const type = this.type();
    this.values.set(type ? initialValues(type, this.store.lastValues(name)) : null);
    this.errors.set({});
    if (!type?.can_be_service) this.serviceName.set(null);
    this.store.formChanged();
  }

  protected setParam(name: string, value: string | boolean): void {
    this.values.update((v) => (v ? { ...v, params: { ...v.params, [name]: value } } : v));
    this.clearError(`job_params.${name}`);
  }

  protected set(field: 'gpus' | 'priority' | 'name' | 'cwd' | 'env', value: string): void {
    this.values.update((v) => (v ? { ...v, [field]: value } : v));
    const apiField = { gpus: 'requested_gpus', priority: 'priority', name: 'name', cwd: 'cwd', env: 'env' }[
      field
    ];
    this.clearError(apiField);
  }

  protected setPreemptible(value: boolean): void {
    this.values.update((v) => (v ? { ...v, preemptible: value } : v));
    this.clearError('preemptible');
  }

  protected setGpuProfile(value: string): void {
    this.values.update((v) => (v ? { ...v, gpuProfile: value } : v));
    this.clearError('gpu_profile');
    this.clearError('requested_gpus');
  }

  protected toggleAdvanced(open: boolean): void {
    if (open === this.advancedOpen()) return;
    this.store.setAdvancedOpen(open);
    if (open) void this.store.loadRecentJobs();
  }

  protected setAdvanced(
    field: 'timeLimit' | 'killGrace' | 'logCap' | 'arrayCount' | 'arrayMaxRunning',
    value: string,
  ): void {
    this.values.update((v) => (v ? { ...v, [field]: value } : v));
    const apiField = {
      timeLimit: 'time_limit_s',
      killGrace: 'kill_grace_s',
      logCap: 'log_cap_bytes',
      arrayCount: 'array.count',
      arrayMaxRunning: 'array.max_running',
    }[field];
    this.clearError(apiField);
    // A cap without a count is reported on the count: fixing either clears it.
    if (field === 'arrayMaxRunning') this.clearError('array.count');
  }

  protected setDependency(index: number, patch: Partial<DependencyRow>): void {
    this.values.update((v) =>
      v ? { ...v, dependsOn: v.dependsOn.map((row, i) => (i === index ? { ...row, ...patch } : row)) } : v,
    );
    this.clearError(`depends_on[${index}]`);
    this.clearError('depends_on');
  }

  /**
   * Replaces row `index`'s id by the whole one it is short for (the 8 hex digits the console shows,
   * or any unique prefix or suffix of an id), or shows under the row why it cannot. True when the
   * row can be sent (blank, whole, or resolved).
   */
  protected async resolveDependency(index: number): Promise<boolean> {
    const given = this.values()?.dependsOn[index]?.queueId.trim() ?? '';
    if (given === '' || WHOLE_JOB_ID.test(given)) return true;
    const found = await this.store.resolveDependency(given);
    // Typed over or removed meanwhile: the newer text gets its own look-up.
    if (this.values()?.dependsOn[index]?.queueId.trim() !== given) return false;
    if ('id' in found) {
      this.setDependency(index, { queueId: found.id });
      return true;
    }
    this.errors.update((e) => ({ ...e, [`depends_on[${index}]`]: found.error }));
    return false;
  }

  /** Resolves every row's short id (see resolveDependency) before a submit; false when one cannot be. */
  private async resolveDependencies(): Promise<boolean> {
    const rows = this.values()?.dependsOn ?? [];
    if (rows.every((row) => row.queueId.trim() === '' || WHOLE_JOB_ID.test(row.queueId.trim()))) return true;
    this.resolving.set(true);
    try {
      return (await Promise.all(rows.map((_, i) => this.resolveDependency(i)))).every(Boolean);
    } finally {
      this.resolving.set(false);
    }
  }

  protected addDependency(): void {
    const index = this.values()?.dependsOn.length ?? 0;
    this.values.update((v) =>
      v ? { ...v, dependsOn: [...v.dependsOn, { queueId: '', condition: 'after_ok' }] } : v,
    );
    if (!this.store.recentJobs().length) void this.store.loadRecentJobs();
    this.focusAfterRender(`#submit-dep-${index}`);
  }

  /** Removes a row; the row errors are dropped, as the rows after it move up. */
  protected removeDependency(index: number): void {
    this.values.update((v) => (v ? { ...v, dependsOn: v.dependsOn.filter((_, i) => i !== index) } : v));
    this.store.formChanged();
    this.errors.update((e) =>
      Object.fromEntries(Object.entries(e).filter(([field]) => !field.startsWith('depends_on'))),
    );
    this.focusAfterRender('#submit-dep-add');
  }

  protected hasProfile(profile: string): boolean {
    return this.store.migProfiles().some((o) => o.profile === profile);
  }

  protected askServiceName(): void {
    const name = this.values()?.name.trim() ?? '';
    this.serviceName.set(SERVICE_NAME.test(name) ? name : '');
    this.clearError('service_name');
    this.focusAfterRender('#service-name');
  }

  /** Back from the name step: focus returns to the button that opened it. */
  protected leaveServiceName(): void {
    this.serviceName.set(null);
    this.focusAfterRender('#submit-save-service');
  }

  protected setServiceName(value: string): void {
    this.serviceName.set(value);
    this.clearError('service_name');
  }

  /** POST /api/services with the form's type, params, GPUs and priority; enabled, so it starts now. */
  protected async saveService(): Promise<void> {
    const type = this.type();
    const values = this.values();
    const name = (this.serviceName() ?? '').trim();
    if (!type || !values || this.savingService()) return;
    if (!SERVICE_NAME.test(name)) {
      this.errors.update((e) => ({
        ...e,
        service_name: name ? 'Letters, digits, - and _ only.' : 'A name is required.',
      }));
      this.focusFirstError();
      return;
    }
    const built = buildBody(type, values);
    if ('errors' in built) {
      this.errors.set(built.errors);
      this.focusFirstError();
      return;
    }
    this.savingService.set(true);
    try {
      const { job_params, requested_gpus, priority } = built.body;
      await this.services.save(type.name, name, job_params ?? {}, { requested_gpus, priority });
      this.store.remember(type.name, values);
      this.errors.set({});
      this.serviceName.set(null);
      this.launcher.close();
      this.toasts.success(`Saved service ${type.name}/${name}: it starts now and at every boot.`);
    } catch (err) {
      this.showServerErrors(err, serviceFormField);
    } finally {
      this.savingService.set(false);
    }
  }

  /** Opens the path picker for the `cwd` field or a path parameter (`job_params.<name>`), for its kind. */
  protected browse(field: string, mode: PickerMode, current: unknown): void {
    this.browsing.set({ field, mode, start: typeof current === 'string' ? current : '' });
  }

  protected browsed(path: string): void {
    const field = this.browsing()?.field;
    this.browsing.set(null);
    if (field === 'cwd') this.set('cwd', path);
    else if (field?.startsWith('job_params.')) this.setParam(field.slice('job_params.'.length), path);
  }

  protected close(event?: Event): void {
    event?.preventDefault();
    this.launcher.close();
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.type() || !this.values() || this.store.submitting() || this.resolving()) return;
    if (!(await this.resolveDependencies())) {
      this.focusFirstError();
      return;
    }
    // Read after the look-ups: they put the whole ids in.
    const type = this.type();
    const values = this.values();
    if (!type || !values) return;
    if (this.multiActive()) return this.submitMultiNode(type, values);
    const built = buildBody(type, values);
    if ('errors' in built) {
      this.errors.set(built.errors);
      this.focusFirstError();
      return;
    }
    this.store.remember(type.name, values);
    try {
      const item = await this.store.submit(built.body);
      this.errors.set({});
      // One-off, as in initialValues: the next job must not silently wait on these or fan out.
      this.values.update((v) => v && { ...v, dependsOn: [], arrayCount: '', arrayMaxRunning: '' });
      this.launcher.close();
      this.toasts.success(submittedMessage(item, built.body));
      await this.router.navigate(['/jobs', item.queue_id]);
    } catch (err) {
      this.showServerErrors(err, (field) => formField(field, values.dependsOn));
    }
  }

  /** POST /api/cluster/jobs/submit; on success the Cluster view opens with the bundle highlighted. */
  private async submitMultiNode(type: JobTypeDto, values: FormValues): Promise<void> {
    // The single-node GPUs field is hidden: the panel's per-node GPUs take its place.
    const built = buildBody(type, { ...values, gpus: '0' });
    const cluster =
      'body' in built ? buildClusterBody(built.body, this.multi(), this.cluster.members()) : built;
    if ('errors' in cluster) {
      this.errors.set(cluster.errors);
      this.focusFirstError();
      return;
    }
    this.store.remember(type.name, values);
    try {
      const bundle = await this.store.submitCluster(cluster.body);
      this.errors.set({});
      this.mismatch.set(false);
      this.launcher.close();
      this.toasts.success(
        `Submitted ${bundle.name ?? bundle.id} to ${plural(bundle.ranks.length, 'node')} (rendezvous ${bundle.rdzv_endpoint}).` +
          (bundle.warnings.length ? ` Versions differ: ${bundle.warnings.join('; ')}.` : ''),
      );
      await this.router.navigate(['/cluster'], { queryParams: { bundle: bundle.id } });
    } catch (err) {
      this.showClusterErrors(err, cluster.body);
    }
  }

  /** Field errors in the panel's rows and fields, the whole refusal in the panel's alert. */
  private showClusterErrors(err: unknown, body: ClusterSubmitRequestDto): void {
    const isMismatch = err instanceof TrainyardApiError && err.code === 'VERSION_MISMATCH';
    this.mismatch.set(isMismatch);
    const mapped: FieldErrors = {};
    // A mismatch's details name versions, not fields: its message says it all.
    if (!isMismatch)
      for (const [field, message] of Object.entries(fieldErrors(err))) {
        const key = clusterFormField(field, body);
        mapped[key] = mapped[key] ? `${mapped[key]} ${message}` : message;
      }
    mapped['multinode'] = `${errorMessage(err)}.`;
    this.errors.set(mapped);
    if (isMismatch)
      requestAnimationFrame(() =>
        this.dialog().nativeElement.querySelector<HTMLElement>('#mn-allow-mismatch')?.focus(),
      );
    else this.focusFirstError();
  }

  /** An edit in the panel: like any field, it clears the panel's errors (the refusal was for the old values). */
  protected setMulti(value: MultiNodeValues): void {
    this.multi.set(value);
    this.mismatch.set(false);
    const kept = Object.entries(this.errors()).filter(([field]) => !this.isPanelField(field));
    if (kept.length !== Object.keys(this.errors()).length) this.errors.set(Object.fromEntries(kept));
  }

  private isPanelField(field: string): boolean {
    return this.showMultiNode() && (field.startsWith('node.') || MULTI_NODE_FIELDS.includes(field));
  }

  /**
   * A refusal's field errors inline (by `toField`); a refusal that names no field as a toast. Not
   * both: the toast sat half under the dialog and stayed after the field was fixed, contradicting it.
   */
  private showServerErrors(err: unknown, toField: (field: string) => string): void {
    const mapped: FieldErrors = {};
    for (const [field, message] of Object.entries(fieldErrors(err))) {
      const key = toField(field);
      mapped[key] = mapped[key] ? `${mapped[key]} ${message}` : message;
    }
    this.errors.set(mapped);
    if (Object.keys(mapped).length) this.focusFirstError();
    else this.toasts.error(errorMessage(err));
  }

  private async onOpen(): Promise<void> {
    this.errors.set({});
    this.serviceName.set(null);
    this.mismatch.set(false);
    // Whether to offer the Multi-node panel (GET /api/cluster/self); a failure reads as standalone.
    void this.cluster.load().catch(() => undefined);
    // The MIG profiles (GET /api/gpus) only add a select when present: they never hold up the form.
    void this.store.loadMigProfiles();
    if (this.store.advancedOpen()) void this.store.loadRecentJobs();
    await this.store.loadTypes();
    const types = this.store.types();
    const from = this.launcher.from();
    const fromType = from && types.find((t) => t.name === from.job_type);
    if (from && fromType) {
      this.typeName.set(fromType.name);
      this.values.set(valuesFromJob(fromType, from));
      this.store.formChanged();
      this.filledFromJob = true;
      this.focusAfterRender('#submit-name');
      return;
    }
    // A fresh form after a resubmit: the other job's values are not the user's draft.
    const wasFilled = this.filledFromJob;
    this.filledFromJob = false;
    if (from)
      this.toasts.error(`The job type ${from.job_type} no longer exists: starting from a fresh form.`);
    const current = this.typeName();
    const preferred = [this.launcher.type(), current, this.store.lastType(), 'command'].find(
      (n) => n && types.some((t) => t.name === n),
    );
    const name = preferred ?? types[0]?.name ?? '';
    if (name !== current || !this.values() || wasFilled) this.chooseType(name);
    this.focusAfterRender('#job-type');
  }

  /**
   * Focuses a field once what was just changed is on screen: a field that an `@if` or `@for` is about
   * to add does not exist before (a microtask came too early: focus fell to the page), and the type
   * select is disabled while the types load (focus stayed on × Close).
   */
  private focusAfterRender(selector: string): void {
    afterNextRender(() => this.dialog().nativeElement.querySelector<HTMLElement>(selector)?.focus(), {
      injector: this.injector,
    });
  }

  private clearError(field: string): void {
    this.store.formChanged();
    if (!(field in this.errors())) return;
    this.errors.update((e) => {
      const next = { ...e };
      delete next[field];
      return next;
    });
  }

  private focusFirstError(): void {
    requestAnimationFrame(() => {
      const field = this.dialog().nativeElement.querySelector<HTMLElement>('[aria-invalid="true"]');
      // A field in a closed <details> cannot take focus.
      const section = field?.closest('details');
      if (section) section.open = true;
      field?.focus();
    });
  }
}
