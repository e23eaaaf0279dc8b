package dev.byoos.messaging.resilience;

/**
 * A dependency (S3, the registry, the database, Kafka) did not answer or answered "not now": the
 * work is sound and succeeds once the dependency is back. This type is what makes a failure
 * transient anywhere in the factory; every other failure is permanent for the work at hand.
 * Services signal their outages with it (or a subclass naming the dependency in its own terms).
 */
public class DependencyUnavailableException extends RuntimeException {

    private final String dependency;

    public DependencyUnavailableException(String dependency, String message, Throwable cause) {
        super(message, cause);
        this.dependency = dependency;
    }

    public DependencyUnavailableException(String dependency, String message) {
        this(dependency, message, null);
    }

    /** What the work waits for, as shown to users: {@code s3}, {@code registry}, {@code database}, {@code kafka}. */
    public String dependency() {
        return dependency;
    }
}
