import { Inject, Injectable } from '@nestjs/common';
import { statSync } from 'node:fs';
import { SERVER_CONFIG, type ServerConfig } from './config/server-config';

/**
 * Whether the state directory is still the one the server started on. Moved, deleted or replaced
 * under a running server, its open database goes on writing to the moved files while every job's
 * files (secrets, control, logs) are looked for at the old path: launches would fail one by one.
 */
@Injectable()
export class StateDirectory {
  private readonly home: string;
  private readonly identity: { dev: number; ino: number } | null;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.home = config.home;
    this.identity = this.stat();
  }

  /** Why the state directory cannot be used now (one line), or null when it is in place. */
  problem(): string | null {
    const now = this.stat();
    if (now && (!this.identity || (now.dev === this.identity.dev && now.ino === this.identity.ino)))
      return null;
    return `the state directory ${this.home} was ${now ? 'replaced' : 'moved or removed'} while the server ran: put it back, or restart the server on it`;
  }

  private stat(): { dev: number; ino: number } | null {
    try {
      const { dev, ino } = statSync(this.home);
      return { dev, ino };
    } catch {
      return null;
    }
  }
}
