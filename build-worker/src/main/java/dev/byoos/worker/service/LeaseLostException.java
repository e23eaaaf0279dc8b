package dev.byoos.worker.service;

/**
 * The attempt no longer holds its build's lease: a later attempt (on another worker) took it
 * over. Whatever this attempt built is abandoned; it announces nothing, the later attempt does.
 */
public class LeaseLostException extends RuntimeException {

    LeaseLostException(String message) {
        super(message);
    }
}
