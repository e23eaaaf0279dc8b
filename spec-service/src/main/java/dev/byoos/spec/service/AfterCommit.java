package dev.byoos.spec.service;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import dev.byoos.spec.outbox.OutboxRelay;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.repository.BuildEntity;

/**
 * What follows a committed change that wrote outbox records: the metrics count it, and the relay
 * publishes the records right away rather than at its next poll (which still covers a crash
 * between the commit and the publish).
 */
@ApplicationScoped
public class AfterCommit {

    private final OutboxRelay outboxRelay;
    private final BuildMetrics buildMetrics;

    public AfterCommit(OutboxRelay outboxRelay, BuildMetrics buildMetrics) {
        this.outboxRelay = outboxRelay;
        this.buildMetrics = buildMetrics;
    }

    /** Builds were created (new versions, new attempts, REUSED builds). */
    void created(List<BuildEntity> builds) {
        buildMetrics.created(builds);
        outboxRelay.relaySoon();
    }

    /** A build changed state. */
    void transitioned(BuildMetrics.BuildTransition transition) {
        buildMetrics.transitioned(transition);
        outboxRelay.relaySoon();
    }
}
