package dev.byoos.pack.registry;

import java.util.Optional;

/**
 * The registry refused a request for a reason that waiting does not cure: credentials refused (401
 * after answering the challenge, or 403), a repository it lacks and does not create on push
 * ({@link RepositoryMissingException}), an upload it does not know, or any other 4xx but 408 and
 * 429. The message names the registry, the repository, the HTTP status and the registry's own error
 * code (distribution's JSON error body).
 */
public class RegistryException extends RuntimeException {

    private final int status;
    private final String errorCode;

    public RegistryException(String message) {
        this(message, 0, null);
    }

    /**
     * @param status    the HTTP status, 0 when the refusal was not one
     * @param errorCode the registry's error code ({@code UNAUTHORIZED}, {@code DENIED}, {@code NAME_UNKNOWN}…), null when it sent none
     */
    public RegistryException(String message, int status, String errorCode) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    public Optional<String> errorCode() {
        return Optional.ofNullable(errorCode);
    }

    /** Whether the registry refused the credentials (or what they may do) rather than the request. */
    public boolean accessDenied() {
        return status == 401 || status == 403;
    }
}
