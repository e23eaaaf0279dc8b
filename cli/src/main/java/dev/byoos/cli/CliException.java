package dev.byoos.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Why a command could not do what it was asked: one line for a person, the exit code a CI job
 * branches on ({@link ExitCodes}), and, when the server answered with RFC 9457 problem details,
 * those details.
 */
public class CliException extends RuntimeException {

    private final int exitCode;
    private final transient JsonNode problem;

    public CliException(int exitCode, String message) {
        this(exitCode, message, null, null);
    }

    public CliException(int exitCode, String message, Throwable cause) {
        this(exitCode, message, null, cause);
    }

    public CliException(int exitCode, String message, JsonNode problem, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.problem = problem;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The server's problem details (or the offline validator's, in the same shape); null when there are none. */
    public JsonNode problem() {
        return problem;
    }
}
