package dev.byoos.spec.service;

/** An Idempotency-Key sent again with a different spec (HTTP 422). */
public class IdempotencyKeyReusedException extends RuntimeException {

    public IdempotencyKeyReusedException(String message) {
        super(message);
    }
}
