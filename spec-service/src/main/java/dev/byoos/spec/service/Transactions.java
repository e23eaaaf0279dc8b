package dev.byoos.spec.service;

import java.util.UUID;

import jakarta.persistence.LockModeType;
import jakarta.ws.rs.NotFoundException;

import io.smallrye.mutiny.Uni;

import dev.byoos.messaging.resilience.PostgresOutages;
import dev.byoos.service.TeamScope;
import dev.byoos.spec.repository.BuildEntity;

/** What the services that change builds share about their transactions. */
final class Transactions {

    /** SQLSTATE unique_violation. */
    static final String UNIQUE_VIOLATION = "23505";

    private Transactions() {
    }

    /**
     * A build with its spec, locked for the rest of the transaction, or 404 when it does not exist or
     * belongs to a team outside the scope. Locked because retry and cancel decide on its state while
     * the event consumers may be changing it: unlocked, a cancel could overwrite a state published
     * in between, or keep a progress report recorded in between.
     */
    static Uni<BuildEntity> lockVisibleBuild(UUID buildId, TeamScope scope) {
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where b.id = ?1", buildId)
                .withLock(LockModeType.PESSIMISTIC_WRITE)
                .firstResult()
                .map(build -> build != null && scope.includes(build.team) ? build : null)
                .onItem().ifNull().failWith(() -> new NotFoundException("no build " + buildId));
    }

    /**
     * Whether a transaction failed on a unique key: another request stored the same thing first.
     * Hibernate wraps the refusal as a ConstraintViolationException; the reactive pool reports its
     * SQLSTATE.
     */
    static boolean isUniqueViolation(Throwable failure) {
        if (PostgresOutages.hasSqlState(failure, UNIQUE_VIOLATION)) {
            return true;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.hibernate.exception.ConstraintViolationException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }
}
