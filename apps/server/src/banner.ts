import { networkInterfaces } from 'node:os';
import { DEFAULT_SERVER_URL, envNameOf, type ServerConfig } from '@trainyard/core';

/** A wildcard bind is not a clickable address: show a reachable one instead. */
export function connectableHosts(bindHost: string): string[] {
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '[::]') {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    return [...external.slice(0, 1), 'localhost'];
  }
  if (bindHost === '127.0.0.1') return ['127.0.0.1', 'localhost'];
  return [bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost];
}

/**
 * What the server prints at start: where to open it, the state directory and, with auth on, how the
 * browser signs in (`passwordSet`: a console password exists, so the token link no longer asks for one).
 * A restarted worker (`restarted`: a restart, reload or crash respawn) says so and leaves the token out
 * of its links: the server's log gets it once per start, not once per restart.
 */
export function startupBanner(
  config: ServerConfig,
  port: number,
  token: string | null,
  passwordSet = false,
  restarted = false,
): string {
  const query = token && !restarted ? `/?token=${token}` : '/';
  const urls = connectableHosts(config.host).map((h) => `    http://${h}:${port}${query}`);
  // Warnings first: a misspelt key is easy to miss below the links (`| head` cuts it off).
  const lines = [
    ...config.warnings.map((warning) => `warning: ${warning}`),
    '',
    restarted ? 'Trainyard restarted, running at:' : 'Trainyard is running at:',
    ...urls,
    '',
    token
      ? `CLI auth:     token in ${config.paths.authToken} (mode 0600)`
      : `Auth:         DISABLED (${noAuthSource(config)}): anyone who can reach this port controls this host`,
    `State:        ${config.home}`,
    `Config file:  ${config.config_file}`,
    `API docs:     http://${connectableHosts(config.host)[0]}:${port}/api/docs`,
  ];
  // The CLI finds a server elsewhere than its default only when told.
  const cliUrl = `http://${connectableHosts(config.host)[0]}:${port}`;
  if (cliUrl !== DEFAULT_SERVER_URL) lines.push(`CLI:          export TRAINYARD_SERVER_URL=${cliUrl}`);
  if (token && !restarted) {
    lines.push(
      passwordSet
        ? 'Browser sign-in: the console password, or the link above.'
        : 'First token login in the browser asks you to set a password for later logins.',
    );
  }
  return lines.join('\n') + '\n';
}

/** How auth was turned off, as the operator did it (a flag, a variable, a config key). */
function noAuthSource(config: ServerConfig): string {
  switch (config.sources.no_auth) {
    case 'env':
      return envNameOf('no_auth');
    case 'file':
      return `no_auth in ${config.config_file}`;
    default:
      return '--no-auth';
  }
}
