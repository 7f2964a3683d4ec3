/** Every migration, oldest first. `npm run migration:generate -- <Name>` appends new ones. */
import { InitialSchema1795430644012 } from './1795430644012-initial-schema';

export const MIGRATIONS = [InitialSchema1795430644012];
