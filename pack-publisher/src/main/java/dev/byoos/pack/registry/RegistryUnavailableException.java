package dev.byoos.pack.registry;

import dev.byoos.messaging.resilience.DependencyUnavailableException;

/**
 * The registry cannot be used right now: unreachable, answering 5xx or 429, or refusing the
 * configured credentials. Waiting (or an operator fixing the credentials) can change that, so the
 * publisher waits for the {@value #DEPENDENCY} rather than failing the build.
 */
public class RegistryUnavailableException extends DependencyUnavailableException {

    /** What a build waits for while the registry is unavailable ({@code build.progress} waitingFor). */
    public static final String DEPENDENCY = "registry";

    public RegistryUnavailableException(String message) {
        super(DEPENDENCY, message);
    }

    public RegistryUnavailableException(String message, Throwable cause) {
        super(DEPENDENCY, message, cause);
    }
}
