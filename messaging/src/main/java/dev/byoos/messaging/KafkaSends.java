package dev.byoos.messaging;

import java.time.Duration;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.messaging.resilience.DependencyUnavailableException;

/**
 * Sending an event that must reach Kafka, with Kafka's outages told apart from refusals. A send
 * Kafka did not take within the timeout, or that failed for any other reason (no broker, no leader,
 * the producer's own delivery timeout, a refused authorization an operator can mend) is a
 * {@link DependencyUnavailableException} of {@value #KAFKA}, for the caller to wait out
 * ({@link dev.byoos.messaging.resilience.DependencyWait}) and send again: the event carries its
 * own id, so a second copy after a send that did get through is a duplicate every consumer drops.
 * Only what no broker would ever take (too large, unserialisable) fails as it is.
 *
 * <p>Without this, a send that failed during a Kafka outage longer than the timeout failed the
 * consumer's record: a consumer that takes its messages whole ended its channel's stream, one that
 * dead-letters failures put a processed event on the dead-letter topic, unannounced.
 */
public final class KafkaSends {

    /** What a consumer waits for while Kafka does not take its events. */
    public static final String KAFKA = "kafka";
    /** Deep enough for any wrapping seen in practice, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;

    private KafkaSends() {
    }

    /** The send of {@code event}, failing with {@link DependencyUnavailableException} while Kafka does not take it. */
    public static Uni<Void> send(MutinyEmitter<String> emitter, Message<String> event, Duration timeout) {
        return Uni.createFrom().deferred(() -> emitter.sendMessage(event))
                .ifNoItem().after(timeout).fail()
                .onFailure(failure -> !refusedForGood(failure))
                .transform(failure -> new DependencyUnavailableException(KAFKA, "Kafka did not take the event: "
                        + failure, failure));
    }

    /**
     * {@link #send}, waited for on the calling thread.
     *
     * @throws DependencyUnavailableException {@value #KAFKA} while Kafka does not take the event,
     *         also when the wait itself is interrupted (a stopping service: the caller's wait ends it)
     */
    public static void sendAndWait(MutinyEmitter<String> emitter, Message<String> event, Duration timeout) {
        try {
            send(emitter, event, timeout).await().indefinitely();
        } catch (RuntimeException e) {
            if (e instanceof DependencyUnavailableException || refusedForGood(e)) {
                throw e;
            }
            throw new DependencyUnavailableException(KAFKA, "Kafka did not take the event: " + e, e);
        }
    }

    /** @return whether no broker would ever take the event: too large, or not serialisable */
    public static boolean refusedForGood(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++) {
            if (cause instanceof RecordTooLargeException || cause instanceof SerializationException) {
                return true;
            }
            cause = cause.getCause();
        }
        return false;
    }
}
