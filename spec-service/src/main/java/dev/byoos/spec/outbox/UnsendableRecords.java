package dev.byoos.spec.outbox;

import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

import dev.byoos.contract.BuildFailed;

/**
 * Which send failures are the record's own and final: Kafka refuses the same record the same way on
 * every attempt. Everything else (broker down, timeouts, authorization) is about Kafka, not the
 * record, and is retried: setting records aside for it would fail every build of an outage.
 */
final class UnsendableRecords {

    /** The code a build whose request cannot be sent fails with. */
    static final String REQUEST_NOT_SENDABLE = "REQUEST_NOT_SENDABLE";

    /**
     * Why a record can never be sent.
     *
     * @param category BuildFailed's category: {@code spec} when the spec made it too large, {@code builder} otherwise
     */
    record Refusal(String category, String reason) {
    }

    private UnsendableRecords() {
    }

    /** @return the refusal if {@code failure} (or a cause) is final for the record, else null */
    static Refusal refusal(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException) {
                return new Refusal(BuildFailed.SPEC, "Kafka refuses the build request as too large ("
                        + cause.getMessage() + "); make the spec's files, scripts and certificates smaller");
            }
            if (cause instanceof SerializationException) {
                return new Refusal(BuildFailed.BUILDER, "the build request cannot be serialised (" + cause.getMessage()
                        + ")");
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return null;
    }

    /** A build request whose key is no build id: it could never be matched to a build, so it is not sent. */
    static Refusal keyNotABuild(String key) {
        return new Refusal(BuildFailed.BUILDER, "the build request's key " + (key == null ? "is missing"
                : "'" + (key.length() > 64 ? key.substring(0, 64) + "…" : key) + "' is not a build id") + "; not sent");
    }

    static boolean isFinal(Throwable failure) {
        return refusal(failure) != null;
    }
}
