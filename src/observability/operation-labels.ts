/**
 * Which operation names become `operation_name` label values. Names are chosen by clients, and
 * anyone can send a valid operation under any name (`query Junk1 { __typename }`), so a name must
 * earn its label, and the number of labels (series) is capped:
 *
 *  - with an allow-list (METRICS_OPERATION_NAMES), those names and no others;
 *  - otherwise a name becomes a label once it has been seen in MIN_OPERATION_COUNT validated
 *    operations, up to MAX_OPERATION_NAMES labels. Sightings are counted in a bounded candidate
 *    table (Space-Saving: when it is full, the least-seen candidate makes room), so junk names
 *    cannot grow memory, names sent a few times each never become labels, and a flood of distinct
 *    names cannot keep a real operation from reaching the threshold (a newcomer inherits the
 *    evicted count only as an overestimate; admission counts its own sightings).
 *
 * A label, once given, is never taken back (its series exist from then on). Until a name has its
 * label, its operations count as "(other)".
 */
import type { OperationInfo } from './operation.js';

/** Label values for names; later names count as "(other)". */
export const MAX_OPERATION_NAMES = 100;
/** Validated operations under one name before it becomes a label (without an allow-list). */
export const MIN_OPERATION_COUNT = 10;
/** Names counted while they earn a label (bounds memory whatever clients send). */
export const MAX_OPERATION_CANDIDATES = 1_000;

export const OTHER_OPERATION = '(other)';

export interface OperationLabelsOptions {
  /** METRICS_OPERATION_NAMES: when set, the only names that become labels. */
  allowList?: readonly string[] | undefined;
  minCount?: number;
  maxLabels?: number;
  maxCandidates?: number;
}

interface Candidate {
  /** Sightings, plus the count inherited from the candidate it replaced. */
  count: number;
  /** The inherited part: `count - inherited` sightings are certain. */
  inherited: number;
}

export class OperationLabels {
  readonly #allowList: ReadonlySet<string> | undefined;
  readonly #labels = new Set<string>();
  readonly #candidates = new Map<string, Candidate>();
  readonly #minCount: number;
  readonly #maxLabels: number;
  readonly #maxCandidates: number;

  constructor(options: OperationLabelsOptions = {}) {
    this.#allowList = options.allowList ? new Set(options.allowList) : undefined;
    this.#minCount = options.minCount ?? MIN_OPERATION_COUNT;
    this.#maxLabels = options.maxLabels ?? MAX_OPERATION_NAMES;
    this.#maxCandidates = options.maxCandidates ?? MAX_OPERATION_CANDIDATES;
  }

  /** Names being counted right now (at most maxCandidates). */
  get candidateCount(): number {
    return this.#candidates.size;
  }

  /** The label of one validated operation (undefined: none ran), counting the sighting. */
  label(operation: OperationInfo | undefined): string {
    if (!operation) return '(unknown)';
    const { name } = operation;
    if (name === undefined) return '(anonymous)';
    if (this.#allowList) return this.#allowList.has(name) ? name : OTHER_OPERATION;
    if (this.#labels.has(name)) return name;
    if (this.#labels.size >= this.#maxLabels) return OTHER_OPERATION;
    if (this.#sighting(name) < this.#minCount) return OTHER_OPERATION;
    this.#candidates.delete(name);
    this.#labels.add(name);
    return name;
  }

  /** Counts one sighting of `name`; returns how many sightings are certain. */
  #sighting(name: string): number {
    let candidate = this.#candidates.get(name);
    if (candidate) {
      candidate.count++;
    } else if (this.#candidates.size < this.#maxCandidates) {
      candidate = { count: 1, inherited: 0 };
      this.#candidates.set(name, candidate);
    } else {
      const [evicted, least] = this.#leastSeen();
      this.#candidates.delete(evicted);
      candidate = { count: least.count + 1, inherited: least.count };
      this.#candidates.set(name, candidate);
    }
    return candidate.count - candidate.inherited;
  }

  #leastSeen(): [string, Candidate] {
    let least: [string, Candidate] | undefined;
    for (const entry of this.#candidates) {
      if (!least || entry[1].count < least[1].count) least = entry;
      if (least[1].count === 1) break; // nothing is lower
    }
    return least!;
  }
}
