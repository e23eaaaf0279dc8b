package dev.byoos.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BoundedFailureTest {

    @Test
    void aFailureWhoseMessagesFitIsPassedOnAsItIs() {
        IllegalStateException failure = new IllegalStateException("short", new IllegalArgumentException("also short"));

        assertSame(failure, BoundedFailure.of(failure, 100));
        IllegalStateException withoutMessage = new IllegalStateException();
        assertSame(withoutMessage, BoundedFailure.of(withoutMessage, 100));
    }

    @Test
    void aLongMessageOrCauseIsCutNamingTheOriginalClassAndLength() {
        Throwable bounded = BoundedFailure.of(new IllegalStateException("x".repeat(5000)), 100);

        assertEquals(100, bounded.getMessage().length(), bounded.getMessage());
        assertTrue(bounded.getMessage().startsWith("java.lang.IllegalStateException: xxx"), bounded.getMessage());
        assertTrue(bounded.getMessage().endsWith("… (5033 characters, cut)"), bounded.getMessage());
        assertNull(bounded.getCause());

        Throwable withCause = BoundedFailure.of(new IllegalStateException("short",
                new IllegalArgumentException("y".repeat(5000))), 100);
        assertEquals("java.lang.IllegalStateException: short", withCause.getMessage());
        assertEquals(100, withCause.getCause().getMessage().length());
        assertTrue(withCause.getCause().getMessage().startsWith("java.lang.IllegalArgumentException: yyy"));
    }
}
