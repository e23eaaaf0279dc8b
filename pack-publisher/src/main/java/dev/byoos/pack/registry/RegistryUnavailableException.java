package dev.byoos.pack.registry;

/**
 * The registry cannot be used right now: unreachable, answering 5xx or 429, or refusing the
 * configured credentials. Waiting (or an operator fixing the credentials) can change that, so the
 * publisher retries rather than failing the build.
 */
public class RegistryUnavailableException extends RegistryException {

    public RegistryUnavailableException(String message) {
        super(message);
    }

    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
