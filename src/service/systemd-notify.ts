import { spawn } from 'node:child_process';
import type { Logger } from '../logging/logger.js';

/** A state change to report to systemd (sd_notify(3)); `status` is the free text `systemctl status` shows. */
export interface ServiceState {
  /** READY=1: start-up is finished and the service answers requests (Type=notify units wait for it). */
  ready?: boolean;
  /** STOPPING=1: the service has begun to shut down (draining). */
  stopping?: boolean;
  status?: string;
}

/** The `VARIABLE=VALUE` assignments of the sd_notify protocol for a state. */
export function notifyAssignments(state: ServiceState): string[] {
  return [
    ...(state.ready ? ['READY=1'] : []),
    ...(state.stopping ? ['STOPPING=1'] : []),
    ...(state.status === undefined ? [] : [`STATUS=${state.status.replace(/\n/g, ' ')}`]),
  ];
}

/**
 * Tells the service manager about `state` when this process runs under systemd with Type=notify (NOTIFY_SOCKET set);
 * resolves true once it was delivered, false when there is no manager to tell or delivery failed (logged, never
 * thrown: a service must not die because its supervisor did not hear it).
 *
 * Node cannot send on the AF_UNIX datagram socket itself, so this runs systemd-notify(1). The message then comes from
 * a child process, which is why the units say NotifyAccess=all; systemd-notify waits (without --no-block) until the
 * manager has read the message, so the manager can still attribute it to this unit's cgroup.
 */
export function notifySystemd(state: ServiceState, logger?: Logger, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  // NOTIFY_SOCKET is systemd's own protocol variable, not a setting, so it is read here rather than in src/config.
  if (!env.NOTIFY_SOCKET) return Promise.resolve(false);
  const args = notifyAssignments(state);
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn('systemd-notify', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let settled = false;
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      logger?.warn({ err, args }, 'could not run systemd-notify');
      resolve(false);
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      if (code !== 0) logger?.warn({ code, args, stderr: stderr.trim() }, 'systemd-notify failed');
      resolve(code === 0);
    });
  });
}
