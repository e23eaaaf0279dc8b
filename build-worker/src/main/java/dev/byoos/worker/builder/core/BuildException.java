package dev.byoos.worker.builder.core;

/**
 * A build that cannot finish, classified so the worker can tell the user whether retrying helps.
 */
public class BuildException extends RuntimeException {

    public enum Kind {
        /** The spec asks for something that cannot be built (missing base, unsafe path): retrying cannot help. */
        BAD_INPUT,
        /** A dependency of the worker failed (tool missing, disk, S3): retrying may help. */
        INFRASTRUCTURE,
        /** A tool rejected what the builder produced: a bug in the builder. */
        BUILDER,
        /**
         * The worker's own setup cannot serve the request (a setting missing, a mirror without the
         * files asked for or with files that fail verification): not the spec's fault, and retrying
         * cannot help until an operator changes the setup.
         */
        WORKER_SETUP
    }

    private final Kind kind;
    private final String code;

    public BuildException(Kind kind, String code, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.code = code;
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return kind == Kind.INFRASTRUCTURE;
    }
}
