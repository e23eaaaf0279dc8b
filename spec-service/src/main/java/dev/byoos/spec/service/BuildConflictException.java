package dev.byoos.spec.service;

/** A request that the build's current state does not allow (HTTP 409). */
public class BuildConflictException extends RuntimeException {

    public BuildConflictException(String message) {
        super(message);
    }
}
