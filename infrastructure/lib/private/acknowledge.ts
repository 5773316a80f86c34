import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges a rule-pack finding on `scope` with its reason, once: a construct that is wired
 * several times (a function behind three routes) records the acknowledgement a single time.
 * The constructs acknowledge what their own design answers (a queue's dead-letter queue has
 * no dead-letter queue of its own), so every stack that uses them gets the same reviewed set.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  const already = scope.node.metadata.some(
    (entry) =>
      entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
      Object.keys(entry.data as Record<string, string>).some(
        (rule) => rule.replace(/^annotation::/i, '') === id,
      ),
  );
  if (!already) Validations.of(scope).acknowledge({ id, reason });
}

/** The reason every last-stop queue gives for having no redrive policy of its own. */
export const LAST_STOP_REASON =
  'This queue is itself the last stop for failures (dead-letter or on-failure queue, 14-day retention, alarmed on any message); it is not consumed, so it has no dead-letter queue of its own.';
