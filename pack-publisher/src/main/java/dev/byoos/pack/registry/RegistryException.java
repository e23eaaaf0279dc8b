package dev.byoos.pack.registry;

/** The registry refused a request for a reason that does not go away by waiting (HTTP 4xx other than auth). */
public class RegistryException extends RuntimeException {

    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
