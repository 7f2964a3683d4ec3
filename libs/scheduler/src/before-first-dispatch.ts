import { Injectable, Logger } from '@nestjs/common';

/**
 * Work other modules need done at boot after running jobs are re-attached and before the first
 * placement pass (the services autostart pass: it must see which instances survived the restart, and
 * what it enqueues is placed in that first pass). A step that fails is logged; boot goes on.
 */
@Injectable()
export class BeforeFirstDispatch {
  private readonly logger = new Logger('Scheduler');
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];

  /** Registers `run` (call from onModuleInit); steps run one after another, in registration order. */
  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  async runAll(): Promise<void> {
    for (const step of this.steps) {
      try {
        await step.run();
      } catch (err) {
        this.logger.error(
          `${step.name} failed before the first dispatch: ${(err as Error).stack ?? String(err)}`,
        );
      }
    }
  }
}
