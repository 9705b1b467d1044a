/**
 * Liveness and readiness for load balancers and Kubernetes probes.
 *
 * - /health (liveness): Yoga's built-in health check, 200 while the process serves HTTP at all.
 * - /readiness: 200 once the server listens, 503 before that and while draining for shutdown,
 *   so a load balancer stops sending new traffic while in-flight requests finish.
 */
import { useReadinessCheck } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';

export const HEALTH_ENDPOINT = '/health';
export const READINESS_ENDPOINT = '/readiness';

export class Readiness {
  #ready: boolean;

  /** Not ready until markReady(), unless created ready (a Yoga instance without a server). */
  constructor(ready = false) {
    this.#ready = ready;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** The server listens. */
  markReady(): void {
    this.#ready = true;
  }

  /** Shutdown began: take this instance out of rotation. */
  markDraining(): void {
    this.#ready = false;
  }

  plugin(): Plugin {
    return useReadinessCheck({ endpoint: READINESS_ENDPOINT, check: () => this.#ready });
  }
}
