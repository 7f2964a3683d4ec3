import { auditOnly, type ReplayRule } from '@trainyard/journal';
import {
  LoginFailedEvent,
  PasswordSetEvent,
  SessionEndedEvent,
  SessionsRevokedEvent,
  SessionStartedEvent,
} from './auth.events';

/** `auth.*` entries are audit records (see auth.events.ts): a replica applies nothing. */
export const AUTH_REPLAY_RULES: readonly ReplayRule[] = [
  auditOnly(SessionStartedEvent),
  auditOnly(SessionEndedEvent),
  auditOnly(PasswordSetEvent),
  auditOnly(LoginFailedEvent),
  auditOnly(SessionsRevokedEvent),
];
