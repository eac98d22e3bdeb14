/**
 * Headers the balancer sends to workers: its own worker key as a Bearer token, or none. Client keys are checked at
 * the balancer and never forwarded, so workers need only the balancer's key and a client key never reaches them.
 */
export function workerAuthHeaders(workerApiKey: string | undefined): Record<string, string> {
  return workerApiKey ? { authorization: `Bearer ${workerApiKey}` } : {};
}
