/**
 * Liveness and readiness for load balancers and Kubernetes probes.
 *
 * - /health (liveness): Yoga's built-in health check, 200 while the process serves HTTP at all.
 * - /readiness: 200 while `isReady()` holds (the HTTP server derives it from its own state:
 *   listening and not draining), 503 otherwise, so a load balancer stops sending new traffic
 *   while in-flight requests finish.
 */
import { useReadinessCheck } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';

export const HEALTH_ENDPOINT = '/health';
export const READINESS_ENDPOINT = '/readiness';

export interface ReadinessOptions {
  isReady: () => boolean;
}

export function useReadiness({ isReady }: ReadinessOptions): Plugin {
  return useReadinessCheck({ endpoint: READINESS_ENDPOINT, check: isReady });
}
