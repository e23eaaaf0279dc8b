package dev.byoos.messaging;

/**
 * A failure whose message, and its cause's, are cut to a length: what a dead letter's headers may
 * quote of a failure, however much of an attacker's record the original message repeats. The
 * original class names stay in the message, since the connector's class-name headers name this one.
 */
final class BoundedFailure extends RuntimeException {

    private BoundedFailure(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** {@code failure} itself when both messages fit, otherwise a copy with both cut to {@code maxLength}. */
    static Throwable of(Throwable failure, int maxLength) {
        Throwable cause = failure.getCause();
        if (fits(failure.getMessage(), maxLength) && (cause == null || fits(cause.getMessage(), maxLength))) {
            return failure;
        }
        Throwable boundedCause = cause == null ? null
                : new BoundedFailure(cut(cause.getClass().getName() + ": " + cause.getMessage(), maxLength), null);
        return new BoundedFailure(cut(failure.getClass().getName() + ": " + failure.getMessage(), maxLength),
                boundedCause);
    }

    private static boolean fits(String message, int maxLength) {
        return message == null || message.length() <= maxLength;
    }

    private static String cut(String message, int maxLength) {
        if (message.length() <= maxLength) {
            return message;
        }
        String marker = "… (" + message.length() + " characters, cut)";
        return message.substring(0, Math.max(0, maxLength - marker.length())) + marker;
    }
}
