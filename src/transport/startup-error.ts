/** A server that cannot start for a reason the user must fix; the CLI prints `error CODE: message` and exits with `exitCode`. */
export class StartupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The process exit status the CLI uses. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Exit status of `serve` and `balance` when another process listens on their port. */
export const PORT_IN_USE_EXIT_CODE = 3;

/** Exit status when `--transport` names an adapter that cannot load here: a setting that cannot be met, like a bad one. */
export const TRANSPORT_UNAVAILABLE_EXIT_CODE = 2;
