package dev.byoos.artifact.messaging;

import java.util.UUID;
import java.util.function.Supplier;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.messaging.resilience.WaitAbandonedException;

/** How this service's consumers settle a message, and the check every event's build id gets. */
final class ConsumedMessages {

    private static final Logger LOG = Logger.getLogger(ConsumedMessages.class);

    private ConsumedMessages() {
    }

    /**
     * Runs {@code work} and acknowledges the message once it is done. A wait the service abandoned
     * because it is stopping leaves the message neither done nor failed (it is delivered again); any
     * other failure dead-letters it, naming {@code what}.
     */
    static Uni<Void> settle(Message<String> message, String what, Supplier<Uni<?>> work) {
        return Uni.createFrom().deferred(work)
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                .onFailure(WaitAbandonedException.class).recoverWithItem(() -> null)
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering %s: %s", what, failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    /** @throws MalformedEventException when {@code buildId} is not a UUID: the event is poison */
    static void requireUuid(String buildId) {
        try {
            UUID.fromString(buildId);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new MalformedEventException("buildId is not a UUID", e);
        }
    }
}
