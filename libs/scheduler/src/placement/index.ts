export * from './placement';
export * from './preemption';
